"""What a change does to the ceilings: one CostChange per NodePool whose ceiling differs."""

from __future__ import annotations

from collections.abc import Iterable

from toolkit.cost.model import CostChange, NodePoolCost, RegionCost

# Differences below one cent a month are rounding, not a change.
TOLERANCE_USD = 0.01


def _regions(value: RegionCost | Iterable[RegionCost]) -> list[RegionCost]:
    return [value] if isinstance(value, RegionCost) else list(value)


def diff(before: RegionCost | Iterable[RegionCost], after: RegionCost | Iterable[RegionCost]) -> list[CostChange]:
    """Changed, added and removed NodePool ceilings, ordered by environment, region, NodePool.

    ``before`` and ``after`` are one RegionCost or several (for example every region of an
    environment); regions and NodePools are matched by name.
    """
    old: dict[tuple[str, str, str], NodePoolCost] = {}
    new: dict[tuple[str, str, str], NodePoolCost] = {}
    for target, regions in ((old, _regions(before)), (new, _regions(after))):
        for r in regions:
            for n in r.nodepools:
                target[(r.environment, r.region, n.nodepool)] = n
    changes = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        before_usd = a.ceiling_usd if a is not None else None
        after_usd = b.ceiling_usd if b is not None else None
        if before_usd is not None and after_usd is not None and abs(after_usd - before_usd) < TOLERANCE_USD:
            continue
        node = b if b is not None else a
        assert node is not None
        kind = node.kind
        changes.append(CostChange(environment=key[0], region=key[1], nodepool=key[2], kind=kind,
                                  before_usd=before_usd, after_usd=after_usd))
    return changes
