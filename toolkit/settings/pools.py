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

import math
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, StringConstraints, ValidationError, ValidationInfo, field_validator, model_validator

from toolkit.settings.base import DURATION_RE, NAME_RE, Name, Strict
from toolkit.settings.messages import expect, one_line, problem

Policy = Literal["spot-first", "on-demand-baseline", "ratio", "on-demand", "spot"]
POLICIES: tuple[str, ...] = get_args(Policy)
TaintEffect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]
TAINT_EFFECTS: tuple[str, ...] = get_args(TaintEffect)
BudgetReason = Literal["Underutilized", "Empty", "Drifted"]
BUDGET_REASONS: tuple[str, ...] = get_args(BudgetReason)
GPU_TAINT_KEY = "nvidia.com/gpu"
SPREAD_MAX_BUCKETS = 20
EPS = 1e-9

# --------------------------------------------------------------------------- family tables
# Sources (module README, "Family tables"): the EC2 instance type guide (accelerated computing:
# GPU manufacturer, EFA, instance store) and eksctl's table generated from EC2
# DescribeInstanceTypes (pkg/utils/instance/instance_types.go: NvidiaGPUSupported, EFASupported,
# InstanceStorageSupported, NeuronSupported).

# Families whose GPUs are NVIDIA (nvidia.com/gpu from the NVIDIA device plugin).
NVIDIA_GPU_FAMILIES: tuple[str, ...] = (
    "g4dn", "g5", "g5g", "g6", "g6e", "g6f", "g7", "g7e", "gr6", "gr6f",
    "p3dn", "p4d", "p4de", "p5", "p5e", "p5en", "p6-b200", "p6-b300",
)
# AWS Neuron families (aws.amazon.com/neuron, not nvidia.com/gpu): not supported in any pool yet.
NEURON_FAMILIES: dict[str, str] = {
    "inf1": "AWS Inferentia", "inf2": "AWS Inferentia",
    "trn1": "AWS Trainium", "trn1n": "AWS Trainium", "trn2": "AWS Trainium",
}
# Other accelerated families that are not NVIDIA GPUs, with what they carry (for messages).
OTHER_ACCELERATOR_FAMILIES: dict[str, str] = {
    "g4ad": "AMD GPU", "dl1": "Intel Gaudi", "dl2q": "Qualcomm AI 100",
    "f1": "FPGA", "f2": "FPGA", "vt1": "Xilinx media accelerator",
}
GPU_MANUFACTURER = "nvidia"
# NVIDIA GPU families with EFA (on their larger sizes: Karpenter skips the sizes without it).
EFA_FAMILIES: tuple[str, ...] = (
    "g4dn", "g5", "g6", "g6e", "g7", "g7e", "gr6",
    "p3dn", "p4d", "p4de", "p5", "p5e", "p5en", "p6-b200", "p6-b300",
)
MAX_EFA_INTERFACES = 32  # p5.48xlarge and p5e.48xlarge: 32 network cards, one EFA each
# Families with NVMe SSD instance store on every size (a small table: the GPU families and the
# usual "d" and storage-optimized CPU families; extend it with the source at hand).
NVME_FAMILIES: tuple[str, ...] = (
    "g4dn", "g5", "g6", "g6e", "g6f", "g7", "g7e", "gr6", "gr6f",
    "p3dn", "p4d", "p4de", "p5", "p5e", "p5en", "p6-b200", "p6-b300",
    "c5d", "c6id", "c7gd", "m5d", "m6id", "m7gd", "r5d", "r6id", "r7gd",
    "i3", "i3en", "i4g", "i4i", "im4gn", "is4gen",
)


def family_kind(family: str) -> str:
    """What a family that is not an NVIDIA GPU family carries ("AMD GPU", "no GPU" ...)."""
    return {**OTHER_ACCELERATOR_FAMILIES, **NEURON_FAMILIES}.get(family, "no GPU")


CHART_VERSION_RE = r"^[0-9]+\.[0-9]+\.[0-9]+$"
FAMILY_RE = r"^[a-z][a-z0-9-]*$"
AMI_ALIAS_RE = r"^(al2023|bottlerocket)@(latest|v[0-9][0-9.]*)$"
LABEL_KEY_RE = r"^([a-z0-9.-]+/)?[A-Za-z0-9_.-]{1,63}$"
LABEL_VALUE_RE = r"^[A-Za-z0-9_.-]{0,63}$"
EXPIRE_RE = r"^(Never|([0-9]+(s|m|h))+)$"
ZONE_RE = r"^[a-z]{2}(-gov)?-[a-z]+-[0-9][a-z]$"
RESERVATION_ID_RE = r"^cr-[0-9a-z]+$"
ACCOUNT_RE = r"^[0-9]{12}$"
MAX_RESERVATION_TERMS = 30  # the CRD's maxItems of capacityReservationSelectorTerms
MAX_RESERVATION_TAGS = 20  # the CRD's maxProperties of a term's tags
BUDGET_NODES_RE = r"^((100|[0-9]{1,2})%|[0-9]+)$"
# The CRD's pattern for a budget's duration (hours and/or minutes).
BUDGET_DURATION_RE = r"^(([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?$"
# Five space-separated cron fields, or a macro (the CRD's CEL rule checks the fields).
BUDGET_SCHEDULE_RE = r"^(@(annually|yearly|monthly|weekly|daily|midnight|hourly)|[^ ]+( [^ ]+){4})$"

