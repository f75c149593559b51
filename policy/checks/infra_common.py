"""Shared helpers for the infra custom checkov checks (not a check itself).

checkov imports every ``.py`` file of ``policy/checks`` and puts the folder on
``sys.path``, so the check modules import this one as ``infra_common``.

Context. Some rules depend on the environment (``prod`` minimums) or on the
residency zone. ``infra scan`` writes a JSON context file before checkov starts
and points ``INFRA_POLICY_CONTEXT`` at it::

    {"policy": {"strict_environments": ["prod"], "required_tags": [...], ...},
     "files": {"/abs/.infra/prod/us-east/plan.json": {"environment": "prod",
               "region_key": "us-east", "aws_region": "us-east-1", "zone": "us",
               "zone_regions": ["us-east-1", "us-west-2"], "min_on_demand_share": 0.3}}}

A scanned file without an entry has no context: rules that need one return
UNKNOWN (checkov then reports nothing), except that a plan resource whose
``tags_all`` carries ``environment`` (provider ``default_tags``) still gives
the environment.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from typing import Any

CONTEXT_ENV = "INFRA_POLICY_CONTEXT"
UNKNOWN_VALUE = "true_after_unknown"  # checkov's marker for values known only after apply

DEFAULT_POLICY: dict[str, Any] = {
    "strict_environments": ["prod"],
    "required_tags": ["owner", "cost-center", "data-classification", "environment"],
    "max_secret_rotation_days": 90,
    "min_kms_deletion_window_days": 30,
}

CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _document() -> dict[str, Any]:
    path = os.environ.get(CONTEXT_ENV)
    return _load(path) if path else {}


def policy() -> dict[str, Any]:
    merged = dict(DEFAULT_POLICY)
    merged.update(_document().get("policy") or {})
    return merged


def _scanned_file(entity_path: str) -> str:
    # entity_path is "<file>:<type>:<name>"; names may contain ':' only after the type.
    file_part = entity_path.split(":", 1)[0]
    parts = [p for p in file_part.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    return "/".join(parts)


def file_context(entity_path: str) -> dict[str, Any] | None:
    rel = _scanned_file(entity_path)
    if not rel:
        return None
    for path, ctx in (_document().get("files") or {}).items():
        norm = str(path).replace("\\", "/")
        if norm == rel or norm.endswith("/" + rel):
            return dict(ctx)
    return None


def first(value: Any) -> Any:
    """checkov wraps HCL and plan attribute values in one-element lists."""
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


def get(conf: dict[str, Any], *path: str | int) -> Any:
    cur: Any = conf
    for key in path:
        cur = first(cur)
        if isinstance(key, int):
            if not isinstance(cur, list) or len(cur) <= key:
                return None
            cur = cur[key]
        else:
            if not isinstance(cur, dict) or key not in cur:
                return None
            cur = cur[key]
    return first(cur)


def blocks(value: Any) -> list[dict[str, Any]]:
    """The entries of a nested block (``replica``, ``rule`` ...), however checkov wrapped them."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [b for item in value for b in blocks(item)]
    return []


def is_plan(conf: dict[str, Any]) -> bool:
    return "__change_actions__" in conf or "__startline__" in conf


def is_unresolved(value: Any) -> bool:
    """An HCL expression checkov could not evaluate (``var.x``, ``local.y`` ...)."""
    if not isinstance(value, str):
        return False
    if value == UNKNOWN_VALUE:
        return False
    prefixes = ("var.", "local.", "module.", "data.", "each.", "count.", "aws_", "${", "try(", "lookup(")
    return value.startswith(prefixes) or "${" in value


def environment(conf: dict[str, Any], ctx: dict[str, Any] | None) -> str | None:
    if ctx and ctx.get("environment"):
        return str(ctx["environment"])
    tags = get(conf, "tags_all")
    if isinstance(tags, dict) and isinstance(tags.get("environment"), str):
        return str(tags["environment"])
    return None


