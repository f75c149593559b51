"""Karpenter pools: the one Python rule set (``karpenter`` in settings and in the contract).

The settings loader validates region settings with these models; ``toolkit.render``
validates the contract's ``karpenter`` object of a tfvars file with
:func:`validate_karpenter` and renders from the validated :class:`Karpenter` model, so
there is no second copy of a rule in Python. ``modules/karpenter/variables.tf`` states
the same rules as HCL validations with the same words (:data:`MESSAGES`);
``tests/settings/pool_cases.py`` holds the cases both sides are tested against.

Decisions the rules encode (docs/contracts.md, POOL):

- ``spot_share`` is read by policy ``ratio`` only. ``on-demand`` means spot share 0 and
  ``spot`` means 1, so ``{policy: on-demand}`` needs no ``spot_share``; a share written or
  inherited from another layer is replaced by the implied value (it must still be a
  number between 0 and 1). ``spot-first`` and ``on-demand-baseline`` ignore it.
- ``on-demand-baseline`` needs ``baseline_cpu`` or ``baseline_gpu`` (either alone is fine);
  for that policy each given baseline is at most its limit (``baseline_gpu`` needs
  ``limits.gpu``). Other policies ignore the baselines.
- ``weight`` is a whole number 0..100; 0 leaves the NodePool without a weight (the CRD's
  weight is 1..100, so 0 means "lowest priority", not "weight 0").
- ``zones`` pins a pool's NodePools to availability zones of the stack's region (the region is
  known where the contract is validated, :func:`validate_karpenter`, not in a settings layer).
- ``capacity_reservations`` (ODCRs, Capacity Blocks) adds ``reserved`` to the capacity types of
  every NodePool of the pool: Karpenter prices a reservation near zero, so a pool uses its
  reservations first and its capacity mix decides what comes next (README, "Reserved
  capacity"). A term selects by ``id`` or by ``tags`` (with an optional ``owner``), never both.
- ``efa`` makes a training pool: EFA network interfaces and a placement group on the
  EC2NodeClass. An EFA pool is a GPU pool of EFA-capable families pinned to exactly one zone
  (a cluster placement group and EFA traffic stay within one availability zone).
- ``instance_store: raid0`` (``instanceStorePolicy: RAID0``: kubelet and container images on
  the local NVMe disks) needs families that all have NVMe instance store on every size
  (:data:`NVME_FAMILIES`); the EBS root volume stays as it is, encrypted.
- ``scale_to_zero`` (GPU pools): no node is kept once it is empty. The pool consolidates
  ``WhenEmpty`` (``consolidation_policy`` is not read), removes an empty node within
  ``consolidate_after`` of at most 1h, and no budget with ``nodes: 0`` may cover reason
  ``Empty`` (those are the settings that would keep idle GPU nodes).
- ``node_health`` (the ``karpenter`` object): Karpenter's ``NodeRepair`` feature gate and the
  EKS node monitoring agent add-on, both on unless turned off.
- GPU pools are NVIDIA pools: every family is one of :data:`NVIDIA_GPU_FAMILIES` (AMD, FPGA
  and CPU families are rejected, naming the family); AWS Neuron families (Inferentia,
  Trainium) are rejected in every pool: neuron pools are not supported yet.

The family tables below are facts about EC2 instance families; their HCL twins are the
locals of ``modules/karpenter/main.tf`` (a test keeps them equal) and the module README
("Family tables") cites the sources.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, ValidationError, ValidationInfo, field_validator, model_validator

from toolkit.settings.base import DURATION_RE, NAME_RE, Name, Strict
from toolkit.settings.messages import expect, one_line, problem
from toolkit.settings.pool_math import duration_seconds, mix_on_demand_share
from toolkit.settings.pool_tables import (
    ACCOUNT_RE,
    AMI_ALIAS_RE,
    BUDGET_DURATION_RE,
    BUDGET_NODES_RE,
    BUDGET_SCHEDULE_RE,
    CHART_VERSION_RE,
    EFA_FAMILIES,
    EPS,
    EXPIRE_RE,
    FAMILY_RE,
    GPU_TAINT_KEY,
    LABEL_KEY_RE,
    LABEL_VALUE_RE,
    MAX_EFA_INTERFACES,
    MAX_RESERVATION_TAGS,
    MAX_RESERVATION_TERMS,
    NEURON_FAMILIES,
    NVIDIA_GPU_FAMILIES,
    NVME_FAMILIES,
    RESERVATION_ID_RE,
    ZONE_RE,
    BudgetReason,
    M,
    Policy,
    TaintEffect,
    family_kind,
)

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Baseline = Annotated[int | None, Field(ge=0), expect(M["pools.*.capacity_mix.baseline"])]
Limit = Annotated[int, Field(ge=1), expect(M["pools.*.limits"])]
LabelKey = Annotated[str, StringConstraints(pattern=LABEL_KEY_RE)]
LabelValue = Annotated[str, StringConstraints(pattern=LABEL_VALUE_RE)]
ChartVersion = Annotated[str, StringConstraints(pattern=CHART_VERSION_RE), expect(M["chart_version"])]
Namespace = Annotated[str, StringConstraints(pattern=NAME_RE), expect(M["namespace"])]
AmiAlias = Annotated[str, StringConstraints(pattern=AMI_ALIAS_RE), expect(M["pools.*.ami_alias"])]
ConsolidateAfter = Annotated[str, StringConstraints(pattern=DURATION_RE), expect(M["pools.*.consolidate_after"])]
ExpireAfter = Annotated[str, StringConstraints(pattern=EXPIRE_RE), expect(M["pools.*.expire_after"])]
TaintKey = Annotated[str, StringConstraints(pattern=LABEL_KEY_RE), expect(M["pools.*.taints[*].key"])]
BudgetNodes = Annotated[str, StringConstraints(pattern=BUDGET_NODES_RE),
                        expect(M["pools.*.disruption_budgets[*].nodes"])]
BudgetSchedule = Annotated[Annotated[str, StringConstraints(pattern=BUDGET_SCHEDULE_RE)] | None,
                           expect(M["pools.*.disruption_budgets[*].schedule"])]
BudgetDuration = Annotated[Annotated[str, StringConstraints(pattern=BUDGET_DURATION_RE)] | None,
                           expect(M["pools.*.disruption_budgets[*].duration"])]
GracePeriod = Annotated[Annotated[str, StringConstraints(pattern=DURATION_RE)] | None,
                        expect(M["pools.*.termination_grace_period"])]
AvailabilityZone = Annotated[str, StringConstraints(pattern=ZONE_RE)]
Zones = Annotated[Annotated[list[AvailabilityZone], Field(min_length=1)] | None, expect(M["pools.*.zones"])]
ReservationTags = Annotated[
    Annotated[dict[Annotated[str, StringConstraints(min_length=1, max_length=128)],
                   Annotated[str, StringConstraints(min_length=1, max_length=256)]],
              Field(min_length=1, max_length=MAX_RESERVATION_TAGS)] | None,
    expect(M["pools.*.capacity_reservations[*].tags"])]
Families = Annotated[list[Annotated[str, StringConstraints(pattern=FAMILY_RE)]], Field(min_length=1),
                     expect(M["pools.*.instance_families"])]


class Taint(Strict):
    key: TaintKey
    value: Annotated[LabelValue | None, expect(M["pools.*.taints[*].value"])] = None
    effect: Annotated[TaintEffect, expect(M["pools.*.taints[*].effect"])]


class CapacityMix(Strict):
    policy: Annotated[Policy, expect(M["pools.*.capacity_mix.policy"])]
    spot_share: Annotated[Share, expect(M["pools.*.capacity_mix.spot_share"])] = Field(
        0.5, description="Share of spot capacity, read by policy ratio only (0 < spot_share < 1); "
                         "on-demand implies 0 and spot implies 1.")
    baseline_cpu: Baseline = Field(None, description="on-demand-baseline: CPUs guaranteed on-demand.")
    baseline_gpu: Baseline = Field(None, description="on-demand-baseline: GPUs guaranteed on-demand.")

    @model_validator(mode="after")
    def _policy_fields(self) -> CapacityMix:
        if self.policy == "on-demand":
            self.spot_share = 0.0
        elif self.policy == "spot":
            self.spot_share = 1.0
        elif self.policy == "ratio" and not 0 < self.spot_share < 1:
            raise problem(f"{M['pools.*.capacity_mix.spot_share/ratio']}, got {self.spot_share}", "spot_share")
        elif self.policy == "on-demand-baseline" and self.baseline_cpu is None and self.baseline_gpu is None:
            raise problem(M["pools.*.capacity_mix"])
        return self


class Limits(Strict):
    cpu: Limit
    memory_gi: Limit
    gpu: Annotated[int | None, Field(ge=1), expect(M["pools.*.limits"])] = None

    def values(self) -> dict[str, int]:
        """The limits keyed cpu, memory_gi and (when set) gpu."""
        out = {"cpu": self.cpu, "memory_gi": self.memory_gi}
        if self.gpu is not None:
            out["gpu"] = self.gpu
        return out


class Budget(Strict):
    nodes: BudgetNodes
    schedule: BudgetSchedule = None
    duration: BudgetDuration = None
    reasons: Annotated[list[BudgetReason], expect(M["pools.*.disruption_budgets[*].reasons"])] = Field(
        default_factory=list)

    def holds_empty_nodes(self) -> bool:
        """The budget allows no disruption (``0`` or ``0%``) for reason Empty (no reasons: all)."""
        return self.nodes in ("0", "0%") and (not self.reasons or "Empty" in self.reasons)

    @model_validator(mode="after")
    def _schedule_with_duration(self) -> Budget:
        if (self.schedule is None) != (self.duration is None):
            raise problem(M["pools.*.disruption_budgets[*]"])
        return self


class ReservationTerm(Strict):
    """One capacityReservationSelectorTerm: a reservation id, or tags (and the owning account)."""

    id: Annotated[Annotated[str, StringConstraints(pattern=RESERVATION_ID_RE)] | None,
                  expect(M["pools.*.capacity_reservations[*].id"])] = None
    tags: ReservationTags = None
    owner: Annotated[Annotated[str, StringConstraints(pattern=ACCOUNT_RE)] | None,
                     expect(M["pools.*.capacity_reservations[*].owner"])] = Field(
        None, description="Account that owns the reservations selected by tags (shared ODCRs); ownerID.")

    @model_validator(mode="after")
    def _id_or_tags(self) -> ReservationTerm:
        if (self.id is None) == (self.tags is None) or (self.id is not None and self.owner is not None):
            raise problem(M["pools.*.capacity_reservations[*]"])
        return self

    def selector(self) -> dict[str, Any]:
        """The term as the EC2NodeClass's capacityReservationSelectorTerms item."""
        if self.id is not None:
            return {"id": self.id}
        term: dict[str, Any] = {"tags": dict(self.tags or {})}
        if self.owner is not None:
            term["ownerID"] = self.owner
        return term


