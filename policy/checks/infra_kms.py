"""KMS keys: rotation on; deletion window of at least 30 days in strict environments (and not
below the environment's floor)."""

from __future__ import annotations

from typing import Any

import infra_common as ic
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class KmsRotation(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="KMS keys have automatic rotation enabled",
            id="CKV_INFRA_13",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=["aws_kms_key"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["enable_key_rotation"]
        spec = ic.get(conf, "customer_master_key_spec")
        if isinstance(spec, str) and spec not in ("SYMMETRIC_DEFAULT", ic.UNKNOWN_VALUE) and not ic.is_unresolved(spec):
            return CheckResult.UNKNOWN  # asymmetric and HMAC keys cannot rotate
        value = ic.get(conf, "enable_key_rotation")
        if value is None:
            return CheckResult.FAILED
        flag = ic.as_bool(value)
        if flag is None:
            return CheckResult.UNKNOWN
        return CheckResult.PASSED if flag else CheckResult.FAILED


class KmsDeletionWindow(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="KMS keys keep a deletion window of at least 30 days in strict environments",
            id="CKV_INFRA_14",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=["aws_kms_key", "aws_kms_replica_key"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Strict environments: ``min_kms_deletion_window_days``; an environment with a floor of its
        own (policy floors) also that floor, the stricter of the two where both apply."""
        env = ic.environment(conf, ic.file_context(self.entity_path))
        if env is None:
            return CheckResult.UNKNOWN
        minimums = [ic.env_floor(env, "min_kms_deletion_window_days")]
        if ic.is_strict(env):
            minimums.append(float(ic.policy()["min_kms_deletion_window_days"]))
        known = [m for m in minimums if m is not None]
        if not known:
            return CheckResult.PASSED
        self.evaluated_keys = ["deletion_window_in_days"]
        value = ic.get(conf, "deletion_window_in_days")
        if value is None:
            return CheckResult.PASSED  # provider default: 30 days
        days = ic.as_number(value)
        if days is None:
            return CheckResult.UNKNOWN
        return CheckResult.PASSED if days >= max(known) else CheckResult.FAILED


check_rotation = KmsRotation()
check_window = KmsDeletionWindow()