# The words of each rule, keyed by the key path they are about (``*`` for a pool name,
# ``[*]`` for a list item). modules/karpenter/variables.tf uses the same text in its
# error_message, so a message found in a plan error and one from `infra render` agree.
MESSAGES: dict[str, str] = {
    "chart_version": "expected a pinned chart version such as 1.14.1",
    "namespace": "expected a namespace name of 2 to 32 lowercase letters, digits and hyphens",
    "min_on_demand_share": "expected a number between 0 and 1",
    "pools": "expected at least one pool",
    "pools.*.instance_families": "expected one or more EC2 instance families such as m6i or g6e",
    "pools.*.instance_families/gpu": "a GPU pool takes NVIDIA GPU families only (such as g6e or p5)",
    "pools.*.instance_families/neuron": "neuron pools (AWS Inferentia, Trainium) are not supported yet",
    "pools.*.capacity_mix": "policy on-demand-baseline needs baseline_cpu or baseline_gpu",
    "pools.*.capacity_mix.policy": "expected one of " + ", ".join(POLICIES),
    "pools.*.capacity_mix.spot_share": "expected a number between 0 and 1",
    "pools.*.capacity_mix.spot_share/ratio": "policy ratio needs 0 < spot_share < 1",
    "pools.*.capacity_mix.baseline": "expected a whole number, 0 or more",
    "pools.*.capacity_mix.baseline_cpu/limit": "expected a number between 0 and limits.cpu",
    "pools.*.capacity_mix.baseline_gpu/limit": "expected a number between 0 and limits.gpu",
    "pools.*.limits": "expected a whole number, at least 1",
    "pools.*.limits/ratio": "a ratio pool needs at least 2 (one per NodePool)",
    "pools.*.limits.gpu/gpu": "a GPU pool needs limits.gpu (a cap on nvidia.com/gpu)",
    "pools.*.taints/gpu": "a GPU pool needs the nvidia.com/gpu NoSchedule taint",
    "pools.*.taints[*].key": "expected a label key such as nvidia.com/gpu",
    "pools.*.taints[*].value": "expected a label value of at most 63 letters, digits, -, _ or .",
    "pools.*.taints[*].effect": "expected one of " + ", ".join(TAINT_EFFECTS),
    "pools.*.labels": "expected label keys such as team or example.com/team and values of at most 63 "
                      "letters, digits, -, _ or .",
    "pools.*.ami_alias": "expected al2023 or bottlerocket at latest or a pinned version, such as al2023@latest "
                         "or bottlerocket@v1.40.0",
    "pools.*.weight": "expected a whole number between 0 and 100 (0: no NodePool weight)",
    "pools.*.consolidation_policy": "expected WhenEmpty or WhenEmptyOrUnderutilized",
    "pools.*.consolidate_after": "expected a duration such as 5m",
    "pools.*.expire_after": "expected a duration such as 720h, or Never",
    "pools.*.disruption_budgets[*]": "schedule and duration go together",
    "pools.*.disruption_budgets[*].nodes": "expected a count or a percentage such as 10%",
    "pools.*.disruption_budgets[*].schedule": "expected a cron expression of five fields or a macro such as @daily",
    "pools.*.disruption_budgets[*].duration": "expected hours and/or minutes such as 10h or 1h30m",
    "pools.*.disruption_budgets[*].reasons": "expected a list of Underutilized, Empty or Drifted",
    "pools.*.root_volume_gi": "expected a whole number between 20 and 16384",
    "pools.*.termination_grace_period": "expected a duration such as 24h, or null",
    "pools.*.capacity_mix/min_share": "is below karpenter.min_on_demand_share",
    "pools.*.zones": "expected one or more distinct availability zones such as us-east-1a",
    "pools.*.efa.interfaces": f"expected a whole number of EFA interfaces between 1 and {MAX_EFA_INTERFACES}",
    "pools.*.efa.placement_group": "expected a placement group name or strategy cluster (one of the two)",
    "pools.*.efa.placement_group.name": "expected a placement group name of 1 to 255 letters, digits, -, _ or .",
    "pools.*.efa.placement_group.strategy": "expected strategy cluster",
    "pools.*.instance_store": "expected raid0 or null",
    "pools.*.instance_store/families": "instance_store raid0 needs families with local NVMe instance store "
                                       "(such as g5, g6, p4d or p5)",
    "pools.*.scale_to_zero/gpu": "scale_to_zero is for GPU pools (gpu: true)",
    "pools.*.scale_to_zero/consolidate_after": "a scale-to-zero pool removes empty nodes within consolidate_after "
                                               "of at most 1h",
    "pools.*.scale_to_zero/budgets": "a scale-to-zero pool must let Karpenter remove empty nodes: no budget with "
                                     "nodes 0 may cover reason Empty",
    "pools.*.efa/gpu": "an EFA pool is a GPU training pool (gpu: true)",
    "pools.*.efa/families": "an EFA pool takes EFA-capable families only (such as p4d, p5 or p5en)",
    "pools.*.efa/zones": "an EFA pool needs exactly one zone (zones: [<zone>]): EFA traffic and a cluster "
                         "placement group stay in one availability zone",
    "pools.*.zones/region": "expected availability zones of the stack's region",
    "pools.*.capacity_reservations": f"expected at most {MAX_RESERVATION_TERMS} capacity reservation selector terms",
    "pools.*.capacity_reservations[*]": "expected a term with id or tags (not both); owner goes with tags",
    "pools.*.capacity_reservations[*].id": "expected a capacity reservation id such as cr-0123456789abcdef0",
    "pools.*.capacity_reservations[*].tags": f"expected 1 to {MAX_RESERVATION_TAGS} tags with non-empty keys of at "
                                             "most 128 characters and non-empty values of at most 256 (* matches any)",
    "pools.*.capacity_reservations[*].owner": "expected the 12-digit id of the account that owns the reservations",
}
M = MESSAGES


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
_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1}


