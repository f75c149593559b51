"""What the gate read and what it decided (the outputs render this)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.artifacts.bundle import BUNDLE_DIR, digest_if_present
from toolkit.artifacts.findings import Finding, FindingsDocument, InlineSkip
from toolkit.artifacts.summary import Change, Status, Summary
from toolkit.policy.waivers import RuleViolation, Waiver, WaiverChange


@dataclass
class RegionArtifacts:
    region: str
    path: Path
    summary: Summary | None
    status: Status | None
    findings: FindingsDocument | None
    problems: list[str] = field(default_factory=list)

    @property
    def aws_region(self) -> str:
        return self.summary.aws_region if self.summary else ""

    @property
    def mode(self) -> str:
        if self.summary:
            return self.summary.mode
        return (self.findings.mode if self.findings else None) or ""

    @property
    def bundle_digest(self) -> str | None:
        """The digest of the region's plan bundle (what `infra apply --approved` accepts), if it has one."""
        return digest_if_present(self.path / BUNDLE_DIR)

    @property
    def all_findings(self) -> list[Finding]:
        return self.findings.findings if self.findings else []

    @property
    def skipped(self) -> list[InlineSkip]:
        return self.findings.skipped if self.findings else []


class ProtectedChange(Change):
    """A destroy or replace of a protected type that no waiver covers."""

    region: str


@dataclass
class GateDecision:
    environment: str
    threshold: str
    passed: bool
    reason: str
    regions: list[RegionArtifacts]
    blocking: list[Finding]
    residency: list[Finding]
    protected: list[ProtectedChange]
    expired: list[Finding]
    waived: list[Finding]
    stale_waivers: list[Waiver]
    expiring_waivers: list[Waiver]
    checkov_version: str = ""
    skipped: list[InlineSkip] = field(default_factory=list)  # inline skips, each once
    unwaived_skips: list[InlineSkip] = field(default_factory=list)  # of those, without a live waiver
    rule_violations: list[RuleViolation] = field(default_factory=list)  # policy.yaml: waiver_rules
    waiver_changes: list[WaiverChange] | None = None  # against the base; None: no base given
    policy_findings: list[Finding] = field(default_factory=list)  # INFRA_FLOOR_LOWERED (policy.yaml vs base)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.regions for f in r.all_findings] + self.policy_findings

    def to_dict(self) -> dict[str, Any]:
        """``gate-ENV.json``."""
        return {
            "schema_version": 1,
            "environment": self.environment,
            "passed": self.passed,
            "exit_code": self.exit_code,
            "reason": self.reason,
            "threshold": self.threshold,
            "regions": [
                {
                    "region": r.region,
                    "aws_region": r.aws_region,
                    "mode": r.mode,
                    "bundle_digest": r.bundle_digest,
                    "plan_counts": r.summary.counts.model_dump() if r.summary else None,
                    "findings": dict(Counter([f.status for f in r.findings.findings] + [s.status for s in r.skipped]))
                    if r.findings else None,
                    "problems": r.problems,
                }
                for r in self.regions
            ],
            "blocking": [f.model_dump(mode="json") for f in self.blocking],
            "residency": [f.model_dump(mode="json") for f in self.residency],
            "protected_changes_unwaived": [c.model_dump(mode="json") for c in self.protected],
            "expired_waivers": sorted({f.waiver.id for f in self.expired if f.waiver}),
            "waived": [f.model_dump(mode="json") for f in self.waived],
            "stale_waivers": [w.model_dump(mode="json") for w in self.stale_waivers],
            "expiring_waivers": [w.model_dump(mode="json") for w in self.expiring_waivers],
            "policy_findings": [f.model_dump(mode="json") for f in self.policy_findings],
            "skipped": [s.model_dump(mode="json") for s in self.skipped],
            "unwaived_skips": [s.model_dump(mode="json") for s in self.unwaived_skips],
            "waiver_rule_violations": [
                {"waiver": v.waiver, "rule": v.rule, "detail": v.detail} for v in self.rule_violations
            ],
            "waiver_changes": None if self.waiver_changes is None else [
                {"change": c.kind, "id": c.waiver.id, "fields": list(c.fields),
                 "waiver": c.waiver.model_dump(mode="json")}
                for c in self.waiver_changes
            ],
        }
