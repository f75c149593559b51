"""Spend ceilings per NodePool and the expected cost of each pool's capacity mix.

The NodePools are the ones ``infra render`` writes (``toolkit.render.karpenter``), built from
the rendered contract (``stack_inputs(...)["karpenter"]``), so the limits are those after the
capacity-mix split. For each NodePool and each allowed instance type listed for the region:

    instances = min over its limits of floor(limit / capacity per instance)

with capacity as Karpenter counts it (vCPUs, memory less the VM overhead, GPUs). That many
instances for ``HOURS_PER_MONTH`` hours is the type's *fill*; the cheapest and the dearest fill
over the allowed types give the range. Types that do not fit once are left out (unless none
fits: then the range is zero). The headline ceiling is the dearest fill at the dearest price the
NodePool may pay: on-demand when it allows on-demand (spot is never dearer), else the highest
observed spot price (else on-demand, as an upper bound, when no spot price is known).

The expected cost of a mix at full use of the limits: on-demand NodePools at the on-demand
range, spot NodePools at the spot range, ``spot-first`` NodePools at ``spot_share`` spot and the
rest on-demand; against the same NodePools all on-demand.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from toolkit.cost.model import (
    HOURS_PER_MONTH,
    ZERO,
    Fill,
    FillRange,
    Limits,
    NodePoolCost,
    PoolMix,
    RegionCost,
    UsdRange,
)
from toolkit.cost.snapshot import InstanceType, Price, Snapshot
from toolkit.errors import UserError

CAPACITY_TYPE = "karpenter.sh/capacity-type"
FAMILY = "karpenter.k8s.aws/instance-family"
GPU_COUNT = "karpenter.k8s.aws/instance-gpu-count"
POOL_LABEL = "infra.platform/pool"
GPU_RESOURCE = "nvidia.com/gpu"


@dataclass(frozen=True)
class NodePoolSpec:
    """What pricing needs from one rendered NodePool."""

    nodepool: str
    pool: str
    gpu: bool
    capacity_types: tuple[str, ...]
    families: tuple[str, ...]
    limits: Limits


def _memory_gi(value: Any, where: str) -> int:
    match = re.fullmatch(r"([0-9]+)Gi", str(value))
    if not match:
        raise UserError(f"{where}: memory limit {value!r} is not in Gi")
    return int(match.group(1))


def nodepool_specs(nodepools: list[dict[str, Any]]) -> list[NodePoolSpec]:
    """Pricing inputs from Karpenter NodePool objects (as ``infra render`` builds them)."""
    specs = []
    for obj in nodepools:
        name = obj["metadata"]["name"]
        spec = obj["spec"]
        template = spec["template"]
        reqs = {r["key"]: r for r in template["spec"]["requirements"]}
        limits = spec.get("limits") or {}
        gpu_limit = limits.get(GPU_RESOURCE)
        specs.append(NodePoolSpec(
            nodepool=name,
            pool=str((template.get("metadata") or {}).get("labels", {}).get(POOL_LABEL, name)),
            gpu=GPU_COUNT in reqs,
            capacity_types=tuple(sorted(reqs[CAPACITY_TYPE]["values"])) if CAPACITY_TYPE in reqs else ("on-demand",),
            families=tuple(sorted(reqs[FAMILY]["values"])) if FAMILY in reqs else (),
            limits=Limits(cpu=int(limits["cpu"]), memory_gi=_memory_gi(limits["memory"], f"NodePool {name}"),
                          gpu=int(gpu_limit) if gpu_limit is not None else None),
        ))
    return specs


def instances_allowed(limits: Limits, itype: InstanceType) -> tuple[int, str]:
    """How many instances of ``itype`` the limits allow, and which limit binds."""
    bounds = {
        "cpu": limits.cpu // itype.vcpu,
        "memory": (limits.memory_gi * 1024) // itype.memory_capacity_mib,
    }
    if limits.gpu is not None and itype.gpu_count > 0:
        bounds["gpu"] = limits.gpu // itype.gpu_count
    # The tightest bound wins; on a tie the GPU, then the CPU limit is named.
    order = {"gpu": 0, "cpu": 1, "memory": 2}
    binding = min(bounds, key=lambda k: (bounds[k], order[k]))
    return max(bounds[binding], 0), binding


def _fills(spec: NodePoolSpec, types: list[InstanceType], price_of: Mapping[str, float | None]) -> FillRange | None:
    fills = []
    for t in types:
        hourly = price_of.get(t.name)
        if hourly is None:
            continue
        n, binding = instances_allowed(spec.limits, t)
        fills.append(Fill(t.name, n, binding, hourly, n * hourly * HOURS_PER_MONTH))
    if not fills:
        return None
    fitting = [f for f in fills if f.instances > 0] or fills
    low = min(fitting, key=lambda f: (f.monthly_usd, f.instance_type))
    high = max(fitting, key=lambda f: (f.monthly_usd, f.instance_type))
    return FillRange(low, high)


def price_nodepool(spec: NodePoolSpec, snapshot: Snapshot, aws_region: str) -> NodePoolCost:
    """The ceiling of one NodePool in one region; unknown families are a one-line error."""
    missing = [f for f in spec.families if f not in snapshot.families]
    if missing:
        raise UserError(
            f"pool {spec.pool} (NodePool {spec.nodepool}): instance famil{'ies' if len(missing) > 1 else 'y'} "
            f"{', '.join(missing)} not in the price snapshot ({snapshot.describe()}); run `infra prices refresh` "
            "or remove it from instance_families")
    table: dict[str, Price] = snapshot.regions.get(aws_region, {})
    if not table:
        raise UserError(f"region {aws_region}: not in the price snapshot ({snapshot.describe()}); "
                        "run `infra prices refresh --region " + aws_region + "`")
    allowed = [t for f in spec.families for t in snapshot.types_of(f) if not spec.gpu or t.gpu_count > 0]
    listed = [t for t in allowed if t.name in table]
    unlisted = tuple(f for f in spec.families if not any(t.family == f for t in listed))
    if not listed:
        raise UserError(f"pool {spec.pool} (NodePool {spec.nodepool}): none of the instance families "
                        f"{', '.join(spec.families)} has a type listed for {aws_region} in the price snapshot "
                        f"({snapshot.describe()})")
    od = _fills(spec, listed, {t.name: table[t.name].on_demand for t in listed})
    spot = _fills(spec, listed, {t.name: table[t.name].spot_max for t in listed})
    spot_low = _fills(spec, listed, {t.name: table[t.name].spot_min for t in listed})
    spot_range = FillRange(spot_low.low, spot.high) if spot is not None and spot_low is not None else None
    reserved = None
    if "reserved" in spec.capacity_types:
        reserved = _fills(spec, listed, {t.name: table[t.name].reserved for t in listed})
    caveats: list[str] = []
    basis = "on-demand"
    if "on-demand" in spec.capacity_types and od is not None:
        ceiling = od.high.monthly_usd
    elif "spot" in spec.capacity_types and spot_range is not None:
        ceiling, basis = spot_range.high.monthly_usd, "spot (highest zone price)"
    elif od is not None:
        ceiling, basis = od.high.monthly_usd, "on-demand (no spot price known; spot never exceeds it)"
    else:
        raise UserError(f"pool {spec.pool} (NodePool {spec.nodepool}): no price for any allowed type in "
                        f"{aws_region} in the price snapshot ({snapshot.describe()})")
    # Caveats of the types that set a figure (the cheapest and dearest fills) only.
    deciding = sorted({f.instance_type for r in (od, spot_range, reserved) if r is not None for f in (r.low, r.high)})
    for name in deciding:
        for c in table[name].caveats:
            text = f"{name} in {aws_region}: {c}"
            if text not in caveats:
                caveats.append(text)
    if unlisted:
        caveats.append(f"{', '.join(unlisted)}: no type listed for {aws_region} in the snapshot (left out)")
    return NodePoolCost(
        nodepool=spec.nodepool, pool=spec.pool, gpu=spec.gpu, capacity_types=spec.capacity_types,
        families=spec.families, limits=spec.limits, instance_types=tuple(t.name for t in listed),
        unlisted_families=unlisted, on_demand=od, spot=spot_range, reserved=reserved, ceiling_usd=ceiling,
        ceiling_basis=basis, caveats=tuple(caveats))


def _od_range(cost: NodePoolCost) -> UsdRange:
    return cost.on_demand.usd if cost.on_demand is not None else ZERO


def expected_nodepool(cost: NodePoolCost, spot_share: float) -> UsdRange:
    """The NodePool's expected monthly cost at full use of its limits, given its capacity types."""
    od = _od_range(cost)
    spot = cost.spot.usd if cost.spot is not None else od  # unknown spot: bounded by on-demand
    if cost.capacity_types == ("on-demand",):
        return od
    if cost.capacity_types == ("spot",):
        return spot
    if "spot" in cost.capacity_types and "on-demand" in cost.capacity_types:
        return spot.scale(spot_share) + od.scale(1.0 - spot_share)
    return od


