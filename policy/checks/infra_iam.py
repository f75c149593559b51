"""Names of global IAM objects carry the region, so one cluster name fits two regions."""

from __future__ import annotations

from typing import Any

import infra_common as ic
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class IamNameRegionQualified(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="IAM role, policy and instance profile names include the region",
            id="CKV_INFRA_19",
            categories=[CheckCategories.IAM],
            supported_resources=[
                "aws_iam_role",
                "aws_iam_policy",
                "aws_iam_instance_profile",
                "aws_iam_user",
                "aws_iam_group",
            ],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        ctx = ic.file_context(self.entity_path)
        if ctx is None:
            return CheckResult.UNKNOWN
        tokens = [str(t) for t in (ctx.get("region_key"), ctx.get("aws_region")) if t]
        if not tokens:
            return CheckResult.UNKNOWN
        self.evaluated_keys = ["name", "name_prefix"]
        name = ic.get(conf, "name")
        prefix = ic.get(conf, "name_prefix")
        for value in (name, prefix):
            if isinstance(value, str) and value and value != ic.UNKNOWN_VALUE and not ic.is_unresolved(value):
                return CheckResult.PASSED if any(t in value for t in tokens) else CheckResult.FAILED
        return CheckResult.PASSED  # generated unique name (or known only after apply)


check_iam_name = IamNameRegionQualified()
