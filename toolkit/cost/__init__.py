"""What it costs: spend ceilings per Karpenter NodePool and what a change does to them.

The interface the budget gate and the PR comment use::

    ceilings(project, env, region) -> RegionCost      # one region, priced
    environment(project, env, regions) -> EnvironmentCost
    diff(before, after) -> list[CostChange]          # RegionCost or several of them

Everything is offline: prices come from the snapshot in the user cache (``infra prices
refresh``) or the one bundled with the toolkit (see ``toolkit.cost.snapshot``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from toolkit.cost import snapshot as snapshots
from toolkit.cost.ceiling import price_inputs
from toolkit.cost.diff import diff
from toolkit.cost.model import (
    HOURS_PER_MONTH,
    CostChange,
    EnvironmentCost,
    Fill,
    FillRange,
    Limits,
    NodePoolCost,
    PoolMix,
    RegionCost,
    SnapshotInfo,
    SourceInfo,
    UsdRange,
    usd,
)
from toolkit.cost.snapshot import Snapshot
from toolkit.settings import Project, stack_inputs


def ceilings(project: Project, env: str, region: str, snapshot: Snapshot | None = None) -> RegionCost:
    """The NodePool ceilings of ``env``/``region`` of ``project`` (UserError on unknown names)."""
    cfg = project.region(env, region)
    snap = snapshot if snapshot is not None else snapshots.load()
    return price_inputs(stack_inputs(cfg, project.catalog), snap, source=str(cfg.source_files[-1]))


def environment(project: Project, env: str, regions: list[str] | None = None,
                snapshot: Snapshot | None = None) -> EnvironmentCost:
    """Every region of ``env`` (or the given ones), priced with one snapshot."""
    snap = snapshot if snapshot is not None else snapshots.load()
    names = regions if regions is not None else sorted(project.environment(env).regions)
    return EnvironmentCost(environment=env, regions=tuple(ceilings(project, env, r, snap) for r in names))


def from_inputs(inputs: Mapping[str, Any], snapshot: Snapshot | None = None, source: str = "inputs") -> RegionCost:
    """Price rendered stack inputs (a ``terraform.tfvars.json`` document)."""
    return price_inputs(inputs, snapshot if snapshot is not None else snapshots.load(), source)


def load_snapshot(path: Path | None = None) -> Snapshot:
    return snapshots.load(path)


__all__ = [
    "HOURS_PER_MONTH", "CostChange", "EnvironmentCost", "Fill", "FillRange", "Limits", "NodePoolCost", "PoolMix",
    "RegionCost", "Snapshot", "SnapshotInfo", "SourceInfo", "UsdRange", "ceilings", "diff", "environment",
    "from_inputs", "load_snapshot", "usd",
]
