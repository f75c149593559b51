"""Facts and words of the pool rules: the policies, the EC2 family tables, the patterns and the
messages. :mod:`toolkit.settings.pools` builds the models from them.

The family tables are facts about EC2 instance families; their HCL twins are the locals of
``modules/karpenter/main.tf`` (a test keeps them equal) and the module README ("Family
tables") cites the sources. The messages are the words of each rule; ``modules/karpenter/
variables.tf`` uses the same text in its ``error_message``.
"""

from __future__ import annotations

from typing import Literal, get_args

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
