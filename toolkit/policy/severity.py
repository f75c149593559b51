"""``policy/severity.yaml``: the severity of each check (checkov reports none offline).

Fail closed: a check that is not listed takes ``default`` (HIGH: it blocks at the gate's default
threshold). A check kept below that on purpose is listed under ``lowered`` with the reason;
``checks`` raises or pins the others. ``same_as`` names checks that find the same violation
(one of ours and a built-in on the same resource): the gate reports such findings once, with
both ids, at the higher severity.

```yaml
default: HIGH
checks:
  CKV_INFRA_13: HIGH
lowered:
  CKV_AWS_144: {severity: LOW, reason: "state stays in its residency zone; no cross-region replication"}
same_as:
  CKV_INFRA_13: [CKV_AWS_7]
```
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from toolkit.artifacts.findings import Severity, checked_severity, severity_rank
from toolkit.errors import UserError
from toolkit.policy.files import read_policy_file


class Lowered(BaseModel):
    """A check kept below ``default`` on purpose."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    severity: Severity
    reason: str = Field(min_length=10, description="Why this check is not to block a merge.")

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if len(value.strip()) < 10:
            raise ValueError("give the reason in words (10 characters at least)")
        return value.strip()


class SeverityMap(BaseModel):
    """``default`` for unlisted checks, ``checks: {ID: SEVERITY}``, ``lowered: {ID: {severity,
    reason}}``, ``same_as: {ID: [ID, ...]}``."""

    model_config = ConfigDict(extra="forbid")

    default: Severity = "HIGH"
    checks: dict[str, Severity] = {}
    lowered: dict[str, Lowered] = {}
    same_as: dict[str, list[str]] = {}

    @model_validator(mode="after")
    def _consistent(self) -> SeverityMap:
        both = sorted(set(self.checks) & set(self.lowered))
        if both:
            raise ValueError(f"listed in both checks and lowered: {', '.join(both)}")
        for check_id, entry in self.lowered.items():
            if severity_rank(entry.severity) <= severity_rank(self.default):
                raise ValueError(f"lowered.{check_id}: {entry.severity} is not below the default {self.default}")
        seen: dict[str, str] = {}
        for key, others in self.same_as.items():
            for member in (key, *others):
                if member in seen and seen[member] != key:
                    raise ValueError(f"same_as: {member} is in the groups of {seen[member]} and {key}")
                seen[member] = key
        return self

    def severity_of(self, check_id: str) -> str:
        if check_id in self.checks:
            return self.checks[check_id]
        entry = self.lowered.get(check_id)
        return entry.severity if entry is not None else self.default

    def groups(self) -> dict[str, str]:
        """Each check id of ``same_as`` -> the id of its group (the key it is listed under)."""
        return {member: key for key, others in self.same_as.items() for member in (key, *others)}


def load_severity_map(path: Path, default: str | None = None) -> SeverityMap:
    """Read the severity map; ``default`` (e.g. from ``--default-severity``) overrides the file's."""
    smap = read_policy_file(path, SeverityMap)
    if default is not None:
        try:
            smap = smap.model_copy(update={"default": checked_severity(default)})
        except ValueError as exc:
            raise UserError(f"default severity: {exc}") from None
    return smap
