"""``policy/policy.yaml``: knobs of the custom checks (passed to them as context), the floors a
change cannot lower, and the rules every waiver must follow."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from toolkit.policy.files import read_policy_file

# An e-mail address or a team handle (@team, @org/team).
OWNER_PATTERN = r"^(?:@[A-Za-z0-9][A-Za-z0-9_.-]*(?:/[A-Za-z0-9][A-Za-z0-9_.-]*)?|[^@\s]+@[^@\s]+\.[A-Za-z]{2,})$"


class WaiverRules(BaseModel):
    """``waiver_rules``: what every waiver of ``policy/waivers.yaml`` must satisfy (``infra gate``
    fails naming the waiver and the rule it breaks)."""

    model_config = ConfigDict(extra="forbid")

    max_lifetime_days: int = Field(180, gt=0, description="expires - created, at most.")
    owner_pattern: str = Field(OWNER_PATTERN, description="A named owner: an e-mail address or @team.")
    placeholder_owners: list[str] = Field(
        ["tbd", "todo", "tba", "unknown", "none", "n/a", "na", "nobody", "owner", "team", "-"],
        description="Owners that name nobody (compared case-insensitively, with and without a leading @).")
    wildcards_in_strict: bool = Field(
        False, description="Whether a waiver that applies to a strict environment may use a glob check id or "
        "a glob over the resource outside its index brackets.")

    @field_validator("owner_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value


# Floors: minimums, except the keys starting with ``max_`` (ceilings: a larger value is weaker).
Floors = dict[str, dict[str, float]]


FLOOR_KEYS = frozenset({"min_on_demand_share", "log_retention_days", "secret_recovery_window_days",
                        "max_secret_rotation_days", "min_kms_deletion_window_days"})


def is_ceiling(key: str) -> bool:
    return key.startswith("max_")


class PolicySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    strict_environments: list[str] = ["prod"]
    required_tags: list[str] = ["owner", "cost-center", "data-classification", "environment"]
    max_secret_rotation_days: int = Field(90, gt=0)
    min_kms_deletion_window_days: int = Field(30, ge=7, le=30)
    expiring_within_days: int = Field(30, ge=0, description="Gate and report list waivers expiring this soon.")
    floors: Floors = Field(default_factory=dict, description="Per environment: floors the checks apply.")
    waiver_rules: WaiverRules = Field(default_factory=WaiverRules)

    @field_validator("floors")
    @classmethod
    def _known_floors(cls, value: Floors) -> Floors:
        for env, entry in value.items():
            unknown = sorted(set(entry) - FLOOR_KEYS)
            if unknown:  # a misspelt key would switch its floor off silently
                known = ", ".join(sorted(FLOOR_KEYS))
                raise ValueError(f"{env}: unknown floor(s) {', '.join(unknown)}; known: {known}")
        return value

    def check_context(self) -> dict[str, object]:
        """What the checks read (``context["policy"]``): everything but the gate's waiver rules."""
        return self.model_dump(exclude={"waiver_rules"})


def load_policy_settings(path: Path) -> PolicySettings:
    return read_policy_file(path, PolicySettings)


def lowered_floors(base: Floors, current: Floors, environment: str) -> list[tuple[str, float, float | None]]:
    """The floors of ``environment`` that ``current`` weakens against ``base``: (key, base value,
    current value or None when removed). A minimum decreased, a ceiling (``max_*``) raised."""
    before, after = base.get(environment) or {}, current.get(environment) or {}
    out: list[tuple[str, float, float | None]] = []
    for key in sorted(before):
        now = after.get(key)
        if now is None or (now > before[key] if is_ceiling(key) else now < before[key]):
            out.append((key, before[key], now))
    return out