class PlacementGroup(Strict):
    """The placement group of an EFA pool: an existing one by name, or one the module creates."""

    name: Annotated[Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,255}$")] | None,
                    expect(M["pools.*.efa.placement_group.name"])] = None
    strategy: Annotated[Literal["cluster"] | None, expect(M["pools.*.efa.placement_group.strategy"])] = Field(
        None, description="cluster: modules/karpenter creates the cluster placement group <name>-<pool>.")

    @model_validator(mode="after")
    def _one(self) -> PlacementGroup:
        if (self.name is None) == (self.strategy is None):
            raise problem(M["pools.*.efa.placement_group"])
        return self


class Efa(Strict):
    """EFA for a training pool: ``interfaces`` EFA devices per node and a placement group."""

    enabled: bool = True
    interfaces: Annotated[int, Field(ge=1, le=MAX_EFA_INTERFACES), expect(M["pools.*.efa.interfaces"])] = Field(
        1, description="EFA devices per node: one efa-only interface per network card (p4d: 4, p5: 32, p5en: 16).")
    placement_group: PlacementGroup = Field(default_factory=lambda: PlacementGroup(strategy="cluster"))

    def network_interfaces(self) -> list[dict[str, Any]]:
        """The EC2NodeClass's networkInterfaces: the primary ENA interface (card 0, device 0), then
        one efa-only interface on card 0 device 1 and on device 0 of each further card (the EC2
        recommendation for instances with several network cards)."""
        out: list[dict[str, Any]] = [{"networkCardIndex": 0, "deviceIndex": 0, "interfaceType": "interface"}]
        for card in range(self.interfaces):
            out.append({"networkCardIndex": card, "deviceIndex": 1 if card == 0 else 0, "interfaceType": "efa-only"})
        return out