def duration_seconds(text: str) -> int:
    """Seconds of a duration such as ``1h30m`` (the pattern of ``consolidate_after``)."""
    return sum(int(n) * _UNIT_SECONDS[u] for n, u in re.findall(r"([0-9]+)(h|m|s)", text))


# --------------------------------------------------------------------------- shares


def spread_buckets(spot_share: float) -> tuple[int, int]:
    """(spot buckets k, total buckets n) of a ratio pool (0 < spot_share < 1).

    n is the smallest n <= 20 with spot_share * n whole, else 20 with k rounded; k is kept
    within 1..n-1 so both NodePools get at least one capacity-spread value.
    """
    n = next((n for n in range(1, SPREAD_MAX_BUCKETS + 1)
              if abs(spot_share * n - math.floor(spot_share * n + 0.5)) < EPS), SPREAD_MAX_BUCKETS)
    k = math.floor(spot_share * n + 0.5)
    return min(max(k, 1), n - 1), n


def on_demand_share(pool: Pool | Mapping[str, Any]) -> float:
    """The share of a pool's capacity its policy guarantees to be on-demand.

    ``pool`` is a :class:`Pool` or a pool of the contract (a tfvars mapping). ``on-demand``
    1, ``spot`` and ``spot-first`` 0. ``ratio``: ``(n - k) / n`` of :func:`spread_buckets`
    (equal to ``1 - spot_share`` when ``spot_share * n`` is whole for some ``n <= 20``),
    the share of the spread domain and of the limits the on-demand NodePool gets.
    ``on-demand-baseline``: baseline over limit, GPUs when the pool is a GPU pool with
    ``baseline_gpu`` (or ``baseline_gpu`` is the only baseline), else CPUs; the spot
    NodePool gets only ``limit - baseline``, so at full use the on-demand part is exactly
    that share and below it more (the baseline fills first).
    """
    if isinstance(pool, Pool):
        mix, limits, gpu = pool.capacity_mix.model_dump(), pool.limits.model_dump(), pool.gpu
    else:
        mix, limits, gpu = pool["capacity_mix"], pool["limits"], bool(pool.get("gpu"))
    policy = mix["policy"]
    if policy == "on-demand":
        return 1.0
    if policy in ("spot", "spot-first"):
        return 0.0
    if policy == "ratio":
        k, n = spread_buckets(float(mix["spot_share"]))
        return (n - k) / n
    base_cpu, base_gpu = mix.get("baseline_cpu"), mix.get("baseline_gpu")
    if base_gpu is not None and limits.get("gpu") and (gpu or base_cpu is None):
        return float(base_gpu) / float(limits["gpu"])
    if base_cpu is not None and limits.get("cpu"):
        return float(base_cpu) / float(limits["cpu"])
    return 0.0


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
