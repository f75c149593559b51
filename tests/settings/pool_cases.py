"""The table of Karpenter pool cases: one verdict per case, checked on both sides.

``tests/settings/test_pool_rules.py`` validates every case with the settings models
(``toolkit.settings.pools``, what `infra render` applies) and with the module's variable
validations (``modules/karpenter/variables.tf``, what `terraform plan` applies). A case
is the contract's ``karpenter`` object: ``chart_version`` 1.14.1, the ``karpenter``
overrides, and the pools (``pool``: keys replacing those of :data:`BASE` in a pool named
``pool``; or ``pools``: the whole map). ``error`` is ``None`` for a valid case, else a
fragment that both sides' message must contain. Both sides validate for the stack region
``us-east-1`` (the zone rules need it).

Add a case here and both sides are tested against it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

BASE: dict[str, Any] = {
    "instance_families": ["m6i"],
    "capacity_mix": {"policy": "spot-first"},
    "limits": {"cpu": 100, "memory_gi": 400},
}
GPU_TAINT = {"key": "nvidia.com/gpu", "effect": "NoSchedule"}
GPU: dict[str, Any] = {"gpu": True, "instance_families": ["g6e"], "taints": [GPU_TAINT],
                       "limits": {"cpu": 100, "memory_gi": 400, "gpu": 8}}


@dataclass(frozen=True)
class Case:
    id: str
    pool: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    karpenter: dict[str, Any] = field(default_factory=dict)
    pools: dict[str, Any] | None = None

    def data(self) -> dict[str, Any]:
        """The contract's ``karpenter`` object of this case."""
        pools = self.pools if self.pools is not None else {"pool": {**BASE, **self.pool}}
        return copy.deepcopy({"chart_version": "1.14.1", **self.karpenter, "pools": pools})


def ok(id: str, karpenter: dict[str, Any] | None = None, **pool: Any) -> Case:
    return Case(id, pool, None, karpenter or {})


def bad(id: str, error: str, karpenter: dict[str, Any] | None = None, **pool: Any) -> Case:
    return Case(id, pool, error, karpenter or {})


def mix(policy: str, **fields: Any) -> dict[str, Any]:
    return {"policy": policy, **fields}


def gpu(**pool: Any) -> dict[str, Any]:
    return {**GPU, **pool}


def efa(**pool: Any) -> dict[str, Any]:
    """A training pool: GPU families with EFA, one zone."""
    return gpu(**{"instance_families": ["p5"], "zones": ["us-east-1a"], "efa": {"interfaces": 32}, **pool})


BELOW = "is below karpenter.min_on_demand_share"
NAME_PATTERN = "does not match the expected pattern ^[a-z][a-z0-9-]{0,30}[a-z0-9]$"
BUDGET_TOGETHER = "schedule and duration go together"

