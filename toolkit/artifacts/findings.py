"""``findings.json``: the finding model shared by ``infra scan``, ``infra gate`` and the report.

A finding is one check evaluated on one resource of one region: its id, title,
severity (from ``policy/severity.yaml``: checkov reports none offline), where it
is (resource address, file, line), its status (passed / failed / waived) and the
waiver that applied. ``findings.json`` (docs/contracts.md) holds a list of them per
region, and apart from them the inline ``#checkov:skip`` suppressions of our code
(:class:`InlineSkip`, status ``skipped``), each with the waiver that must cover it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from toolkit.artifacts.io import Artifact
from toolkit.errors import UserError

SCHEMA_VERSION: Literal[1] = 1
SEVERITIES: tuple[str, ...] = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO")
Result = Literal["passed", "failed", "waived"]
# hcl: modules/ and terraform/; plan: plan.json (and the module objects it outputs); manifest: the
# rendered manifests and tfvars; repo: the repository's YAML (secrets); policy: policy/ itself.
Source = Literal["plan", "hcl", "manifest", "repo", "policy"]
Mode = Literal["sandbox", "cloud"]

# Not a checkov check: a destroy or replace of a protected resource type in summary.json.
PROTECTED_CHANGE_CHECK = "INFRA_PROTECTED_CHANGE"
PROTECTED_CHANGE_TITLE = "Destroy or replace of a protected resource type"
# Not checkov checks either: the Karpenter objects of the plan differ from the rendered manifests
# (infra scan), a floor of policy/policy.yaml lowered against the base (infra gate).
MANIFEST_DRIFT_CHECK = "INFRA_MANIFEST_DRIFT"
FLOOR_LOWERED_CHECK = "INFRA_FLOOR_LOWERED"


def severity_rank(severity: str) -> int:
    """0 for CRITICAL ... 4 for INFO; higher rank = less severe."""
    try:
        return SEVERITIES.index(severity.upper())
    except ValueError:
        raise UserError(f"unknown severity {severity!r}: expected one of {', '.join(SEVERITIES)}") from None


def at_or_above(severity: str, threshold: str) -> bool:
    return severity_rank(severity) <= severity_rank(threshold)


def checked_severity(value: object) -> str:
    """``value`` upper-cased if it is a severity; ``ValueError`` naming the valid ones otherwise."""
    upper = str(value).upper()
    if upper not in SEVERITIES:
        raise ValueError(f"expected one of {', '.join(SEVERITIES)}, got {value!r}")
    return upper


Severity = Annotated[str, BeforeValidator(checked_severity)]


class WaiverRef(BaseModel):
    """The waiver a finding names, as it was when the scan applied it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    reason: str
    owner: str
    expires: str = Field(description="Expiry date (YYYY-MM-DD) as written in policy/waivers.yaml.")

    @property
    def expires_on(self) -> dt.date | None:
        """The expiry as a date; None when it is not one (such a waiver waives nothing)."""
        try:
            return dt.date.fromisoformat(self.expires[:10])
        except ValueError:
            return None


class _Located(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    check_id: str
    title: str
    severity: Severity
    environment: str
    region: str
    resource: str
    file: str | None = None
    line: int | None = None
    source: Source
    waiver: WaiverRef | None = None

    @property
    def location(self) -> str:
        if self.file and self.line:
            return f"{self.file}:{self.line}"
        return self.file or ""


class Finding(_Located):
    status: Result
    also: tuple[str, ...] = Field(
        default=(), description="Ids of other checks that found the same violation (merged by the gate).")

    @property
    def check_ids(self) -> tuple[str, ...]:
        return (self.check_id, *self.also)

    @property
    def label(self) -> str:
        """``CKV_INFRA_13`` or, merged, ``CKV_INFRA_13 (= CKV_AWS_7)``."""
        return self.check_id + (f" (= {', '.join(self.also)})" if self.also else "")


class InlineSkip(_Located):
    """A ``#checkov:skip=ID:reason`` in our code: checkov skipped the check there. It must be
    covered by a waiver of ``policy/waivers.yaml`` (``waiver``, set by the scan), else the gate fails."""

    status: Literal["skipped"] = "skipped"
    reason: str = Field("", description="The reason written in the skip comment.")


class FindingsDocument(Artifact):
    """``findings.json`` of one region."""

    what: ClassVar[str] = "the findings of `infra scan`"
    written_by: ClassVar[str] = "infra scan"

    schema_version: Literal[1] = SCHEMA_VERSION
    mode: Mode | None = None
    environment: str
    region: str
    inputs: dict[str, str] = Field(default_factory=dict, description="Scanned file -> sha256.")
    checkov_version: str
    findings: list[Finding]
    skipped: list[InlineSkip] = Field(default_factory=list, description="Inline skips of our code.")