def pool_mixes(costs: list[NodePoolCost], pools: Mapping[str, Any]) -> list[PoolMix]:
    mixes = []
    for pname in sorted(pools):
        mix = pools[pname]["capacity_mix"]
        share = float(mix.get("spot_share", 0.0))
        mine = [c for c in costs if c.pool == pname]
        expected = ZERO
        all_od = ZERO
        for c in mine:
            expected = expected + expected_nodepool(c, share)
            all_od = all_od + _od_range(c)
        mixes.append(PoolMix(pool=pname, policy=str(mix["policy"]), spot_share=share,
                             nodepools=tuple(c.nodepool for c in mine), expected=expected,
                             all_on_demand=all_od, savings=all_od - expected))
    return mixes


def price_inputs(inputs: Mapping[str, Any], snapshot: Snapshot, source: str = "terraform.tfvars.json") -> RegionCost:
    """Price the NodePools of one stack's rendered inputs (the tfvars dictionary)."""
    from toolkit.render.karpenter import build_manifests

    built = build_manifests(dict(inputs), source)
    specs = nodepool_specs(built["nodepools"])
    aws_region = str(inputs["region"])
    costs = [price_nodepool(s, snapshot, aws_region) for s in specs]
    pools = inputs["karpenter"]["pools"]
    return RegionCost(
        environment=str(inputs["environment"]), region=str(inputs.get("region_key", aws_region)),
        aws_region=aws_region, nodepools=tuple(costs), pools=tuple(pool_mixes(costs, pools)),
        snapshot=snapshot.info())
