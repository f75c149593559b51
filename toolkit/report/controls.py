"""The status of each control in each region, from the findings of its checks."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence

from toolkit.artifacts.findings import Finding
from toolkit.policy.waivers import Waiver, effective_status
from toolkit.report.catalogue import Control
from toolkit.report.inputs import RegionInputs
from toolkit.report.locate import Locator, needs_location
from toolkit.report.models import STATUS_RANK, ControlResult, Evidence, Status


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort "A.8.9" before "A.8.15" and "Art. 25" before "Art. 44"."""
    parts = re.findall(r"\d+|[^\d]+", text)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


def _in_scope(control: Control, ri: RegionInputs) -> list[str]:
    """Planned resources of the control's Terraform types, and manifest objects of its kinds."""
    if not control.applies_to:
        return []
    wanted = set(control.applies_to)
    planned = {c.address for c in ri.summary.changes if c.type in wanted and c.action != "delete"}
    rendered = {o.resource for o in ri.manifests if o.kind in wanted}
    return sorted(planned | rendered)


def _where(f: Finding, locator: Locator | None) -> tuple[str | None, int | None, str | None]:
    """(file, line, scanned): plan results traced to the resource block in our modules."""
    if locator is None or not needs_location(f):
        return f.file, f.line, None
    found = locator.locate(f.resource)
    if found is None:
        return f.file, f.line, None
    return found[0], found[1], f.file


def evaluate(control: Control, ri: RegionInputs, today: dt.date,
             declared: Mapping[str, Waiver] | None = None, locator: Locator | None = None) -> ControlResult:
    """Status of one control in one region. A waived finding counts as waived only while its
    waiver is in force (``declared``: the current policy/waivers.yaml, as the gate judges it).
    ``locator`` traces plan results to ``file:line`` of our modules."""
    checks = set(control.checks)
    in_scope_kinds = set(control.applies_to)
    objects = {o.resource: o for o in ri.manifests if o.kind in in_scope_kinds}
    module_objects = {o.resource: o for o in ri.module_objects if o.kind in in_scope_kinds}
    evidence: list[Evidence] = []
    expired: list[str] = []
    for f in sorted((f for f in ri.findings.findings if f.check_id in checks),
                    key=lambda f: (f.check_id, f.resource, f.file or "", f.line or 0)):
        effective = effective_status(f, declared, today)
        if f.status == "waived" and effective == "failed":
            expired.append(f.waiver.id if f.waiver else f"{f.check_id} on {f.resource}")
        file, line, scanned = _where(f, locator)
        obj = objects.get(f.resource) if f.source == "manifest" else module_objects.get(f.resource)
        detail = None
        if obj is not None and obj.kind == "EC2NodeClass":
            at = f" (line {obj.volumes_line})" if obj.volumes_line else ""
            detail = f"blockDeviceMappings{at}: {obj.volumes_text()}"
        evidence.append(Evidence(
            check_id=f.check_id, title=f.title, severity=f.severity, result=f.status,
            effective_result=effective, resource=f.resource, file=file, line=line, scanned=scanned,
            source=f.source, waiver_id=f.waiver.id if f.waiver else None, detail=detail,
        ))
    in_scope = _in_scope(control, ri)
    failed = [e for e in evidence if e.effective_result == "failed"]
    waived = [e for e in evidence if e.effective_result == "waived"]
    status: Status
    if not evidence:
        if in_scope:
            status = "not_met"
            reason = (f"no result for {', '.join(control.checks)} although {len(in_scope)} "
                      f"in-scope resource(s) are planned or rendered: evidence is missing")
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
    nodeclasses = [o for o in objects.values() if o.kind == "EC2NodeClass"]
    if nodeclasses:
        volumes = sum(len(o.volumes) for o in nodeclasses)
        reason += (f"; node volumes: {volumes} EBS volume(s) in the blockDeviceMappings of "
                   f"{len(nodeclasses)} EC2NodeClass(es)")
    return ControlResult(environment=ri.environment, region=ri.region, status=status,
                         reason=reason, in_scope_resources=in_scope, evidence=evidence)


def overall_status(results: Sequence[ControlResult]) -> Status:
    applicable = [r.status for r in results if r.status != "not_applicable"]
    if not applicable:
        return "not_applicable"
    return min(applicable, key=lambda s: STATUS_RANK[s])
