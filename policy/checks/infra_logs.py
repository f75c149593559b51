"""CloudWatch log groups (control-plane logs, VPC flow logs) keep logs for the environment's floor."""

from __future__ import annotations

from typing import Any

import infra_common as ic
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class LogRetentionFloor(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="CloudWatch log groups keep logs at least as long as the environment's floor",
            id="CKV_INFRA_33",
            categories=[CheckCategories.LOGGING],
            supported_resources=["aws_cloudwatch_log_group"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Floor ``log_retention_days`` of the environment (policy floors); never-expire (``0`` or no
        value) meets any floor. Without a known environment, a retention below every environment's
        floor still fails."""
        self.evaluated_keys = ["retention_in_days"]
        value = ic.get(conf, "retention_in_days")
        if value is None:
            return CheckResult.PASSED  # never expire
        days = ic.as_number(value)
        if days is None:
            return CheckResult.UNKNOWN
        if days == 0:
            return CheckResult.PASSED
        env = ic.environment(conf, ic.file_context(self.entity_path))
        verdict = ic.below_floor(days, env, "log_retention_days")
        if verdict is None:
            return CheckResult.UNKNOWN
        return CheckResult.FAILED if verdict else CheckResult.PASSED


check_retention = LogRetentionFloor()