class Pool(Strict):
    gpu: bool = False
    instance_families: Families
    capacity_mix: CapacityMix
    limits: Limits
    ami_alias: AmiAlias = "al2023@latest"
    taints: list[Taint] = Field(default_factory=list)
    labels: Annotated[dict[LabelKey, LabelValue], expect(M["pools.*.labels"])] = Field(default_factory=dict)
    weight: Annotated[int, Field(ge=0, le=100), expect(M["pools.*.weight"])] = Field(
        10, description="NodePool weight 1..100 (higher is tried first); 0 leaves the NodePool without a weight.")
    consolidation_policy: Annotated[Literal["WhenEmpty", "WhenEmptyOrUnderutilized"],
                                    expect(M["pools.*.consolidation_policy"])] = "WhenEmptyOrUnderutilized"
    consolidate_after: ConsolidateAfter = "1m"
    expire_after: ExpireAfter = "720h"
    disruption_budgets: list[Budget] = Field(default_factory=lambda: [Budget(nodes="10%")])
    root_volume_gi: Annotated[int, Field(ge=20, le=16384), expect(M["pools.*.root_volume_gi"])] = 100
    termination_grace_period: GracePeriod = None
    zones: Zones = Field(None, description="Availability zones of the region the pool's nodes may run in "
                                           "(topology.kubernetes.io/zone); null: every zone of its subnets.")
    capacity_reservations: list[ReservationTerm] = Field(
        default_factory=list, description="Capacity reservations (ODCRs, Capacity Blocks) the pool uses first "
                                          "(capacity type reserved); terms are ORed.")

    efa: Efa | None = Field(None, description="EFA network interfaces and a placement group (training pools).")
    scale_to_zero: bool = Field(False, description="GPU pools: keep no empty node (WhenEmpty consolidation, "
                                                   "consolidate_after <= 1h, no budget holding empty nodes).")
    instance_store: Annotated[Literal["raid0"] | None, expect(M["pools.*.instance_store"])] = Field(
        None, description="raid0: instanceStorePolicy RAID0, kubelet and images on the local NVMe disks "
                          "(families with NVMe instance store only).")

    @property
    def efa_enabled(self) -> bool:
        return self.efa is not None and self.efa.enabled

    @property
    def reserved(self) -> bool:
        """The pool launches into capacity reservations (``reserved`` is one of its capacity types)."""
        return bool(self.capacity_reservations)

    def on_demand_share(self) -> float:
        """The share of the pool's capacity that its policy guarantees to be on-demand."""
        return on_demand_share(self)

    @model_validator(mode="after")
    def _rules(self, info: ValidationInfo) -> Pool:
        """The rules across fields, first failure wins (each has a twin in variables.tf)."""
        mix, limits = self.capacity_mix, self.limits
        if self.zones is not None and len(set(self.zones)) != len(self.zones):
            raise problem(f"{M['pools.*.zones']}, got {self.zones!r}", "zones")
        region = (info.context or {}).get("region")
        foreign = [z for z in self.zones or [] if region and z[:-1] != region]
        if foreign:
            raise problem(f"{M['pools.*.zones/region']} {region}, got {', '.join(foreign)}", "zones")
        if len(self.capacity_reservations) > MAX_RESERVATION_TERMS:
            raise problem(f"{M['pools.*.capacity_reservations']}, got {len(self.capacity_reservations)}",
                          "capacity_reservations")
        neuron = [f for f in dict.fromkeys(self.instance_families) if f in NEURON_FAMILIES]
        if neuron:
            raise problem(f"{M['pools.*.instance_families/neuron']}; Neuron: {', '.join(neuron)}",
                          "instance_families")
        if self.gpu:
            other = [f for f in dict.fromkeys(self.instance_families) if f not in NVIDIA_GPU_FAMILIES]
            if other:
                named = ", ".join(f"{f} ({family_kind(f)})" for f in other)
                raise problem(f"{M['pools.*.instance_families/gpu']}; not NVIDIA: {named}", "instance_families")
        if self.efa_enabled:
            if not self.gpu:
                raise problem(M["pools.*.efa/gpu"], "efa")
            no_efa = [f for f in dict.fromkeys(self.instance_families) if f not in EFA_FAMILIES]
            if no_efa:
                raise problem(f"{M['pools.*.efa/families']}; not EFA-capable: {', '.join(no_efa)}", "instance_families")
            if self.zones is None or len(self.zones) != 1:
                raise problem(f"{M['pools.*.efa/zones']}, got {self.zones!r}", "zones")
        if self.scale_to_zero:
            if not self.gpu:
                raise problem(M["pools.*.scale_to_zero/gpu"], "scale_to_zero")
            if duration_seconds(self.consolidate_after) > SCALE_TO_ZERO_MAX_WAIT:
                raise problem(f"{M['pools.*.scale_to_zero/consolidate_after']}, got {self.consolidate_after}",
                              "consolidate_after")
            holding = [i for i, b in enumerate(self.disruption_budgets) if b.holds_empty_nodes()]
            if holding:
                raise problem(f"{M['pools.*.scale_to_zero/budgets']} (budget {holding[0]})", "disruption_budgets")
            self.consolidation_policy = "WhenEmpty"
        if self.instance_store == "raid0":
            no_nvme = [f for f in dict.fromkeys(self.instance_families) if f not in NVME_FAMILIES]
            if no_nvme:
                raise problem(f"{M['pools.*.instance_store/families']}; no local NVMe: {', '.join(no_nvme)}",
                              "instance_store")
        if self.gpu and not any(t.key == GPU_TAINT_KEY and t.effect == "NoSchedule" for t in self.taints):
            raise problem(M["pools.*.taints/gpu"], "taints")
        if self.gpu and limits.gpu is None:
            raise problem(M["pools.*.limits.gpu/gpu"], "limits", "gpu")
        if mix.policy == "ratio":
            for res, value in limits.values().items():
                if value < 2:
                    raise problem(f"{M['pools.*.limits/ratio']}, got {value}", "limits", res)
        if mix.policy == "on-demand-baseline":
            for res, base, limit in (("cpu", mix.baseline_cpu, limits.cpu), ("gpu", mix.baseline_gpu, limits.gpu)):
                if base is None or (limit is not None and base <= limit):
                    continue
                why = "limits.gpu is not set" if limit is None else f"baseline_{res} {base} exceeds limits.{res}"
                raise problem(f"{M[f'pools.*.capacity_mix.baseline_{res}/limit']} "
                              f"({'not set' if limit is None else limit}, at least 1), but {why}",
                              "capacity_mix", f"baseline_{res}")
        return self


