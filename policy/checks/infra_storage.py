"""S3 buckets (the state bucket above all): versioning and SSE-KMS with our key."""

from __future__ import annotations

from typing import Any

import infra_common as ic
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class BucketVersioning(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="S3 bucket versioning is enabled",
            id="CKV_INFRA_16",
            categories=[CheckCategories.BACKUP_AND_RECOVERY],
            supported_resources=["aws_s3_bucket_versioning"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["versioning_configuration/[0]/status"]
        status = ic.get(conf, "versioning_configuration", "status")
        if ic.is_unresolved(status):
            return CheckResult.UNKNOWN
        return CheckResult.PASSED if status == "Enabled" else CheckResult.FAILED


class BucketKmsEncryption(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="S3 buckets are encrypted with SSE-KMS and a customer managed key",
            id="CKV_INFRA_17",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=["aws_s3_bucket_server_side_encryption_configuration"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["rule/[0]/apply_server_side_encryption_by_default"]
        rules = ic.blocks(conf.get("rule"))
        if not rules:
            return CheckResult.FAILED
        for rule in rules:
            algo = ic.get(rule, "apply_server_side_encryption_by_default", "sse_algorithm")
            key = ic.get(rule, "apply_server_side_encryption_by_default", "kms_master_key_id")
            if ic.is_unresolved(algo):
                return CheckResult.UNKNOWN
            if algo not in ("aws:kms", "aws:kms:dsse") or key in (None, ""):
                return CheckResult.FAILED
        return CheckResult.PASSED


check_versioning = BucketVersioning()
check_sse = BucketKmsEncryption()
