"""No wildcard principal in the Allow statements of key and bucket policies."""

from __future__ import annotations

from typing import Any

import infra_common as ic
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class NoWildcardPrincipal(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Key and bucket policies do not allow the '*' principal",
            id="CKV_INFRA_18",
            categories=[CheckCategories.IAM],
            supported_resources=["aws_kms_key", "aws_kms_replica_key", "aws_kms_key_policy", "aws_s3_bucket_policy"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["policy"]
        if "policy" not in conf:
            return CheckResult.PASSED if ic.is_plan(conf) else CheckResult.UNKNOWN  # default key policy: account root
        statements = ic.policy_statements(conf.get("policy"))
        if statements is None:
            return CheckResult.UNKNOWN
        for statement in statements:
            if statement.get("Effect", "Allow") == "Allow" and ic.has_wildcard_principal(statement):
                return CheckResult.FAILED
        return CheckResult.PASSED


check_principal = NoWildcardPrincipal()
