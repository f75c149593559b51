"""Launch templates: IMDSv2 with a hop limit of 1, encrypted EBS volumes."""

from __future__ import annotations

from typing import Any

import infra_common as ic
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class LaunchTemplateImdsV2(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Launch templates require IMDSv2 with a hop limit of 1",
            id="CKV_INFRA_10",
            categories=[CheckCategories.GENERAL_SECURITY],
            supported_resources=["aws_launch_template"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["metadata_options/[0]/http_tokens", "metadata_options/[0]/http_put_response_hop_limit"]
        tokens = ic.get(conf, "metadata_options", "http_tokens")
        hops = ic.get(conf, "metadata_options", "http_put_response_hop_limit")
        if ic.is_unresolved(tokens) or ic.is_unresolved(hops):
            return CheckResult.UNKNOWN
        if ic.get(conf, "metadata_options", "http_endpoint") == "disabled":
            return CheckResult.PASSED
        return CheckResult.PASSED if tokens == "required" and ic.as_number(hops) == 1 else CheckResult.FAILED


class LaunchTemplateEbsEncrypted(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Launch template EBS volumes are encrypted (not with the AWS managed key)",
            id="CKV_INFRA_23",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=["aws_launch_template"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Every ``block_device_mappings[].ebs[]`` has ``encrypted = true`` (the plan writes "true");
        a ``kms_key_id`` may not be ``alias/aws/ebs``. A template without an EBS mapping leaves the
        root volume to the AMI's snapshot and fails (modules/eks-cluster maps the root volume)."""
        self.evaluated_keys = ["block_device_mappings"]
        raw = conf.get("block_device_mappings")
        if isinstance(ic.first(raw), str):
            return CheckResult.UNKNOWN  # known only after apply, or an expression checkov left unresolved
        volumes = [ebs for mapping in ic.blocks(raw) for ebs in ic.blocks(mapping.get("ebs"))]
        if not volumes:
            return CheckResult.FAILED
        unknown = False
        for ebs in volumes:
            encrypted = ic.get(ebs, "encrypted")
            flag = ic.as_bool(encrypted)
            if flag is None and (encrypted == ic.UNKNOWN_VALUE or ic.is_unresolved(encrypted)):
                unknown = True
            elif flag is not True:
                return CheckResult.FAILED
            key = ic.get(ebs, "kms_key_id")
            if isinstance(key, str) and key.endswith("alias/aws/ebs"):
                return CheckResult.FAILED
        return CheckResult.UNKNOWN if unknown else CheckResult.PASSED


check_imds = LaunchTemplateImdsV2()
check_ebs = LaunchTemplateEbsEncrypted()