CASES: list[Case] = [
    # ---------------------------------------------------------------- the karpenter object
    ok("minimal"),
    ok("namespace-karpenter", {"namespace": "karpenter"}),
    bad("chart-version-unpinned", "chart_version: expected a pinned chart version such as 1.14.1",
        {"chart_version": "latest"}),
    bad("namespace-not-a-name", "namespace: expected a namespace name", {"namespace": "Kube_System"}),
    bad("min-share-above-one", "min_on_demand_share: expected a number between 0 and 1", {"min_on_demand_share": 1.5}),
    Case("no-pools", error="pools: expected at least one pool", pools={}),
    Case("pool-name-32-chars", pools={"a" * 32: BASE}),
    Case("pool-name-uppercase", error=NAME_PATTERN, pools={"GPU_Pool": BASE}),
    Case("pool-name-33-chars", error=NAME_PATTERN, pools={"a" * 33: BASE}),
    Case("pool-name-one-char", error=NAME_PATTERN, pools={"a": BASE}),
    Case("pool-name-leading-digit", error=NAME_PATTERN, pools={"1gpu": BASE}),
    # ---------------------------------------------------------------- families
    ok("families-several", instance_families=["m6i", "c7i", "r6a"]),
    bad("families-empty", "instance_families: expected one or more EC2 instance families", instance_families=[]),
    bad("families-uppercase", "instance_families: expected one or more EC2 instance families",
        instance_families=["M6i"]),
    # ---------------------------------------------------------------- capacity mix: policy and spot_share
    ok("on-demand-without-spot-share", capacity_mix=mix("on-demand")),
    ok("spot-without-spot-share", capacity_mix=mix("spot")),
    ok("on-demand-spot-share-zero", capacity_mix=mix("on-demand", spot_share=0)),
    ok("spot-spot-share-one", capacity_mix=mix("spot", spot_share=1)),
    ok("on-demand-other-spot-share", capacity_mix=mix("on-demand", spot_share=0.7)),
    ok("spot-first-spot-share", capacity_mix=mix("spot-first", spot_share=0.9)),
    ok("ratio-default-share", capacity_mix=mix("ratio")),
    ok("ratio-share", capacity_mix=mix("ratio", spot_share=0.7)),
    bad("policy-unknown", "capacity_mix.policy: expected one of spot-first, on-demand-baseline, ratio, on-demand, spot",
        capacity_mix=mix("cheapest")),
    bad("spot-share-above-one", "capacity_mix.spot_share: expected a number between 0 and 1",
        capacity_mix=mix("spot-first", spot_share=1.5)),
    bad("spot-share-negative", "capacity_mix.spot_share: expected a number between 0 and 1",
        capacity_mix=mix("ratio", spot_share=-0.1)),
    bad("on-demand-spot-share-out-of-range", "capacity_mix.spot_share: expected a number between 0 and 1",
        capacity_mix=mix("on-demand", spot_share=2)),
    bad("ratio-share-zero", "policy ratio needs 0 < spot_share < 1", capacity_mix=mix("ratio", spot_share=0)),
    bad("ratio-share-one", "policy ratio needs 0 < spot_share < 1", capacity_mix=mix("ratio", spot_share=1)),
    # ---------------------------------------------------------------- capacity mix: baselines
    ok("baseline-cpu", capacity_mix=mix("on-demand-baseline", baseline_cpu=10)),
    ok("baseline-gpu-only", **gpu(capacity_mix=mix("on-demand-baseline", baseline_gpu=2))),
    ok("baseline-cpu-and-gpu", **gpu(capacity_mix=mix("on-demand-baseline", baseline_cpu=10, baseline_gpu=2))),
    ok("baseline-cpu-only-gpu-pool", **gpu(capacity_mix=mix("on-demand-baseline", baseline_cpu=25))),
    ok("baseline-zero", capacity_mix=mix("on-demand-baseline", baseline_cpu=0)),
    ok("baseline-equal-to-limit", capacity_mix=mix("on-demand-baseline", baseline_cpu=100)),
    ok("baseline-ignored-by-spot-first", capacity_mix=mix("spot-first", baseline_cpu=500, baseline_gpu=3)),
    bad("baseline-missing", "policy on-demand-baseline needs baseline_cpu or baseline_gpu",
        capacity_mix=mix("on-demand-baseline")),
    bad("baseline-negative", "expected a whole number, 0 or more", capacity_mix=mix("on-demand-baseline", baseline_cpu=-1)),
    bad("baseline-fraction", "expected a whole number, 0 or more",
        capacity_mix=mix("on-demand-baseline", baseline_cpu=2.5)),
    bad("baseline-cpu-above-limit", "baseline_cpu: expected a number between 0 and limits.cpu",
        capacity_mix=mix("on-demand-baseline", baseline_cpu=101)),
    bad("baseline-gpu-above-limit", "baseline_gpu: expected a number between 0 and limits.gpu",
        **gpu(capacity_mix=mix("on-demand-baseline", baseline_gpu=9))),
    bad("baseline-gpu-without-gpu-limit", "baseline_gpu: expected a number between 0 and limits.gpu",
        capacity_mix=mix("on-demand-baseline", baseline_cpu=10, baseline_gpu=1)),
    # ---------------------------------------------------------------- limits
    ok("limits-smallest", limits={"cpu": 1, "memory_gi": 1}),
    bad("limits-cpu-zero", "expected a whole number, at least 1", limits={"cpu": 0, "memory_gi": 400}),
    bad("limits-memory-fraction", "expected a whole number, at least 1", limits={"cpu": 100, "memory_gi": 1.5}),
    bad("limits-gpu-zero", "expected a whole number, at least 1", limits={"cpu": 100, "memory_gi": 400, "gpu": 0}),
    ok("ratio-limits-two", capacity_mix=mix("ratio"), limits={"cpu": 2, "memory_gi": 2, "gpu": 2}),
    bad("ratio-cpu-limit-one", "a ratio pool needs at least 2 (one per NodePool)",
        capacity_mix=mix("ratio"), limits={"cpu": 1, "memory_gi": 400}),
    bad("ratio-gpu-limit-one", "a ratio pool needs at least 2 (one per NodePool)",
        **gpu(capacity_mix=mix("ratio"), limits={"cpu": 100, "memory_gi": 400, "gpu": 1})),
    # ---------------------------------------------------------------- GPU pools
    ok("gpu-pool", **gpu()),
    ok("gpu-taint-with-value", **gpu(taints=[{**GPU_TAINT, "value": "present"}, {"key": "team", "effect": "NoExecute"}])),
    bad("gpu-without-taint", "nvidia.com/gpu NoSchedule taint", **gpu(taints=[])),
    bad("gpu-taint-wrong-effect", "nvidia.com/gpu NoSchedule taint",
        **gpu(taints=[{**GPU_TAINT, "effect": "PreferNoSchedule"}])),
    bad("gpu-without-gpu-limit", "a GPU pool needs limits.gpu (a cap on nvidia.com/gpu)",
        **gpu(limits={"cpu": 100, "memory_gi": 400})),
    # ---------------------------------------------------------------- GPU pools are NVIDIA pools
    ok("gpu-nvidia-families", **gpu(instance_families=["g5", "g6", "g6e", "p4d", "p5", "p5en", "p6-b200", "gr6"])),
    ok("cpu-pool-amd-family", instance_families=["g4ad"]),  # no gpu: the NVIDIA rule does not apply
    bad("gpu-amd-family", "a GPU pool takes NVIDIA GPU families only (such as g6e or p5); not NVIDIA: g4ad (AMD GPU)",
        **gpu(instance_families=["g4ad"])),
    bad("gpu-cpu-family", "not NVIDIA: m6i (no GPU), c7i (no GPU)", **gpu(instance_families=["g6e", "m6i", "c7i"])),
    bad("gpu-fpga-family", "not NVIDIA: f2 (FPGA)", **gpu(instance_families=["f2", "g5"])),
    bad("gpu-inferentia", "neuron pools (AWS Inferentia, Trainium) are not supported yet; Neuron: inf2",
        **gpu(instance_families=["inf2"])),
    bad("gpu-trainium", "are not supported yet; Neuron: trn1, trn2", **gpu(instance_families=["trn1", "trn2", "p5"])),
    bad("cpu-pool-trainium", "neuron pools (AWS Inferentia, Trainium) are not supported yet; Neuron: trn1n",
        instance_families=["m6i", "trn1n"]),
    # ---------------------------------------------------------------- node class, taints and labels
    ok("ami-bottlerocket-pinned", ami_alias="bottlerocket@v1.40.0"),
    ok("ami-al2023-pinned", ami_alias="al2023@v20250701"),
    bad("ami-al2", "ami_alias: expected al2023 or bottlerocket", ami_alias="al2@latest"),
    bad("ami-without-version", "ami_alias: expected al2023 or bottlerocket", ami_alias="al2023"),
    bad("ami-unknown-version", "ami_alias: expected al2023 or bottlerocket", ami_alias="al2023@newest"),
    bad("taint-key", "key: expected a label key such as nvidia.com/gpu",
        taints=[{"key": "bad key", "effect": "NoSchedule"}]),
    bad("taint-value", "value: expected a label value of at most 63",
        taints=[{"key": "team", "value": "a b", "effect": "NoSchedule"}]),
    bad("taint-effect", "effect: expected one of NoSchedule, PreferNoSchedule, NoExecute",
        taints=[{"key": "team", "effect": "NoRun"}]),
    ok("labels", labels={"team": "platform", "example.com/tier": "gold", "empty": ""}),
    bad("label-key", "labels: expected label keys such as team or example.com/team", labels={"bad key": "x"}),
    bad("label-value-too-long", "labels: expected label keys such as team or example.com/team",
        labels={"team": "x" * 64}),
    ok("root-volume-smallest", root_volume_gi=20),
    ok("root-volume-largest", root_volume_gi=16384),
    bad("root-volume-too-small", "root_volume_gi: expected a whole number between 20 and 16384", root_volume_gi=10),
    bad("root-volume-too-large", "root_volume_gi: expected a whole number between 20 and 16384", root_volume_gi=20000),
    bad("root-volume-fraction", "root_volume_gi: expected a whole number between 20 and 16384", root_volume_gi=100.5),
    # ---------------------------------------------------------------- weight
    ok("weight-zero", weight=0),
    ok("weight-one", weight=1),
    ok("weight-hundred", weight=100),
    ok("weight-zero-baseline", weight=0, capacity_mix=mix("on-demand-baseline", baseline_cpu=10)),
    bad("weight-above-hundred", "weight: expected a whole number between 0 and 100", weight=101),
    bad("weight-negative", "weight: expected a whole number between 0 and 100", weight=-1),
    bad("weight-fraction", "weight: expected a whole number between 0 and 100", weight=2.5),
    # ---------------------------------------------------------------- disruption
    ok("consolidation-when-empty", consolidation_policy="WhenEmpty", consolidate_after="30s"),
    ok("expire-never", expire_after="Never"),
    ok("expire-compound", expire_after="1h30m"),
    bad("consolidation-policy", "consolidation_policy: expected WhenEmpty or WhenEmptyOrUnderutilized",
        consolidation_policy="Always"),
    bad("consolidate-after", "consolidate_after: expected a duration such as 5m", consolidate_after="soon"),
    bad("expire-after-days", "expire_after: expected a duration such as 720h, or Never", expire_after="30d"),
    ok("budgets-none", disruption_budgets=[]),
    ok("budgets-window", disruption_budgets=[
        {"nodes": "0", "schedule": "0 8 * * mon-fri", "duration": "10h", "reasons": ["Underutilized", "Empty"]},
        {"nodes": "20%", "schedule": "@daily", "duration": "1h30m"},
        {"nodes": "100%", "reasons": ["Drifted"]},
    ]),
    bad("budget-schedule-without-duration", BUDGET_TOGETHER, disruption_budgets=[{"nodes": "0", "schedule": "@daily"}]),
    bad("budget-duration-without-schedule", BUDGET_TOGETHER, disruption_budgets=[{"nodes": "0", "duration": "1h"}]),
    bad("budget-nodes-word", "nodes: expected a count or a percentage", disruption_budgets=[{"nodes": "ten"}]),
    bad("budget-nodes-above-100-percent", "nodes: expected a count or a percentage",
        disruption_budgets=[{"nodes": "101%"}]),
    bad("budget-cron-six-fields", "schedule: expected a cron expression of five fields",
        disruption_budgets=[{"nodes": "0", "schedule": "0 0 8 * * 1-5", "duration": "1h"}]),
    bad("budget-duration-seconds", "duration: expected hours and/or minutes",
        disruption_budgets=[{"nodes": "0", "schedule": "@daily", "duration": "30s"}]),
    bad("budget-reason", "reasons: expected a list of Underutilized, Empty or Drifted",
        disruption_budgets=[{"nodes": "1", "reasons": ["Expired"]}]),
    ok("grace-period", termination_grace_period="48h"),
    bad("grace-period-days", "termination_grace_period: expected a duration such as 24h, or null",
        termination_grace_period="1d"),
    # ---------------------------------------------------------------- zones
    ok("zones-one", zones=["us-east-1a"]),
    ok("zones-two", zones=["us-east-1c", "us-east-1a"]),
    bad("zones-empty", "zones: expected one or more distinct availability zones such as us-east-1a", zones=[]),
    bad("zones-twice", "zones: expected one or more distinct availability zones", zones=["us-east-1a", "us-east-1a"]),
    bad("zones-region-not-zone", "zones: expected one or more distinct availability zones", zones=["us-east-1"]),
    bad("zones-other-region", "zones: expected availability zones of the stack's region us-east-1, got eu-west-1b",
        zones=["us-east-1a", "eu-west-1b"]),
    # ---------------------------------------------------------------- capacity reservations
    ok("reserved-by-id", capacity_mix=mix("on-demand"), capacity_reservations=[{"id": "cr-0123456789abcdef0"}]),
    ok("reserved-by-tags-and-owner", capacity_reservations=[
        {"tags": {"team": "ml", "purpose": "*"}, "owner": "123456789012"}, {"id": "cr-1a2b"}]),
    ok("reserved-spot", capacity_mix=mix("spot"), capacity_reservations=[{"tags": {"team": "ml"}}]),
    ok("reserved-ratio", capacity_mix=mix("ratio", spot_share=0.75), capacity_reservations=[{"id": "cr-9"}]),
    ok("reserved-baseline", **gpu(capacity_mix=mix("on-demand-baseline", baseline_gpu=2), zones=["us-east-1b"],
                                  capacity_reservations=[{"id": "cr-0a"}, {"tags": {"block": "p5-training"}}])),
    bad("reserved-id-and-tags", "expected a term with id or tags (not both); owner goes with tags",
        capacity_reservations=[{"id": "cr-1", "tags": {"team": "ml"}}]),
    bad("reserved-owner-with-id", "expected a term with id or tags (not both)",
        capacity_reservations=[{"id": "cr-1", "owner": "123456789012"}]),
    bad("reserved-empty-term", "expected a term with id or tags (not both)", capacity_reservations=[{}]),
    bad("reserved-owner-alone", "expected a term with id or tags (not both)",
        capacity_reservations=[{"owner": "123456789012"}]),
    bad("reserved-id-pattern", "id: expected a capacity reservation id such as cr-0123456789abcdef0",
        capacity_reservations=[{"id": "cr_0123"}]),
    bad("reserved-empty-tag-value", "tags: expected 1 to 20 tags with non-empty keys",
        capacity_reservations=[{"tags": {"team": ""}}]),
    bad("reserved-no-tags", "tags: expected 1 to 20 tags with non-empty keys", capacity_reservations=[{"tags": {}}]),
    bad("reserved-21-tags", "tags: expected 1 to 20 tags with non-empty keys",
        capacity_reservations=[{"tags": {f"k{i}": "v" for i in range(21)}}]),
    bad("reserved-owner-pattern", "owner: expected the 12-digit id of the account that owns the reservations",
        capacity_reservations=[{"tags": {"team": "ml"}, "owner": "1234"}]),
    bad("reserved-31-terms", "capacity_reservations: expected at most 30 capacity reservation selector terms",
        capacity_reservations=[{"id": f"cr-{i}"} for i in range(31)]),
    # ---------------------------------------------------------------- EFA (training pools)
    ok("efa-p5", **efa()),
    ok("efa-defaults", **efa(efa={})),
    ok("efa-named-placement-group", **efa(instance_families=["p4d", "p4de"],
                                          efa={"interfaces": 4, "placement_group": {"name": "training-pg.a_1"}})),
    ok("efa-off", efa={"enabled": False}),  # off: none of the EFA rules apply
    ok("efa-reserved-baseline", **efa(capacity_mix=mix("on-demand-baseline", baseline_gpu=4),
                                      capacity_reservations=[{"id": "cr-0a1b"}], efa={"interfaces": 16},
                                      instance_families=["p5en", "p5e"])),
    bad("efa-interfaces-zero", "efa.interfaces: expected a whole number of EFA interfaces between 1 and 32",
        **efa(efa={"interfaces": 0})),
    bad("efa-interfaces-33", "expected a whole number of EFA interfaces between 1 and 32", **efa(efa={"interfaces": 33})),
    bad("efa-interfaces-fraction", "expected a whole number of EFA interfaces", **efa(efa={"interfaces": 1.5})),
    bad("efa-placement-both", "placement_group: expected a placement group name or strategy cluster (one of the two)",
        **efa(efa={"placement_group": {"name": "pg", "strategy": "cluster"}})),
    bad("efa-placement-neither", "expected a placement group name or strategy cluster",
        **efa(efa={"placement_group": {}})),
    bad("efa-placement-spread", "strategy: expected strategy cluster",
        **efa(efa={"placement_group": {"strategy": "spread"}})),
    bad("efa-placement-name", "name: expected a placement group name of 1 to 255 letters",
        **efa(efa={"placement_group": {"name": "my pg"}})),
    bad("efa-cpu-pool", "an EFA pool is a GPU training pool (gpu: true)",
        instance_families=["c6in"], zones=["us-east-1a"], efa={"interfaces": 1}),
    bad("efa-family-without-efa", "an EFA pool takes EFA-capable families only (such as p4d, p5 or p5en); "
        "not EFA-capable: g6f, gr6f", **efa(instance_families=["p5", "g6f", "gr6f"])),
    bad("efa-no-zone", "an EFA pool needs exactly one zone (zones: [<zone>])", **efa(zones=None)),
    bad("efa-two-zones", "an EFA pool needs exactly one zone", **efa(zones=["us-east-1a", "us-east-1b"])),
    # ---------------------------------------------------------------- instance store
    ok("instance-store-raid0-gpu", **gpu(instance_families=["g5", "g6", "p4d", "p5"], instance_store="raid0")),
    ok("instance-store-raid0-cpu", instance_families=["m6id", "c6id", "r6id"], instance_store="raid0",
       ami_alias="bottlerocket@latest"),
    ok("instance-store-raid0-efa", **efa(instance_store="raid0", root_volume_gi=50)),
    bad("instance-store-unknown", "instance_store: expected raid0 or null", instance_store="raid1"),
    bad("instance-store-upper-case", "instance_store: expected raid0 or null", instance_store="RAID0"),
    bad("instance-store-no-nvme", "instance_store raid0 needs families with local NVMe instance store (such as g5, "
        "g6, p4d or p5); no local NVMe: m6i", instance_store="raid0"),
    bad("instance-store-gpu-without-nvme", "no local NVMe: g5g",
        **gpu(instance_families=["g5", "g5g"], instance_store="raid0")),
    # ---------------------------------------------------------------- scale to zero and node health
    ok("scale-to-zero", **gpu(scale_to_zero=True, consolidate_after="15m")),
    ok("scale-to-zero-reads-when-empty", **gpu(scale_to_zero=True, consolidation_policy="WhenEmptyOrUnderutilized")),
    ok("scale-to-zero-one-hour", **gpu(scale_to_zero=True, consolidate_after="59m60s")),
    ok("scale-to-zero-window-not-empty", **gpu(scale_to_zero=True, disruption_budgets=[
        {"nodes": "0", "schedule": "0 8 * * mon-fri", "duration": "10h", "reasons": ["Underutilized", "Drifted"]},
        {"nodes": "1"}])),
    ok("scale-to-zero-efa-reserved", **efa(scale_to_zero=True, capacity_reservations=[{"id": "cr-7"}])),
    bad("scale-to-zero-cpu-pool", "scale_to_zero: scale_to_zero is for GPU pools (gpu: true)", scale_to_zero=True),
    bad("scale-to-zero-long-wait", "a scale-to-zero pool removes empty nodes within consolidate_after of at most 1h",
        **gpu(scale_to_zero=True, consolidate_after="1h0m1s")),
    bad("scale-to-zero-budget-holds-empty", "a scale-to-zero pool must let Karpenter remove empty nodes: no budget "
        "with nodes 0 may cover reason Empty", **gpu(scale_to_zero=True, disruption_budgets=[{"nodes": "0"}])),
    bad("scale-to-zero-window-holds-empty", "no budget with nodes 0 may cover reason Empty", **gpu(
        scale_to_zero=True, disruption_budgets=[
            {"nodes": "10%"},
            {"nodes": "0%", "schedule": "@daily", "duration": "1h", "reasons": ["Underutilized", "Empty"]}])),
    ok("node-health-off", {"node_health": {"node_repair": False, "monitoring_agent": False}}),
    ok("node-health-agent-only", {"node_health": {"node_repair": False}}),
    # ---------------------------------------------------------------- the on-demand floor (on_demand_share)
    ok("floor-on-demand", {"min_on_demand_share": 1}, capacity_mix=mix("on-demand")),
    ok("floor-ratio", {"min_on_demand_share": 0.3}, capacity_mix=mix("ratio", spot_share=0.7)),
    ok("floor-ratio-spread-split", {"min_on_demand_share": 0.65}, capacity_mix=mix("ratio", spot_share=0.33)),
    ok("floor-baseline-exact", {"min_on_demand_share": 0.25}, capacity_mix=mix("on-demand-baseline", baseline_cpu=25)),
    ok("floor-gpu-baseline-counts-gpus", {"min_on_demand_share": 0.25},
       **gpu(capacity_mix=mix("on-demand-baseline", baseline_cpu=10, baseline_gpu=2))),
    ok("floor-gpu-only-baseline-cpu-pool", {"min_on_demand_share": 0.5},
       capacity_mix=mix("on-demand-baseline", baseline_gpu=4), limits={"cpu": 100, "memory_gi": 400, "gpu": 8}),
    bad("floor-spot-first", BELOW, {"min_on_demand_share": 0.2}),
    bad("floor-spot", BELOW, {"min_on_demand_share": 0.01}, capacity_mix=mix("spot")),
    bad("floor-ratio-spread-split-below", BELOW, {"min_on_demand_share": 0.66}, capacity_mix=mix("ratio", spot_share=0.33)),
    bad("floor-baseline", BELOW, {"min_on_demand_share": 0.2}, capacity_mix=mix("on-demand-baseline", baseline_cpu=10)),
    bad("floor-gpu-baseline-below", BELOW, {"min_on_demand_share": 0.2},
        **gpu(capacity_mix=mix("on-demand-baseline", baseline_cpu=50, baseline_gpu=1))),
    Case("floor-one-pool-of-two", error=BELOW, karpenter={"min_on_demand_share": 0.5},
         pools={"steady": {**BASE, "capacity_mix": mix("on-demand")}, "burst": BASE}),
]