def is_strict(env: str | None) -> bool:
    return env is not None and env in policy()["strict_environments"]


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def policy_statements(document: Any) -> list[dict[str, Any]] | None:
    """Statements of an IAM policy document given as JSON text or dict; None if unknown."""
    doc = first(document)
    if isinstance(doc, str):
        if doc == UNKNOWN_VALUE or is_unresolved(doc):
            return None
        try:
            doc = json.loads(doc)
        except ValueError:
            return None
    if not isinstance(doc, dict):
        return None
    statements = doc.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    return [s for s in statements if isinstance(s, dict)]


_ANY_ACCOUNT_ARN = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::([^:]*[*?][^:]*):")


def _principal_values(principal: Any) -> list[Any]:
    if isinstance(principal, dict):
        values: list[Any] = []
        for v in principal.values():
            values.extend(v if isinstance(v, list) else [v])
        return values
    if isinstance(principal, list):
        return principal
    return [principal]


def is_wildcard_principal(value: Any) -> bool:
    """``*``, or an IAM/STS ARN whose account is a wildcard (``arn:aws:iam::*:root``)."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    return text == "*" or bool(_ANY_ACCOUNT_ARN.match(text))


def has_wildcard_principal(statement: dict[str, Any]) -> bool:
    """The statement names any principal: a wildcard ``Principal`` or a ``NotPrincipal``
    (every principal except those listed)."""
    if statement.get("NotPrincipal") is not None:
        return True
    return any(is_wildcard_principal(v) for v in _principal_values(statement.get("Principal")))


# --- Karpenter objects -------------------------------------------------------------

GPU_CATEGORIES = ("g", "p")
# NVIDIA GPU instance families: g5, g6e, p4d, p5en, gr6 ... (trn*/inf* are accelerators, not nvidia.com/gpu)
_GPU_FAMILY = re.compile(r"^(g|p|gr)\d")
GPU_MANUFACTURER = "nvidia"


def requirements(nodepool: dict[str, Any]) -> list[dict[str, Any]]:
    spec = ((nodepool.get("spec") or {}).get("template") or {}).get("spec") or {}
    reqs = spec.get("requirements") or []
    return [r for r in reqs if isinstance(r, dict)]


def is_gpu_family(value: str) -> bool:
    """``g5``, ``p4d``, ``gr6`` (also an instance type ``g5.xlarge``: the family is before the dot)."""
    return bool(_GPU_FAMILY.match(value.strip().lower().split(".", 1)[0]))


def _gpu_requirement(key: Any, op: Any, values: list[str]) -> bool:
    if key == "karpenter.k8s.aws/instance-family" and op == "In":
        return any(is_gpu_family(v) for v in values)
    if key == "node.kubernetes.io/instance-type" and op == "In":
        return any("." in v and is_gpu_family(v) for v in values)
    if key == "karpenter.k8s.aws/instance-category" and op == "In":
        return any(v in GPU_CATEGORIES for v in values)
    if key == "karpenter.k8s.aws/instance-gpu-manufacturer":
        return op == "Exists" or (op == "In" and any(v.lower() == GPU_MANUFACTURER for v in values))
    if key == "karpenter.k8s.aws/instance-gpu-name":
        return op in ("In", "Exists")
    if key == "karpenter.k8s.aws/instance-gpu-count":
        if op == "Exists":
            return True
        numbers = [n for n in (as_number(v) for v in values) if n is not None]
        if op == "Gt":
            return any(n >= 0 for n in numbers)  # Gt "0": at least one GPU
        if op == "In":
            return any(n >= 1 for n in numbers)
    return False


def is_gpu_nodepool(nodepool: dict[str, Any]) -> bool:
    for req in requirements(nodepool):
        if _gpu_requirement(req.get("key"), req.get("operator"), [str(v) for v in req.get("values") or []]):
            return True
    spec = ((nodepool.get("spec") or {}).get("template") or {}).get("spec") or {}
    return any(isinstance(t, dict) and t.get("key") == "nvidia.com/gpu" for t in spec.get("taints") or [])


def capacity_types(nodepool: dict[str, Any]) -> set[str]:
    """Capacity types a NodePool may launch (Karpenter's default is on-demand)."""
    allowed: set[str] | None = None
    for req in requirements(nodepool):
        if req.get("key") != "karpenter.sh/capacity-type":
            continue
        values = {str(v) for v in req.get("values") or []}
        op = req.get("operator")
        if op == "In":
            allowed = values if allowed is None else allowed & values
        elif op == "NotIn":
            allowed = ({"spot", "on-demand", "reserved"} if allowed is None else allowed) - values
        elif op == "Exists":
            allowed = {"spot", "on-demand", "reserved"} if allowed is None else allowed
    return {"on-demand"} if allowed is None else allowed


def cpu_quantity(value: Any) -> float | None:
    if value is None:
        return None
    text = str(value).strip()
    if text.endswith("m"):
        num = as_number(text[:-1])
        return None if num is None else num / 1000
    return as_number(text)


POOL_LABELS = ("infra.platform/pool", "infra.toolkit/pool")
SPREAD_LABEL = "capacity-spread"
GPU_RESOURCE = "nvidia.com/gpu"


def pool_group(nodepool: dict[str, Any]) -> str:
    """The settings pool a NodePool belongs to (``<pool>``, ``<pool>-spot``, ``<pool>-on-demand``)."""
    spec = nodepool.get("spec") or {}
    template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    meta = nodepool.get("metadata") or {}
    for labels in (template_labels, meta.get("labels") or {}):
        for key in POOL_LABELS:
            if isinstance(labels.get(key), str):
                return str(labels[key])
    name = str(meta.get("name", ""))
    for suffix in ("-on-demand", "-spot"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def load_sibling_nodepools(scanned_file: str) -> list[dict[str, Any]]:
    """All NodePools in the manifests folder that holds ``scanned_file``."""
    import yaml  # checkov depends on PyYAML

    rel = _scanned_file(scanned_file)
    candidates = [rel, os.path.join(os.getcwd(), rel), "/" + rel]
    ctx_doc = _document().get("files") or {}
    candidates = [p for p in ctx_doc if str(p).replace("\\", "/").endswith("/" + rel)] + candidates
    folder = next((os.path.dirname(p) for p in candidates if os.path.isfile(p)), None)
    if folder is None:
        return []
    pools: list[dict[str, Any]] = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith((".yaml", ".yml")):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as fh:
            for doc in yaml.safe_load_all(fh):
                if isinstance(doc, dict) and doc.get("kind") == "NodePool":
                    pools.append(doc)
    return pools


def _spread_values(pool: dict[str, Any]) -> list[str] | None:
    for req in requirements(pool):
        if req.get("key") == SPREAD_LABEL and req.get("operator") == "In":
            return [str(v) for v in req.get("values") or []]
    return None


def _limit(pool: dict[str, Any], resource: str) -> float | None:
    limits = (pool.get("spec") or {}).get("limits") or {}
    return cpu_quantity(limits.get(resource))


def on_demand_share(pools: list[dict[str, Any]]) -> float:
    """Share of a pool group's capacity guaranteed to run on on-demand (or reserved) nodes.

    The group is the NodePools rendered for one settings pool:

    - one NodePool: 1.0 if it allows only on-demand, else 0.0 (Karpenter prefers spot);
    - a ``capacity-spread`` split: on-demand spread values over all spread values;
    - an on-demand NodePool next to a spot one: the on-demand limit over the largest limit
      of the group (GPU limits for GPU pools, else CPU); an unlimited on-demand pool is 1.0.
    """
    on_demand = [p for p in pools if "spot" not in capacity_types(p)]
    if not on_demand:
        return 0.0
    if len(on_demand) == len(pools):
        return 1.0
    spreads = [_spread_values(p) for p in pools]
    if all(s is not None for s in spreads):
        total = sum(len(s or []) for s in spreads)
        od = sum(len(_spread_values(p) or []) for p in on_demand)
        return od / total if total else 0.0
    resource = GPU_RESOURCE if all(_limit(p, GPU_RESOURCE) is not None for p in pools) else "cpu"
    od_limits = [_limit(p, resource) for p in on_demand]
    if any(v is None for v in od_limits):
        return 1.0
    ceilings = [_limit(p, resource) for p in pools]
    if any(v is None for v in ceilings):
        return 0.0
    ceiling = max(v or 0.0 for v in ceilings)
    return sum(v or 0.0 for v in od_limits) / ceiling if ceiling else 0.0
