"""``policy/severity.yaml``: the severity of each check (checkov reports none offline)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from toolkit.artifacts.findings import Severity, checked_severity
from toolkit.errors import UserError
from toolkit.policy.files import read_policy_file


class SeverityMap(BaseModel):
    """``default`` for unknown checks, ``checks: {ID: SEVERITY}``."""

    model_config = ConfigDict(extra="forbid")

    default: Severity = "MEDIUM"
    checks: dict[str, Severity] = {}

    def severity_of(self, check_id: str) -> str:
        return self.checks.get(check_id, self.default)


def load_severity_map(path: Path, default: str | None = None) -> SeverityMap:
    """Read the severity map; ``default`` (e.g. from ``--default-severity``) overrides the file's."""
    smap = read_policy_file(path, SeverityMap)
    if default is not None:
        try:
            smap = smap.model_copy(update={"default": checked_severity(default)})
        except ValueError as exc:
            raise UserError(f"default severity: {exc}") from None
    return smap
