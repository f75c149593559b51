"""Karpenter v1 cluster-side objects built from the rendered stack inputs.

`infra render` calls :func:`build_manifests` with the same dictionary it writes to
``terraform.tfvars.json`` and writes the result under ``.infra/ENV/REGION/manifests/``
for GitOps review. ``modules/karpenter/nodepools.tf`` builds the same NodePool and
EC2NodeClass objects from the same inputs; a test keeps the two equal, so every rule
below has a twin in HCL (keep them in step).

Capacity mixes (``pools.<name>.capacity_mix.policy``):

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

:func:`validate_manifest` checks an object against the ``openAPIV3Schema`` of the
Karpenter CRDs bundled in ``crds/`` (1.14.1, see ``crds/PROVENANCE.json``) and against the CEL rules of those CRDs
that matter for generated objects.
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from toolkit.errors import UserError
from toolkit.fsutil import atomic_write_text

NODEPOOL_API = "karpenter.sh/v1"
NODECLASS_API = "karpenter.k8s.aws/v1"
CAPACITY_TYPE = "karpenter.sh/capacity-type"
SPREAD_LABEL = "capacity-spread"
GPU_RESOURCE = "nvidia.com/gpu"
GPU_LABEL = "nvidia.com/gpu.present"
POOL_LABEL = "infra.platform/pool"
MANAGED_BY = {"app.kubernetes.io/managed-by": "infra"}
POLICIES = ("spot-first", "on-demand-baseline", "ratio", "on-demand", "spot")
CRD_FILES = {
    "NodePool": "karpenter.sh_nodepools.yaml",
    "EC2NodeClass": "karpenter.k8s.aws_ec2nodeclasses.yaml",
}
ARGOCD_NAMESPACE = "argocd"
CHART_REPOSITORY = "public.ecr.aws/karpenter"  # Argo CD form of oci://public.ecr.aws/karpenter
SPREAD_MAX_BUCKETS = 20
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_DURATION = r"([0-9]+(s|m|h))+"
_BUDGET_DURATION = r"(([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?"
_EPS = 1e-9

Json = dict[str, Any]


# --------------------------------------------------------------------------- names


def node_role_name(name: str) -> str:
    return f"{name}-karpenter-node"


def controller_role_name(name: str) -> str:
    return f"{name}-karpenter-controller"


def queue_name(name: str) -> str:
    return f"{name}-karpenter"


def ebs_key_alias_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:kms:{region}:{account_id}:alias/{name}-ebs"


# --------------------------------------------------------------------------- inputs


def _where(source: str, path: str) -> str:
    return f"{source}: {path}"


def on_demand_share(pool: Json) -> float:
    """The share of a pool's capacity its policy guarantees to be on-demand.

    ``ratio``: ``(n - k) / n`` of :func:`spread_buckets` (equal to ``1 - spot_share`` when
    ``spot_share * n`` is whole for some ``n <= 20``), the share of the spread domain and of
    the limits the on-demand NodePool gets. ``on-demand-baseline``: baseline over limit
    (GPUs for a GPU pool with ``baseline_gpu``, else CPUs); the spot NodePool gets only
    ``limit - baseline``, so at full use the on-demand part is exactly that share and below
    it more (the baseline fills first).
    """
    mix = pool["capacity_mix"]
    policy = mix["policy"]
    if policy == "on-demand":
        return 1.0
    if policy in ("spot", "spot-first"):
        return 0.0
    if policy == "ratio":
        k, n = spread_buckets(float(mix["spot_share"]))
        return (n - k) / n
    # on-demand-baseline: the baseline over the pool's ceiling (GPU when the pool is GPU).
    if pool["gpu"] and mix.get("baseline_gpu") is not None and pool["limits"].get("gpu"):
        return float(mix["baseline_gpu"]) / float(pool["limits"]["gpu"])
    if mix.get("baseline_cpu") is not None and pool["limits"]["cpu"]:
        return float(mix["baseline_cpu"]) / float(pool["limits"]["cpu"])
    return 0.0


def check_inputs(inputs: Json) -> list[str]:
    """The rules ``modules/karpenter/variables.tf`` validates, as messages (empty if fine)."""
    errors: list[str] = []
    karpenter = inputs.get("karpenter")
    if not isinstance(karpenter, dict):
        return ["karpenter: expected an object with chart_version, namespace, pools"]
    for key in ("environment", "region", "account_id", "name"):
        if not isinstance(inputs.get(key), str) or not inputs[key]:
            errors.append(f"{key}: expected a non-empty string")
    if not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", str(karpenter.get("chart_version", ""))):
        errors.append("karpenter.chart_version: expected a pinned chart version such as 1.14.1")
    minimum = float(karpenter.get("min_on_demand_share", 0))
    if not 0 <= minimum <= 1:
        errors.append("karpenter.min_on_demand_share: expected a number between 0 and 1")
    pools = karpenter.get("pools") or {}
    for pname in sorted(pools):
        pool = pools[pname]
        at = f"karpenter.pools.{pname}"
        if not re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?", pname):
            errors.append(f"{at}: pool name must be a DNS label of at most 42 characters")
        mix = pool["capacity_mix"]
        policy = mix["policy"]
        if policy not in POLICIES:
            errors.append(f"{at}.capacity_mix.policy: expected one of {', '.join(POLICIES)}, got {policy!r}")
            continue
        share = float(mix["spot_share"])
        if not 0 <= share <= 1:
            errors.append(f"{at}.capacity_mix.spot_share: expected a number between 0 and 1, got {share}")
            continue
        if policy == "ratio" and not 0 < share < 1:
            errors.append(f"{at}.capacity_mix.spot_share: policy ratio needs 0 < spot_share < 1")
            continue
        if policy == "ratio":
            for res, value in _limit_values(pool).items():
                if value < 2:
                    errors.append(f"{at}.limits.{res}: a ratio pool needs at least 2 (one per NodePool), got {value}")
        if policy == "on-demand-baseline":
            if mix.get("baseline_cpu") is None and mix.get("baseline_gpu") is None:
                errors.append(f"{at}.capacity_mix: on-demand-baseline needs baseline_cpu or baseline_gpu")
                continue
            for res in ("cpu", "gpu"):
                base, limit = mix.get(f"baseline_{res}"), pool["limits"].get(res)
                if base is not None and (limit is None or limit < 1 or not 0 <= base <= limit):
                    errors.append(f"{at}.capacity_mix.baseline_{res}: expected a number between 0 and "
                                  f"limits.{res} ({limit}, at least 1), got {base}")
        if on_demand_share(pool) + _EPS < minimum:
            errors.append(
                f"{at}.capacity_mix: on-demand share {on_demand_share(pool):.2f} is below "
                f"karpenter.min_on_demand_share {minimum:.2f}"
            )
        if pool["gpu"]:
            if not any(
                t["key"] == GPU_RESOURCE and t["effect"] == "NoSchedule" for t in pool.get("taints", [])
            ):
                errors.append(f"{at}.taints: a GPU pool needs the {GPU_RESOURCE} NoSchedule taint")
            if pool["limits"].get("gpu") is None:
                errors.append(f"{at}.limits.gpu: a GPU pool needs a GPU limit")
        if not re.fullmatch(r"(al2023|bottlerocket)@.+", pool["ami_alias"]):
            errors.append(f"{at}.ami_alias: expected al2023@<version> or bottlerocket@<version>")
        weight = pool.get("weight", 0)
        if not (isinstance(weight, int) or float(weight).is_integer()) or not 0 <= weight <= 100:
            errors.append(f"{at}.weight: expected an integer between 0 and 100")
        if not pool["instance_families"]:
            errors.append(f"{at}.instance_families: must not be empty")
        if pool["consolidation_policy"] not in ("WhenEmpty", "WhenEmptyOrUnderutilized"):
            errors.append(f"{at}.consolidation_policy: expected WhenEmpty or WhenEmptyOrUnderutilized")
        if not re.fullmatch(_DURATION, pool["consolidate_after"]):
            errors.append(f"{at}.consolidate_after: expected a duration such as 5m")
        if pool["expire_after"] != "Never" and not re.fullmatch(_DURATION, pool["expire_after"]):
            errors.append(f"{at}.expire_after: expected a duration such as 720h, or Never")
        for i, t in enumerate(pool.get("taints") or []):
            if t["effect"] not in TAINT_EFFECTS:
                errors.append(f"{at}.taints[{i}].effect: expected one of {', '.join(TAINT_EFFECTS)}")
        for i, b in enumerate(pool.get("disruption_budgets") or []):
            if (b.get("schedule") is None) != (b.get("duration") is None):
                errors.append(f"{at}.disruption_budgets[{i}]: schedule and duration go together")
            if not re.fullmatch(r"(100|[0-9]{1,2})%|[0-9]+", str(b["nodes"])):
                errors.append(f"{at}.disruption_budgets[{i}].nodes: expected a count or a percentage")
            if b.get("duration") is not None and not re.fullmatch(_BUDGET_DURATION, b["duration"]):
                errors.append(f"{at}.disruption_budgets[{i}].duration: expected hours and/or minutes, e.g. 10h")
        grace = pool.get("termination_grace_period")
        if grace is not None and not (isinstance(grace, str) and re.fullmatch(_DURATION, grace)):
            errors.append(f"{at}.termination_grace_period: expected a duration such as 24h, or null")
    return errors


# --------------------------------------------------------------------------- builders


def _int(value: Any) -> int:
    return int(value)


def spread_buckets(spot_share: float) -> tuple[int, int]:
    """(spot buckets k, total buckets n) for a ratio pool (0 < spot_share < 1).

    n is the smallest n <= 20 with spot_share * n whole, else 20 with k rounded; k is kept
    within 1..n-1 so both NodePools get at least one capacity-spread value.
    """
    n = next((n for n in range(1, SPREAD_MAX_BUCKETS + 1)
              if abs(spot_share * n - math.floor(spot_share * n + 0.5)) < _EPS), SPREAD_MAX_BUCKETS)
    k = math.floor(spot_share * n + 0.5)
    return min(max(k, 1), n - 1), n


def _limit_values(pool: Json) -> dict[str, int]:
    """The pool's limits as whole numbers keyed cpu, memory_gi and (when set) gpu."""
    values = {"cpu": _int(pool["limits"]["cpu"]), "memory_gi": _int(pool["limits"]["memory_gi"])}
    if pool["limits"].get("gpu") is not None:
        values["gpu"] = _int(pool["limits"]["gpu"])
    return values


