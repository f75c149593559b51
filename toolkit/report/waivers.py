"""The waivers section of the report: those the findings name, and declared ones that matched nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from toolkit.artifacts.findings import WaiverRef
from toolkit.policy.waivers import Waiver, expiry_state, in_force_until
from toolkit.report.inputs import RegionInputs
from toolkit.report.models import WaiverInForce


@dataclass
class _Use:
    ref: WaiverRef
    checks: set[str] = field(default_factory=set)
    resources: set[str] = field(default_factory=set)
    scopes: set[str] = field(default_factory=set)


def waivers_section(inputs: Sequence[RegionInputs], today: dt.date, declared: Mapping[str, Waiver] | None,
                    within_days: int) -> list[WaiverInForce]:
    """Waivers named by the findings, in the state the gate sees them (in force, expiring within
    ``within_days``, or expired / no longer declared), plus declared ones for these scopes that
    matched nothing."""
    used: dict[str, _Use] = {}
    for ri in inputs:
        for f in ri.findings.findings:
            if f.waiver is None:
                continue
            use = used.setdefault(f.waiver.id, _Use(f.waiver))
            use.checks.add(f.check_id)
            use.resources.add(f.resource)
            use.scopes.add(ri.scope)
    out: list[WaiverInForce] = []
    for wid, use in sorted(used.items()):
        current = declared.get(wid) if declared is not None else None
        ref = current.ref() if current is not None else use.ref
        out.append(WaiverInForce(id=wid, reason=ref.reason, owner=ref.owner, expires=ref.expires,
                                 state=expiry_state(in_force_until(use.ref, declared), today, within_days),
                                 checks=sorted(use.checks), resources=sorted(use.resources),
                                 scopes=sorted(use.scopes)))
    for d in (declared or {}).values():
        if d.id in used:
            continue
        scopes = sorted(ri.scope for ri in inputs if d.applies_to(ri.environment, ri.region))
        if not scopes:
            continue
        state = expiry_state(d.expires, today, within_days)
        out.append(WaiverInForce(id=d.id, reason=d.reason, owner=d.owner, expires=d.expires.isoformat(),
                                 state="expired" if state == "expired" else "unused",
                                 checks=[d.check_id], resources=[d.resource], scopes=scopes))
    return sorted(out, key=lambda w: w.id)
