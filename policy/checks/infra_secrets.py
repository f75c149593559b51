"""Secrets Manager: our CMK for the secret and its replicas, rotation within the limit."""

from __future__ import annotations

import re
from typing import Any

import infra_common as ic
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


def _is_cmk(value: Any) -> bool | None:
    if value is None or value == "":
        return False
    if not isinstance(value, str):
        return None
    if value == ic.UNKNOWN_VALUE:
        return True  # a key created in the same plan: known after apply, never the AWS managed key
    if ic.is_unresolved(value):
        return True if value.startswith(("aws_kms", "module.", "var.")) else None
    return not value.endswith("alias/aws/secretsmanager")


class SecretUsesCmk(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Secrets and their replicas are encrypted with a customer managed KMS key",
            id="CKV_INFRA_8",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=["aws_secretsmanager_secret"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["kms_key_id", "replica/[0]/kms_key_id"]
        verdicts = [_is_cmk(ic.get(conf, "kms_key_id"))]
        for replica in ic.blocks(conf.get("replica")):
            verdicts.append(_is_cmk(ic.get(replica, "kms_key_id")))
        if False in verdicts:
            return CheckResult.FAILED
        if None in verdicts:
            return CheckResult.UNKNOWN
        return CheckResult.PASSED


_RATE = re.compile(r"^rate\(\s*(\d+)\s+(day|days|hour|hours)\s*\)$")


class SecretRotationPeriod(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Secrets rotate at least every 90 days",
            id="CKV_INFRA_15",
            categories=[CheckCategories.SECRETS],
            supported_resources=["aws_secretsmanager_secret_rotation"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        limit = float(ic.policy()["max_secret_rotation_days"])
        self.evaluated_keys = ["rotation_rules/[0]/automatically_after_days", "rotation_rules/[0]/schedule_expression"]
        days = ic.get(conf, "rotation_rules", "automatically_after_days")
        schedule = ic.get(conf, "rotation_rules", "schedule_expression")
        if ic.is_unresolved(days) or ic.is_unresolved(schedule):
            return CheckResult.UNKNOWN
        number = ic.as_number(days)
        if number is not None and number > 0:
            return CheckResult.PASSED if number <= limit else CheckResult.FAILED
        if isinstance(schedule, str) and schedule:
            match = _RATE.match(schedule.strip())
            if match:
                amount = float(match.group(1)) / (24 if match.group(2).startswith("hour") else 1)
                return CheckResult.PASSED if amount <= limit else CheckResult.FAILED
            return CheckResult.PASSED if schedule.startswith("cron(") else CheckResult.FAILED
        return CheckResult.FAILED


check_cmk = SecretUsesCmk()
check_rotation = SecretRotationPeriod()
