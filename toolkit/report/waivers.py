"""The waivers section of the report: those the findings name, and declared ones that matched nothing.

Each waiver names the controls its checks touch. A waived finding whose check maps to no control
of the catalogue changes no control's status, so it is listed on its own
(:func:`waived_without_control`): "0 met with exception" can then not hide a waiver.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from toolkit.artifacts.findings import WaiverRef
from toolkit.policy.waivers import Waiver, expiry_state, glob_match, in_force_until
from toolkit.report.catalogue import Catalogue
from toolkit.report.inputs import RegionInputs
from toolkit.report.models import WaivedWithoutControl, WaiverInForce


@dataclass
class _Use:
    ref: WaiverRef
    checks: set[str] = field(default_factory=set)
    resources: set[str] = field(default_factory=set)
    scopes: set[str] = field(default_factory=set)
    findings: int = 0


def controls_of(catalogue: Catalogue, check_pattern: str) -> list[str]:
    """Keys of the controls that list a check matching ``check_pattern`` (an id or a glob)."""
    return [c.key for c in catalogue.controls if any(glob_match(check_pattern, x) for x in c.checks)]


def waivers_section(inputs: Sequence[RegionInputs], today: dt.date, declared: Mapping[str, Waiver] | None,
                    within_days: int, catalogue: Catalogue) -> list[WaiverInForce]:
    """Waivers named by the findings, in the state the gate sees them (in force, expiring within
    ``within_days``, or expired / no longer declared), plus declared ones for these scopes that
    matched nothing; each with the controls its checks touch."""
    used: dict[str, _Use] = {}
    for ri in inputs:
        for f in ri.findings.findings:
            if f.waiver is None:
                continue
            use = used.setdefault(f.waiver.id, _Use(f.waiver))
            use.checks.add(f.check_id)
            use.resources.add(f.resource)
            use.scopes.add(ri.scope)
            use.findings += 1
    out: list[WaiverInForce] = []
    for wid, use in sorted(used.items()):
        current = declared.get(wid) if declared is not None else None
        ref = current.ref() if current is not None else use.ref
        touched = sorted({k for check in use.checks for k in controls_of(catalogue, check)})
        out.append(WaiverInForce(id=wid, reason=ref.reason, owner=ref.owner, expires=ref.expires,
                                 state=expiry_state(in_force_until(use.ref, declared), today, within_days),
                                 checks=sorted(use.checks), resources=sorted(use.resources),
                                 scopes=sorted(use.scopes), controls=touched, findings=use.findings))
    for d in (declared or {}).values():
        if d.id in used:
            continue
        scopes = sorted(ri.scope for ri in inputs if d.applies_to(ri.environment, ri.region))
        if not scopes:
            continue
        state = expiry_state(d.expires, today, within_days)
        out.append(WaiverInForce(id=d.id, reason=d.reason, owner=d.owner, expires=d.expires.isoformat(),
                                 state="expired" if state == "expired" else "unused",
                                 checks=[d.check_id], resources=[d.resource], scopes=scopes,
                                 controls=sorted(controls_of(catalogue, d.check_id)), findings=0))
    return sorted(out, key=lambda w: w.id)


def waived_without_control(inputs: Sequence[RegionInputs], catalogue: Catalogue,
                           waivers: Sequence[WaiverInForce]) -> list[WaivedWithoutControl]:
    """Waived findings (as scanned) whose check no control lists, one entry per check and waiver."""
    mapped = catalogue.check_ids()
    states = {w.id: w.state for w in waivers}
    groups: dict[tuple[str, str], tuple[str, list[str], set[str]]] = {}
    for ri in inputs:
        for f in ri.findings.findings:
            if f.waiver is None or f.status != "waived" or f.check_id in mapped:
                continue
            _, resources, scopes = groups.setdefault((f.check_id, f.waiver.id), (f.title, [], set()))
            resources.append(f.resource)
            scopes.add(ri.scope)
    return [
        WaivedWithoutControl(check_id=check, title=title, waiver_id=wid, state=states.get(wid, "expired"),
                             findings=len(resources), resources=sorted(set(resources)), scopes=sorted(scopes))
        for (check, wid), (title, resources, scopes) in sorted(groups.items())
    ]
