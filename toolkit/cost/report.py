"""cost.json: the priced NodePools of one region, beside the other artifacts."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from toolkit.cost.budget import breaches, budget_json
from toolkit.cost.model import FillRange, RegionCost, UsdRange
from toolkit.fsutil import atomic_write_json
from toolkit.settings.models import CostBudget

SCHEMA_VERSION = 1
FILE = "cost.json"


def _money(value: float) -> float:
    return round(value, 2)


def _range(value: UsdRange | None) -> dict[str, float] | None:
    return None if value is None else {"low": _money(value.low), "high": _money(value.high)}


def _fills(value: FillRange | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {end: {"instance_type": f.instance_type, "instances": f.instances, "binding": f.binding,
                  "usd_per_hour": f.usd_per_hour, "monthly_usd": _money(f.monthly_usd)}
            for end, f in (("low", value.low), ("high", value.high))}


def region_json(cost: RegionCost, budget: CostBudget | None = None) -> dict[str, Any]:
    """The document written to cost.json (and printed by ``infra cost --json``), with the budget check."""
    snap = cost.snapshot
    found = breaches(budget, cost) if budget is not None else []
    return {
        "budget": budget_json(budget) if budget is not None else None,
        "breaches": [b.to_dict() for b in found],
        "schema_version": SCHEMA_VERSION,
        "environment": cost.environment,
        "region": cost.region,
        "aws_region": cost.aws_region,
        "hours_per_month": cost.hours_per_month,
        "currency": "USD",
        "snapshot": {"origin": snap.origin, "sha256": snap.sha256, "assembled": snap.assembled,
                     "sources": [dataclasses.asdict(s) for s in snap.sources]},
        "nodepools": [
            {"nodepool": n.nodepool, "pool": n.pool, "kind": n.kind, "capacity_types": list(n.capacity_types),
             "families": list(n.families), "limits": dataclasses.asdict(n.limits),
             "instance_types": list(n.instance_types), "unlisted_families": list(n.unlisted_families),
             "on_demand": _fills(n.on_demand), "spot": _fills(n.spot), "reserved": _fills(n.reserved),
             "ceiling_usd": _money(n.ceiling_usd), "ceiling_basis": n.ceiling_basis, "caveats": list(n.caveats)}
            for n in cost.nodepools
        ],
        "pools": [
            {"pool": p.pool, "policy": p.policy, "spot_share": p.spot_share, "nodepools": list(p.nodepools),
             "expected": _range(p.expected), "all_on_demand": _range(p.all_on_demand), "savings": _range(p.savings),
             "savings_percent": round(p.savings_percent, 1)}
            for p in cost.pools
        ],
        "totals": {"ceiling_usd": _money(cost.ceiling_usd), "gpu_ceiling_usd": _money(cost.gpu_ceiling_usd),
                   "expected": _range(cost.expected), "all_on_demand": _range(cost.all_on_demand),
                   "savings": _range(cost.savings)},
    }


def write(cost: RegionCost, directory: Path, budget: CostBudget | None = None) -> Path:
    path = Path(directory) / FILE
    atomic_write_json(path, region_json(cost, budget))
    return path
