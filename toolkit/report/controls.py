"""The status of each control in each region, from the findings of its checks."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence

from toolkit.artifacts.summary import Summary as PlanSummary
from toolkit.policy.waivers import Waiver, effective_status
from toolkit.report.catalogue import Control
from toolkit.report.inputs import RegionInputs
from toolkit.report.models import STATUS_RANK, ControlResult, Evidence, Status


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort "A.8.9" before "A.8.15" and "Art. 25" before "Art. 44"."""
    parts = re.findall(r"\d+|[^\d]+", text)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


def _in_scope(control: Control, summary: PlanSummary) -> list[str]:
    if not control.applies_to:
        return []
    wanted = set(control.applies_to)
    return sorted({c.address for c in summary.changes if c.type in wanted and c.action != "delete"})


def evaluate(control: Control, ri: RegionInputs, today: dt.date,
             declared: Mapping[str, Waiver] | None = None) -> ControlResult:
    """Status of one control in one region. A waived finding counts as waived only while its
    waiver is in force (``declared``: the current policy/waivers.yaml, as the gate judges it)."""
    checks = set(control.checks)
    evidence: list[Evidence] = []
    expired: list[str] = []
    for f in sorted((f for f in ri.findings.findings if f.check_id in checks),
                    key=lambda f: (f.check_id, f.resource, f.file or "", f.line or 0)):
        effective = effective_status(f, declared, today)
        if f.status == "waived" and effective == "failed":
            expired.append(f.waiver.id if f.waiver else f"{f.check_id} on {f.resource}")
        evidence.append(Evidence(
            check_id=f.check_id, title=f.title, severity=f.severity, result=f.status,
            effective_result=effective, resource=f.resource, file=f.file, line=f.line,
            source=f.source, waiver_id=f.waiver.id if f.waiver else None,
        ))
    in_scope = _in_scope(control, ri.summary)
    failed = [e for e in evidence if e.effective_result == "failed"]
    waived = [e for e in evidence if e.effective_result == "waived"]
    status: Status
    if not evidence:
        if in_scope:
            status = "not_met"
            reason = (f"no result for {', '.join(control.checks)} although {len(in_scope)} "
                      f"in-scope resource(s) are planned: evidence is missing")
        else:
            status = "not_applicable"
            kinds = ", ".join(control.applies_to) if control.applies_to else "the checked resources"
            reason = f"no {kinds} planned in this region and no result for its checks"
    elif failed:
        status = "not_met"
        ids = sorted({e.check_id for e in failed})
        reason = f"{len(failed)} failed result(s) of {', '.join(ids)}"
        if expired:
            reason += f"; expired or invalid waiver(s): {', '.join(sorted(set(expired)))}"
    elif waived:
        status = "met_with_exception"
        ids = sorted({e.waiver_id or "" for e in waived})
        reason = f"{len(waived)} failed result(s) covered by waiver(s) {', '.join(ids)}"
    else:
        status = "met"
        reason = f"{len(evidence)} passed result(s) on {len({e.resource for e in evidence})} resource(s)"
    return ControlResult(environment=ri.environment, region=ri.region, status=status,
                         reason=reason, in_scope_resources=in_scope, evidence=evidence)


def overall_status(results: Sequence[ControlResult]) -> Status:
    applicable = [r.status for r in results if r.status != "not_applicable"]
    if not applicable:
        return "not_applicable"
    return min(applicable, key=lambda s: STATUS_RANK[s])