class NodeHealth(Strict):
    """Node health: Karpenter repairs unhealthy nodes, the EKS node monitoring agent reports them."""

    node_repair: bool = Field(True, description="Karpenter feature gate NodeRepair: replace nodes whose Ready or "
                                                "node monitoring agent conditions stay bad.")
    monitoring_agent: bool = Field(True, description="The EKS add-on eks-node-monitoring-agent (node conditions "
                                                     "such as AcceleratedHardwareReady for GPU faults).")


class Karpenter(Strict):
    chart_version: ChartVersion = "1.14.1"
    namespace: Namespace = "kube-system"
    min_on_demand_share: Annotated[Share, expect(M["min_on_demand_share"])] = 0.0
    pools: dict[Name, Pool] = Field(min_length=1)
    node_health: NodeHealth = Field(default_factory=NodeHealth)

    @field_validator("pools", mode="before")
    @classmethod
    def _some_pools(cls, value: object) -> object:
        if isinstance(value, Mapping) and not value:
            raise problem(M["pools"])
        return value

    @model_validator(mode="after")
    def _on_demand_floor(self) -> Karpenter:
        for name, pool in sorted(self.pools.items()):
            share = pool.on_demand_share()
            if share + EPS < self.min_on_demand_share:
                raise problem(f"on-demand share {share:.2f} {M['pools.*.capacity_mix/min_share']} "
                              f"{self.min_on_demand_share:.2f} (policy {pool.capacity_mix.policy})",
                              "pools", name, "capacity_mix")
        return self


