"""Secrets Manager: our CMK for the secret and its replicas, rotation within the limit, a recovery
window not below the environment's floor."""

from __future__ import annotations

import re
from itertools import pairwise
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


_RATE = re.compile(r"^rate\(\s*(\d+)\s+(day|days|hour|hours)\s*\)$", re.IGNORECASE)
_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTHS = {name: i + 1 for i, name in enumerate(_MONTH_NAMES)}


def _month(token: str) -> int | None:
    token = token.strip().upper()
    if token.isdigit() and 1 <= int(token) <= 12:
        return int(token)
    return _MONTHS.get(token)


def _months(field: str) -> set[int] | None:
    """The months a cron month field selects; None when it cannot be read."""
    selected: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            return None
        if base in ("*", "?"):
            lo, hi = 1, 12
        elif "-" in base:
            lo_text, _, hi_text = base.partition("-")
            lo_m, hi_m = _month(lo_text), _month(hi_text)
            if lo_m is None or hi_m is None or hi_m < lo_m:
                return None
            lo, hi = lo_m, hi_m
        else:
            single = _month(base)
            if single is None:
                return None
            lo, hi = single, (12 if step else single)
        selected.update(range(lo, hi + 1, step or 1))
    return selected or None


def _cron_within(expression: str, limit_days: float) -> bool:
    """Whether ``cron(min hour day-of-month month day-of-week year)`` fires at least every ``limit_days``.

    Only the month and year fields can stretch the period past a month: a fixed year runs
    out, and the longest gap between selected months counts as that many average months
    (quarterly is ~91 days, over a 90-day limit). A field we cannot read passes.
    """
    fields = expression.strip()[len("cron(") : -1].split()
    if len(fields) != 6:
        return True
    month_field, year_field = fields[3], fields[5]
    if year_field.isdigit():
        return False
    months = _months(month_field)
    if months is None:
        return True
    ordered = sorted(months)
    gaps = [b - a for a, b in pairwise(ordered)] + [12 - ordered[-1] + ordered[0]]
    return max(gaps) * 365 / 12 <= limit_days


def _schedule_within(schedule: str, limit_days: float) -> bool | None:
    """Verdict on a schedule expression; None when it is not a known form."""
    text = schedule.strip()
    match = _RATE.match(text)
    if match:
        days = float(match.group(1)) / (24 if match.group(2).lower().startswith("hour") else 1)
        return days <= limit_days
    if text.startswith("cron(") and text.endswith(")"):
        return _cron_within(text, limit_days)
    return None


def _known(value: Any) -> bool:
    return value is not None and value != "" and value != ic.UNKNOWN_VALUE and not ic.is_unresolved(value)


class SecretRotationPeriod(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Secrets rotate at least every 90 days",
            id="CKV_INFRA_15",
            categories=[CheckCategories.SECRETS],
            supported_resources=["aws_secretsmanager_secret_rotation"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """checkov's plan parser fills a null attribute with its config text (``each.value.x``):
        such a value is skipped, and the result is UNKNOWN only when neither attribute is known."""
        limit = float(ic.policy()["max_secret_rotation_days"])
        env_limit = ic.env_floor(ic.environment(conf, ic.file_context(self.entity_path)), "max_secret_rotation_days")
        if env_limit is not None:
            limit = min(limit, env_limit)  # the environment's floor can only make it stricter
        self.evaluated_keys = ["rotation_rules/[0]/automatically_after_days", "rotation_rules/[0]/schedule_expression"]
        days = ic.get(conf, "rotation_rules", "automatically_after_days")
        schedule = ic.get(conf, "rotation_rules", "schedule_expression")
        verdicts: list[bool] = []
        if _known(days):
            number = ic.as_number(days)
            if number is not None and number > 0:
                verdicts.append(number <= limit)
        if _known(schedule):
            verdict = _schedule_within(schedule, limit) if isinstance(schedule, str) else None
            verdicts.append(bool(verdict))  # an unknown expression form is not a rotation period
        if verdicts:
            return CheckResult.PASSED if all(verdicts) else CheckResult.FAILED
        if any(v is not None and v != "" and not _known(v) for v in (days, schedule)):
            return CheckResult.UNKNOWN
        return CheckResult.FAILED


class SecretRecoveryWindow(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Secrets keep a recovery window not below the environment's floor (0 deletes at once)",
            id="CKV_INFRA_21",
            categories=[CheckCategories.BACKUP_AND_RECOVERY],
            supported_resources=["aws_secretsmanager_secret"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Floor ``secret_recovery_window_days`` of the environment; without a known environment a
        window below every environment's floor (``0``: no recovery at all) still fails."""
        self.evaluated_keys = ["recovery_window_in_days"]
        value = ic.get(conf, "recovery_window_in_days")
        if value is None:
            return CheckResult.PASSED  # provider default: 30 days, the longest AWS allows
        days = ic.as_number(value)
        if days is None:
            return CheckResult.UNKNOWN
        env = ic.environment(conf, ic.file_context(self.entity_path))
        verdict = ic.below_floor(days, env, "secret_recovery_window_days")
        if verdict is None:
            return CheckResult.UNKNOWN
        return CheckResult.FAILED if verdict else CheckResult.PASSED


check_cmk = SecretUsesCmk()
check_rotation = SecretRotationPeriod()
check_recovery_window = SecretRecoveryWindow()