def _nodepool_limits(values: dict[str, int]) -> Json:
    limits: Json = {"cpu": values["cpu"], "memory": f"{values['memory_gi']}Gi"}
    if "gpu" in values:
        limits[GPU_RESOURCE] = values["gpu"]
    return limits


def ratio_limits(values: dict[str, int], k: int, n: int) -> tuple[dict[str, int], dict[str, int]]:
    """(spot, on-demand) limits of a ratio pool: each resource split k/n : (n-k)/n.

    The spot part is ``total * k / n`` rounded half up and kept within ``1..total-1`` (so
    each NodePool can launch something); the on-demand part is the rest, so the two add up
    to the pool's limit. Integer arithmetic, as the HCL twin computes it.
    """
    spot = {r: min(max((2 * t * k + n) // (2 * n), 1), t - 1) for r, t in values.items()}
    return spot, {r: t - spot[r] for r, t in values.items()}


def baseline_limits(values: dict[str, int], mix: Json) -> tuple[dict[str, int], dict[str, int]]:
    """(on-demand, spot) limits of an on-demand-baseline pool.

    On-demand: ``baseline_cpu`` / ``baseline_gpu`` where given; every other resource
    (memory always) gets the same share as the reference baseline (``baseline_cpu /
    limits.cpu``, else ``baseline_gpu / limits.gpu``), rounded up so the baseline is never
    starved of memory. Spot: the pool's limit minus the on-demand part, per resource.
    """
    if mix.get("baseline_cpu") is not None:
        num, den = _int(mix["baseline_cpu"]), values["cpu"]
    else:
        num, den = _int(mix["baseline_gpu"]), values["gpu"]
    ondemand = {r: (t * num + den - 1) // den for r, t in values.items()}
    if mix.get("baseline_cpu") is not None:
        ondemand["cpu"] = _int(mix["baseline_cpu"])
    if mix.get("baseline_gpu") is not None and "gpu" in values:
        ondemand["gpu"] = _int(mix["baseline_gpu"])
    return ondemand, {r: t - ondemand[r] for r, t in values.items()}


def _variants(pname: str, pool: Json) -> list[Json]:
    """One entry per NodePool: name, capacity types, weight, limits, spread values."""
    mix = pool["capacity_mix"]
    policy = mix["policy"]
    weight = _int(pool.get("weight", 0))
    values = _limit_values(pool)
    limits = _nodepool_limits(values)
    if policy == "spot-first":
        return [{"name": pname, "types": ["on-demand", "spot"], "weight": weight, "limits": limits, "spread": None}]
    if policy in ("spot", "on-demand"):
        return [{"name": pname, "types": [policy], "weight": weight, "limits": limits, "spread": None}]
    if policy == "ratio":
        k, n = spread_buckets(float(mix["spot_share"]))
        spread = [str(i) for i in range(1, n + 1)]
        spot_part, od_part = ratio_limits(values, k, n)
        return [
            {"name": f"{pname}-on-demand", "types": ["on-demand"], "weight": weight,
             "limits": _nodepool_limits(od_part), "spread": spread[k:]},
            {"name": f"{pname}-spot", "types": ["spot"], "weight": weight,
             "limits": _nodepool_limits(spot_part), "spread": spread[:k]},
        ]
    # on-demand-baseline: the capped on-demand pool outranks the spot pool, so pods fill the
    # baseline first and only the burst above it (up to limits - baseline) goes to spot.
    spot_weight = max(1, min(weight, 99))
    od_part, spot_part = baseline_limits(values, mix)
    return [
        {"name": f"{pname}-on-demand", "types": ["on-demand"], "weight": spot_weight + 1,
         "limits": _nodepool_limits(od_part), "spread": None},
        {"name": f"{pname}-spot", "types": ["spot"], "weight": spot_weight,
         "limits": _nodepool_limits(spot_part), "spread": None},
    ]


def _nodepool(pname: str, pool: Json, variant: Json) -> Json:
    requirements: list[Json] = [
        {"key": "karpenter.k8s.aws/instance-family", "operator": "In",
         "values": sorted(pool["instance_families"])},
        {"key": CAPACITY_TYPE, "operator": "In", "values": variant["types"]},
        {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
    ]
    if pool["gpu"]:
        requirements.append({"key": "karpenter.k8s.aws/instance-gpu-count", "operator": "Gt", "values": ["0"]})
    if variant["spread"] is not None:
        requirements.append({"key": SPREAD_LABEL, "operator": "In", "values": variant["spread"]})
    labels: dict[str, str] = dict(pool.get("labels") or {})
    labels[POOL_LABEL] = pname
    if pool["gpu"]:
        labels[GPU_LABEL] = "true"
    taints = []
    for t in pool.get("taints") or []:
        taint = {"key": t["key"], "effect": t["effect"]}
        if t.get("value") is not None:
            taint["value"] = t["value"]
        taints.append(taint)
    budgets = []
    for b in pool.get("disruption_budgets") or []:
        budget: Json = {"nodes": b["nodes"]}
        for field in ("schedule", "duration"):
            if b.get(field) is not None:
                budget[field] = b[field]
        if b.get("reasons"):
            budget["reasons"] = list(b["reasons"])
        budgets.append(budget)
    disruption: Json = {
        "consolidationPolicy": pool["consolidation_policy"],
        "consolidateAfter": pool["consolidate_after"],
    }
    if budgets:
        disruption["budgets"] = budgets
    template_spec: Json = {
        "expireAfter": pool["expire_after"],
        "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": pname},
        "requirements": requirements,
    }
    if taints:
        template_spec["taints"] = taints
    if pool.get("termination_grace_period") is not None:
        template_spec["terminationGracePeriod"] = pool["termination_grace_period"]
    spec: Json = {
        "disruption": disruption,
        "limits": variant["limits"],
        "template": {"metadata": {"labels": labels}, "spec": template_spec},
    }
    if variant["weight"] > 0:
        spec["weight"] = variant["weight"]
    return {
        "apiVersion": NODEPOOL_API,
        "kind": "NodePool",
        "metadata": {"name": variant["name"], "labels": dict(MANAGED_BY)},
        "spec": spec,
    }


def _nodeclass(pname: str, pool: Json, inputs: Json) -> Json:
    name = inputs["name"]
    # The module tags by var.cluster_name (as the network and eks-cluster modules tag subnets
    # and security groups); the root stack's cluster is named var.name, so the two agree.
    discovery = {"karpenter.sh/discovery": inputs.get("cluster_name") or name}
    family = pool["ami_alias"].split("@", 1)[0]
    ebs = {
        "deleteOnTermination": True,
        "encrypted": True,
        "kmsKeyID": ebs_key_alias_arn(inputs["region"], inputs["account_id"], name),
        "volumeSize": f"{_int(pool['root_volume_gi'])}Gi",
        "volumeType": "gp3",
    }
    if family == "bottlerocket":
        # Bottlerocket: a small OS volume, kubelet and images on the data volume.
        os_ebs = dict(ebs, volumeSize="4Gi")
        devices = [
            {"deviceName": "/dev/xvda", "ebs": os_ebs},
            {"deviceName": "/dev/xvdb", "ebs": ebs, "rootVolume": True},
        ]
    else:
        devices = [{"deviceName": "/dev/xvda", "ebs": ebs, "rootVolume": True}]
    tags = dict(inputs.get("tags") or {})
    tags[POOL_LABEL] = pname
    return {
        "apiVersion": NODECLASS_API,
        "kind": "EC2NodeClass",
        "metadata": {"name": pname, "labels": dict(MANAGED_BY)},
        "spec": {
            "amiSelectorTerms": [{"alias": pool["ami_alias"]}],
            "blockDeviceMappings": devices,
            "metadataOptions": {
                "httpEndpoint": "enabled",
                "httpProtocolIPv6": "disabled",
                "httpPutResponseHopLimit": 1,
                "httpTokens": "required",
            },
            "role": node_role_name(name),
            "securityGroupSelectorTerms": [{"tags": dict(discovery)}],
            "subnetSelectorTerms": [{"tags": dict(discovery)}],
            "tags": tags,
        },
    }


def helm_values(inputs: Json, cluster_endpoint: str | None = None) -> Json:
    """Values for the karpenter chart (the CRDs come from the karpenter-crd chart)."""
    name = inputs["name"]
    settings: Json = {"clusterName": name, "interruptionQueue": queue_name(name)}
    if cluster_endpoint is not None:
        settings["clusterEndpoint"] = cluster_endpoint
    return {
        "controller": {"resources": {"limits": {"memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}}},
        "replicas": 2,
        "serviceAccount": {"create": True, "name": "karpenter"},
        "settings": settings,
        "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}],
    }


def _application(inputs: Json, chart: str, wave: int, values: Json | None) -> Json:
    karpenter = inputs["karpenter"]
    helm: Json = {"releaseName": chart}
    if values is not None:
        helm["valuesObject"] = values
        helm["skipCrds"] = True
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": f"{inputs['name']}-{chart}",
            "namespace": ARGOCD_NAMESPACE,
            "labels": dict(MANAGED_BY),
            "annotations": {"argocd.argoproj.io/sync-wave": str(wave)},
        },
        "spec": {
            "project": "default",
            "source": {
                "repoURL": CHART_REPOSITORY,
                "chart": chart,
                "targetRevision": karpenter["chart_version"],
                "helm": helm,
            },
            "destination": {"server": "https://kubernetes.default.svc", "namespace": karpenter["namespace"]},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": ["CreateNamespace=true", "ServerSideApply=true"],
            },
        },
    }


def build_manifests(inputs: Json, source: str = "terraform.tfvars.json") -> dict[str, list[Json]]:
    """NodePools, EC2NodeClasses and Argo CD Applications for one stack's inputs.

    ``inputs`` is the tfvars dictionary of the contract. Raises ``UserError`` (naming
    ``source`` and the key path) when a pool breaks a rule of :func:`check_inputs`.
    """
    problems = check_inputs(inputs)
    if problems:
        raise UserError(_where(source, problems[0]) + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    pools = inputs["karpenter"]["pools"]
    nodepools: list[Json] = []
    nodeclasses: list[Json] = []
    for pname in sorted(pools):
        pool = pools[pname]
        for variant in _variants(pname, pool):
            nodepools.append(_nodepool(pname, pool, variant))
        nodeclasses.append(_nodeclass(pname, pool, inputs))
    nodepools.sort(key=lambda o: o["metadata"]["name"])
    applications = [
        _application(inputs, "karpenter-crd", -1, None),
        _application(inputs, "karpenter", 0, helm_values(inputs)),
    ]
    return {"nodepools": nodepools, "ec2nodeclasses": nodeclasses, "applications": applications}


def to_yaml(objects: list[Json]) -> str:
    """Multi-document YAML, keys sorted: the same objects always give the same bytes."""
    return "".join(
        "---\n" + yaml.safe_dump(o, sort_keys=True, default_flow_style=False, allow_unicode=True) for o in objects
    )


def render_files(inputs: Json, source: str = "terraform.tfvars.json") -> dict[str, str]:
    """File name -> YAML text for ``.infra/ENV/REGION/manifests/``."""
    built = build_manifests(inputs, source)
    return {
        "karpenter-applications.yaml": to_yaml(built["applications"]),
        "karpenter-ec2nodeclasses.yaml": to_yaml(built["ec2nodeclasses"]),
        "karpenter-nodepools.yaml": to_yaml(built["nodepools"]),
    }


def write_manifests(directory: Path, inputs: Json, source: str = "terraform.tfvars.json") -> list[Path]:
    """Write :func:`render_files` atomically into ``directory``; returns the paths written."""
    written = []
    for fname, text in sorted(render_files(inputs, source).items()):
        path = Path(directory) / fname
        atomic_write_text(path, text)
        written.append(path)
    return written


# --------------------------------------------------------------------------- validation


CRD_DIR = Path(__file__).with_name("crds")  # bundled Karpenter 1.14.1 CRDs (crds/PROVENANCE.json)


@functools.lru_cache(maxsize=8)
def _crd_schema(path: str) -> Json:
    file = Path(path)
    if not file.is_file():
        raise UserError(f"{file}: bundled Karpenter CRD missing (a broken install: reinstall the toolkit)")
    crd = yaml.safe_load(file.read_text(encoding="utf-8"))
    for version in crd["spec"]["versions"]:
        if version["name"] == "v1":
            schema: Json = version["schema"]["openAPIV3Schema"]
            return schema
    raise UserError(f"{file}: spec.versions has no v1 schema")


def crd_schema(kind: str) -> Json:
    return _crd_schema(str(CRD_DIR / CRD_FILES[kind]))


def _path(parts: Any) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(root)"


_LABEL_RESTRICTED_AWS = frozenset(
    "karpenter.k8s.aws/" + s
    for s in ["instance-tenancy", "capacity-reservation-type", "capacity-reservation-id", "capacity-reservation-interruptible", "ec2nodeclass", "instance-encryption-in-transit-supported", "nitro-sandbox", "instance-category", "instance-hypervisor", "instance-family", "instance-generation", "instance-local-nvme", "instance-size", "instance-cpu", "instance-cpu-manufacturer", "instance-cpu-sustained-clock-speed-mhz", "instance-memory", "instance-ebs-bandwidth", "instance-network-bandwidth", "instance-gpu-name", "instance-gpu-manufacturer", "instance-gpu-count", "instance-gpu-memory", "instance-accelerator-name", "instance-accelerator-manufacturer", "instance-accelerator-count", "instance-capability-flex", "placement-group-id", "placement-group-partition"]
)
_CRON_FIELD = re.compile(r"^(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?)*$")
_CRON_MACRO = re.compile(r"^@(annually|yearly|monthly|weekly|daily|midnight|hourly)$")


def _label_key_errors(key: str, where: str) -> list[str]:
    domain = key.split("/", 1)[0] if "/" in key else ""
    errors = []
    if key not in (CAPACITY_TYPE, "karpenter.sh/nodepool") and domain.endswith("karpenter.sh"):
        errors.append(f"{where}: label domain \"karpenter.sh\" is restricted ({key})")
    if key == "karpenter.sh/nodepool":
        errors.append(f"{where}: label \"karpenter.sh/nodepool\" is restricted")
    if key == "kubernetes.io/hostname":
        errors.append(f"{where}: label \"kubernetes.io/hostname\" is restricted")
    if key not in _LABEL_RESTRICTED_AWS and domain.endswith("karpenter.k8s.aws"):
        errors.append(f"{where}: label domain \"karpenter.k8s.aws\" is restricted ({key})")
    return errors


def _is_nonneg_int(text: Any) -> bool:
    return isinstance(text, str) and re.fullmatch(r"[+]?[0-9]+", text.strip()) is not None


def _cel_nodepool(obj: Json) -> list[str]:
    errors: list[str] = []
    spec = obj.get("spec") or {}
    template = spec.get("template") or {}
    tspec = template.get("spec") or {}
    for key in ((template.get("metadata") or {}).get("labels") or {}):
        errors += _label_key_errors(key, "spec.template.metadata.labels")
    for i, req in enumerate(tspec.get("requirements") or []):
        where = f"spec.template.spec.requirements[{i}]"
        op = req.get("operator")
        values = req.get("values") or []
        errors += _label_key_errors(str(req.get("key", "")), f"{where}.key")
        if op in ("In", "NotIn") and not values:
            errors.append(f"{where}: requirements with operator '{op}' must have a value defined")
        if op in ("Exists", "DoesNotExist") and values:
            errors.append(f"{where}: requirements with operator '{op}' must not have values")
        if op in ("Gt", "Lt", "Gte", "Lte") and not (len(values) == 1 and _is_nonneg_int(values[0])):
            errors.append(
                f"{where}: requirements operator 'Gt', 'Lt', 'Gte', or 'Lte' must have a single positive integer value"
            )
        if op == "In" and "minValues" in req and len(values) < int(req["minValues"]):
            errors.append(f"{where}: requirements with 'minValues' must have at least that many values")
    budgets = (spec.get("disruption") or {}).get("budgets") or []
    for i, b in enumerate(budgets):
        where = f"spec.disruption.budgets[{i}]"
        if ("schedule" in b) != ("duration" in b):
            errors.append(f"{where}: 'schedule' must be set with 'duration'")
        sched = b.get("schedule")
        if isinstance(sched, str) and not _CRON_MACRO.match(sched):
            fields = sched.split()
            if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
                errors.append(f"{where}.schedule: expected a 5-field cron expression or @macro, got {sched!r}")
    ref = tspec.get("nodeClassRef") or {}
    for field in ("group", "kind", "name"):
        if field in ref and ref[field] == "":
            errors.append(f"spec.template.spec.nodeClassRef.{field}: may not be empty")
    if "replicas" in spec:
        if "weight" in spec:
            errors.append("spec: 'weight' is not supported on static NodePools")
        limits = spec.get("limits") or {}
        if limits and set(limits) != {"nodes"}:
            errors.append("spec: only 'limits.nodes' is supported on static NodePools")
    return errors


def _selector_errors(terms: list[Json], where: str, fields: tuple[str, ...], exclusive: tuple[str, ...]) -> list[str]:
    errors = []
    if not terms:
        errors.append(f"{where}: cannot be empty")
    for i, term in enumerate(terms):
        if not any(f in term for f in fields):
            errors.append(f"{where}[{i}]: expected at least one of {list(fields)}")
        for ex in exclusive:
            if ex in term and len(set(term) & set(fields)) > 1:
                errors.append(f"{where}[{i}]: '{ex}' is mutually exclusive with the other fields")
        for k, v in (term.get("tags") or {}).items():
            if k == "" or v == "":
                errors.append(f"{where}[{i}].tags: empty tag keys or values aren't supported")
    return errors


_FAMILY = {"al2": "AL2", "al2023": "AL2023", "bottlerocket": "Bottlerocket",
           "windows2019": "Windows2019", "windows2022": "Windows2022", "windows2025": "Windows2025"}


def _cel_nodeclass(obj: Json) -> list[str]:
    errors: list[str] = []
    spec = obj.get("spec") or {}
    ami = spec.get("amiSelectorTerms") or []
    errors += _selector_errors(ami, "spec.amiSelectorTerms", ("tags", "id", "name", "alias", "ssmParameter"), ())
    aliases = [t["alias"] for t in ami if "alias" in t]
    for i, term in enumerate(ami):
        if "id" in term and set(term) & {"alias", "tags", "name", "owner"}:
            errors.append(f"spec.amiSelectorTerms[{i}]: 'id' is mutually exclusive")
        if "alias" in term and set(term) & {"id", "tags", "name", "owner"}:
            errors.append(f"spec.amiSelectorTerms[{i}]: 'alias' is mutually exclusive")
    if aliases and len(ami) != 1:
        errors.append("spec.amiSelectorTerms: 'alias' cannot be combined with other amiSelectorTerms")
    for alias in aliases:
        if not re.fullmatch(r"[a-zA-Z0-9]+@.+", alias):
            errors.append(f"spec.amiSelectorTerms: alias {alias!r} must match the format 'family@version'")
            continue
        family, version = alias.split("@", 1)
        if family not in _FAMILY:
            errors.append(f"spec.amiSelectorTerms: alias family {family!r} is not supported")
            continue
        if family.startswith("windows") and version != "latest":
            errors.append("spec.amiSelectorTerms: windows families may only specify version 'latest'")
        if "amiFamily" in spec and spec["amiFamily"] not in ("Custom", _FAMILY[family]):
            errors.append(f"spec.amiFamily: must be {_FAMILY[family]!r} or 'Custom' with alias {alias!r}")
    if not aliases and "amiFamily" not in spec:
        errors.append("spec.amiFamily: required when amiSelectorTerms has no alias")
    errors += _selector_errors(spec.get("subnetSelectorTerms") or [], "spec.subnetSelectorTerms", ("tags", "id"), ("id",))
    errors += _selector_errors(
        spec.get("securityGroupSelectorTerms") or [], "spec.securityGroupSelectorTerms", ("tags", "id", "name"),
        ("id", "name"),
    )
    if ("role" in spec) == ("instanceProfile" in spec):
        errors.append("spec: must specify exactly one of ['role', 'instanceProfile']")
    for field in ("role", "instanceProfile"):
        if spec.get(field) == "":
            errors.append(f"spec.{field}: cannot be empty")
    devices = spec.get("blockDeviceMappings") or []
    if sum(1 for d in devices if d.get("rootVolume") is True) > 1:
        errors.append("spec.blockDeviceMappings: must have only one blockDeviceMappings with rootVolume")
    for i, d in enumerate(devices):
        ebs = d.get("ebs")
        if ebs is not None and "snapshotID" not in ebs and "volumeSize" not in ebs:
            errors.append(f"spec.blockDeviceMappings[{i}].ebs: snapshotID or volumeSize must be defined")
    for key in spec.get("tags") or {}:
        if key == "" or key in ("eks:eks-cluster-name", "karpenter.sh/nodepool", "karpenter.sh/nodeclaim",
                                "karpenter.k8s.aws/ec2nodeclass") or key.startswith("kubernetes.io/cluster"):
            errors.append(f"spec.tags: tag {key!r} is restricted")
    return errors


def validate_manifest(obj: Json) -> list[str]:
    """Problems with a NodePool or EC2NodeClass (empty list: valid).

    Checks the CRD's ``openAPIV3Schema`` (types, enums, patterns: durations, budgets'
    ``nodes``, label values, taint effects) with jsonschema, then the CEL rules
    (``x-kubernetes-validations``) that apply to a new object.
    """
    kind = obj.get("kind") if isinstance(obj, dict) else None
    if kind not in CRD_FILES:
        return [f"kind: expected one of {sorted(CRD_FILES)}, got {kind!r}"]
    expected_api = NODEPOOL_API if kind == "NodePool" else NODECLASS_API
    errors: list[str] = []
    if obj.get("apiVersion") != expected_api:
        errors.append(f"apiVersion: expected {expected_api!r} for {kind}, got {obj.get('apiVersion')!r}")
    if not (obj.get("metadata") or {}).get("name"):
        errors.append("metadata.name: required")
    validator = jsonschema.Draft7Validator(crd_schema(kind))
    for err in sorted(validator.iter_errors(obj), key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        errors.append(f"{_path(err.absolute_path)}: {err.message}")
    try:
        errors += _cel_nodepool(obj) if kind == "NodePool" else _cel_nodeclass(obj)
    except (TypeError, AttributeError, ValueError) as exc:  # shapes the schema already rejected
        errors.append(f"(root): cannot evaluate validation rules: {exc}")
    return errors