# --------------------------------------------------------------------------- durations


SCALE_TO_ZERO_MAX_WAIT = 3600  # seconds: consolidate_after of a scale-to-zero pool
def on_demand_share(pool: Pool | Mapping[str, Any]) -> float:
    """The share of a pool's capacity its policy guarantees to be on-demand
    (:func:`toolkit.settings.pool_math.mix_on_demand_share`); ``pool`` is a :class:`Pool` or a
    pool of the contract (a tfvars mapping)."""
    if isinstance(pool, Pool):
        return mix_on_demand_share(pool.capacity_mix.model_dump(), pool.limits.model_dump(), pool.gpu)
    return mix_on_demand_share(pool["capacity_mix"], pool["limits"], bool(pool.get("gpu")))


# --------------------------------------------------------------------------- the contract's object


def validate_karpenter(data: object, region: str | None = None) -> tuple[Karpenter | None, list[str]]:
    """Validate the contract's ``karpenter`` object: the model, or one line per problem.

    ``region`` (the stack's AWS region) enables the rules that need it (pool zones lie in it).
    Lines read ``karpenter.<key path>: <message>``, as the settings loader words them.
    """
    try:
        return Karpenter.model_validate(data, context={"region": region} if region else None), []
    except ValidationError as exc:
        return None, [one_line(err, ("karpenter",)) for err in exc.errors()]
