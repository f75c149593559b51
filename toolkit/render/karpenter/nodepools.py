"""NodePools of a validated pool: one per capacity type variant, limits split between them.

``modules/karpenter/nodepools.tf`` builds the same objects from the same inputs (a test
keeps the two equal), so every split below has a twin in HCL: change both together.

- ``spot``, ``on-demand``: one NodePool ``<pool>`` with that capacity type.
- ``spot-first``: one NodePool ``<pool>`` allowing both types; Karpenter launches spot
  when it can and falls back to on-demand.
- ``on-demand-baseline``: ``<pool>-on-demand`` (limits capped at the baseline, higher
  weight, so it fills first) and ``<pool>-spot`` (the burst above the baseline, limited to
  ``limits - baseline``), so the two together never exceed the pool's ``limits``.
- ``ratio``: ``<pool>-spot`` and ``<pool>-on-demand`` split a ``capacity-spread`` label
  domain of ``n`` values (``k`` of them spot, ``k/n ~= spot_share``) and the pool's limits
  in the same proportion; workloads spread over that label with a topology spread
  constraint so about ``k/n`` of their replicas land on spot.
A pool with ``capacity_reservations`` adds ``reserved`` to the capacity types of each of its
NodePools (Karpenter tries reserved offerings first, priced near zero) and states its fallback
order in the ``infra.platform/capacity-order`` annotation (:func:`capacity_order`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from toolkit.render.karpenter.common import (
    CAPACITY_ORDER,
    CAPACITY_TYPE,
    GPU_LABEL,
    GPU_RESOURCE,
    MANAGED_BY,
    NODEPOOL_API,
    POOL_LABEL,
    SPREAD_LABEL,
    ZONE_LABEL,
    Json,
)
from toolkit.settings.pool_math import spread_buckets
from toolkit.settings.pool_tables import GPU_MANUFACTURER
from toolkit.settings.pools import CapacityMix, Pool

Amounts = dict[str, int]  # cpu, memory_gi and (when set) gpu


@dataclass(frozen=True)
class Variant:
    """One NodePool of a pool: its name, capacity types, weight, limits and spread values."""

    name: str
    types: list[str]
    weight: int
    limits: Json
    spread: list[str] | None = None


def nodepool_limits(values: Mapping[str, int]) -> Json:
    limits: Json = {"cpu": values["cpu"], "memory": f"{values['memory_gi']}Gi"}
    if "gpu" in values:
        limits[GPU_RESOURCE] = values["gpu"]
    return limits


def ratio_limits(values: Mapping[str, int], k: int, n: int) -> tuple[Amounts, Amounts]:
    """(spot, on-demand) limits of a ratio pool: each resource split k/n : (n-k)/n.

    The spot part is ``total * k / n`` rounded half up and kept within ``1..total-1`` (so
    each NodePool can launch something); the on-demand part is the rest, so the two add up
    to the pool's limit. Integer arithmetic, as the HCL twin computes it.
    """
    spot = {r: min(max((2 * t * k + n) // (2 * n), 1), t - 1) for r, t in values.items()}
    return spot, {r: t - spot[r] for r, t in values.items()}


def baseline_limits(values: Mapping[str, int],
                    mix: CapacityMix | Mapping[str, int | None]) -> tuple[Amounts, Amounts]:
    """(on-demand, spot) limits of an on-demand-baseline pool.

    On-demand: ``baseline_cpu`` / ``baseline_gpu`` where given; every other resource
    (memory always) gets the same share as the reference baseline (``baseline_cpu /
    limits.cpu``, else ``baseline_gpu / limits.gpu``), rounded up so the baseline is never
    starved of memory. Spot: the pool's limit minus the on-demand part, per resource.
    """
    if isinstance(mix, CapacityMix):
        base_cpu, base_gpu = mix.baseline_cpu, mix.baseline_gpu
    else:
        base_cpu, base_gpu = mix.get("baseline_cpu"), mix.get("baseline_gpu")
    if base_cpu is not None:
        num, den = int(base_cpu), values["cpu"]
    elif base_gpu is not None:
        num, den = int(base_gpu), values["gpu"]
    else:
        raise ValueError("an on-demand-baseline pool has baseline_cpu or baseline_gpu")
    ondemand = {r: (t * num + den - 1) // den for r, t in values.items()}
    if base_cpu is not None:
        ondemand["cpu"] = int(base_cpu)
    if base_gpu is not None and "gpu" in values:
        ondemand["gpu"] = int(base_gpu)
    return ondemand, {r: t - ondemand[r] for r, t in values.items()}


def variants(pname: str, pool: Pool) -> list[Variant]:
    """The NodePools of one pool, by its capacity mix."""
    mix = pool.capacity_mix
    weight = pool.weight
    values = pool.limits.values()
    if mix.policy == "spot-first":
        return [Variant(pname, ["on-demand", "spot"], weight, nodepool_limits(values))]
    if mix.policy in ("spot", "on-demand"):
        return [Variant(pname, [mix.policy], weight, nodepool_limits(values))]
    if mix.policy == "ratio":
        k, n = spread_buckets(mix.spot_share)
        spread = [str(i) for i in range(1, n + 1)]
        spot_part, od_part = ratio_limits(values, k, n)
        return [
            Variant(f"{pname}-on-demand", ["on-demand"], weight, nodepool_limits(od_part), spread[k:]),
            Variant(f"{pname}-spot", ["spot"], weight, nodepool_limits(spot_part), spread[:k]),
        ]
    # on-demand-baseline: the capped on-demand pool outranks the spot pool, so pods fill the
    # baseline first and only the burst above it (up to limits - baseline) goes to spot.
    spot_weight = max(1, min(weight, 99))
    od_part, spot_part = baseline_limits(values, mix)
    return [
        Variant(f"{pname}-on-demand", ["on-demand"], spot_weight + 1, nodepool_limits(od_part)),
        Variant(f"{pname}-spot", ["spot"], spot_weight, nodepool_limits(spot_part)),
    ]


def capacity_order(pool: Pool, variant: Variant) -> str:
    """The order in which a NodePool of a reserved pool gets capacity, as its annotation states it.

    Reservations first (Karpenter prices them near zero), then the mix: ``spot-first`` spot then
    on-demand; ``on-demand-baseline`` on-demand (the baseline NodePool, higher weight) then spot
    (the burst NodePool), the same order on both; ``ratio`` the side the ``capacity-spread``
    values of the NodePool give it; ``on-demand`` and ``spot`` their one type.
    """
    policy = pool.capacity_mix.policy
    after = {"spot-first": ["spot", "on-demand"], "on-demand-baseline": ["on-demand", "spot"]}.get(
        policy, [t for t in variant.types if t != "reserved"])
    return ",".join(["reserved", *after])


def nodepool(pname: str, pool: Pool, variant: Variant) -> Json:
    types = sorted({*variant.types, "reserved"}) if pool.reserved else list(variant.types)
    requirements: list[Json] = [
        {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": sorted(pool.instance_families)},
        {"key": CAPACITY_TYPE, "operator": "In", "values": types},
        {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
    ]
    if pool.gpu:
        requirements.append({"key": "karpenter.k8s.aws/instance-gpu-count", "operator": "Gt", "values": ["0"]})
        requirements.append({"key": "karpenter.k8s.aws/instance-gpu-manufacturer", "operator": "In",
                             "values": [GPU_MANUFACTURER]})
    if pool.zones is not None:
        requirements.append({"key": ZONE_LABEL, "operator": "In", "values": sorted(pool.zones)})
    if variant.spread is not None:
        requirements.append({"key": SPREAD_LABEL, "operator": "In", "values": list(variant.spread)})
    labels: dict[str, str] = dict(pool.labels)
    labels[POOL_LABEL] = pname
    if pool.gpu:
        labels[GPU_LABEL] = "true"
    taints = []
    for t in pool.taints:
        taint = {"key": t.key, "effect": t.effect}
        if t.value is not None:
            taint["value"] = t.value
        taints.append(taint)
    budgets = []
    for b in pool.disruption_budgets:
        budget: Json = {"nodes": b.nodes}
        if b.schedule is not None:
            budget["schedule"] = b.schedule
        if b.duration is not None:
            budget["duration"] = b.duration
        if b.reasons:
            budget["reasons"] = list(b.reasons)
        budgets.append(budget)
    disruption: Json = {"consolidationPolicy": pool.consolidation_policy, "consolidateAfter": pool.consolidate_after}
    if budgets:
        disruption["budgets"] = budgets
    template_spec: Json = {
        "expireAfter": pool.expire_after,
        "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": pname},
        "requirements": requirements,
    }
    if taints:
        template_spec["taints"] = taints
    if pool.termination_grace_period is not None:
        template_spec["terminationGracePeriod"] = pool.termination_grace_period
    spec: Json = {
        "disruption": disruption,
        "limits": variant.limits,
        "template": {"metadata": {"labels": labels}, "spec": template_spec},
    }
    if variant.weight > 0:  # weight 0: no weight (the CRD's weight is 1..100)
        spec["weight"] = variant.weight
    metadata: Json = {"name": variant.name, "labels": dict(MANAGED_BY)}
    if pool.reserved:
        metadata["annotations"] = {CAPACITY_ORDER: capacity_order(pool, variant)}
    return {"apiVersion": NODEPOOL_API, "kind": "NodePool", "metadata": metadata, "spec": spec}


def nodepools(pools: Mapping[str, Pool]) -> list[Json]:
    """Every NodePool of the pools, sorted by name."""
    out = [nodepool(pname, pools[pname], v) for pname in sorted(pools) for v in variants(pname, pools[pname])]
    return sorted(out, key=lambda o: str(o["metadata"]["name"]))
