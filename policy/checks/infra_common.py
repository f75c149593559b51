"""Shared helpers for the infra custom checkov checks (not a check itself).

checkov imports every ``.py`` file of ``policy/checks`` and puts the folder on
``sys.path``, so the check modules import this one as ``infra_common``.

Context. Some rules depend on the environment (``prod`` minimums) or on the
residency zone. ``infra scan`` writes a JSON context file before checkov starts
and points ``INFRA_POLICY_CONTEXT`` at it::

    {"policy": {"strict_environments": ["prod"], "required_tags": [...], ...},
     "files": {"/abs/.infra/prod/us-east/plan.json": {"environment": "prod",
               "region_key": "us-east", "aws_region": "us-east-1", "zone": "us",
               "zone_regions": ["us-east-1", "us-west-2"], "min_on_demand_share": 0.3,
               "account_id": "210987654321", "name": "prod-us-east"}}}

A scanned file without an entry has no context: rules that need one return
UNKNOWN (checkov then reports nothing), except that a plan resource whose
``tags_all`` carries ``environment`` (provider ``default_tags``) still gives
the environment.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

CONTEXT_ENV = "INFRA_POLICY_CONTEXT"
UNKNOWN_VALUE = "true_after_unknown"  # checkov's marker for values known only after apply

# Per-environment floors: values a change to the environment settings cannot lower. Their one
# source is the ``floors:`` block of policy/policy.yaml, which ``infra scan`` passes to the checks
# (context "policy" -> "floors") and which then replaces this default as a whole. This copy is the
# fallback for files checkov scans without the toolkit's context (the checks' fixtures);
# tests/policy/test_new_checks.py keeps it equal to policy.yaml.
# ``max_*`` keys are ceilings (a smaller value is stricter), all others are minimums.
DEFAULT_FLOORS: dict[str, dict[str, float]] = {
    "prod": {
        "min_on_demand_share": 0.3,
        "log_retention_days": 365,
        "secret_recovery_window_days": 30,
        "max_secret_rotation_days": 90,
        "min_kms_deletion_window_days": 30,
    },
    "staging": {
        "min_on_demand_share": 0.0,
        "log_retention_days": 90,
        "secret_recovery_window_days": 7,
        "max_secret_rotation_days": 90,
        "min_kms_deletion_window_days": 7,
    },
}

DEFAULT_POLICY: dict[str, Any] = {
    "strict_environments": ["prod"],
    "required_tags": ["owner", "cost-center", "data-classification", "environment"],
    "max_secret_rotation_days": 90,
    "min_kms_deletion_window_days": 30,
    "floors": DEFAULT_FLOORS,
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


def _floors() -> dict[str, dict[str, Any]]:
    floors = policy().get("floors")
    return floors if isinstance(floors, dict) else {}


def env_floor(env: str | None, key: str) -> float | None:
    """The floor ``key`` of environment ``env`` (policy floors), None when it has none."""
    entry = _floors().get(env) if env is not None else None
    return as_number(entry.get(key)) if isinstance(entry, dict) else None


def weakest_floor(key: str) -> float | None:
    """The least strict floor ``key`` of all environments: what a value must meet whatever its
    environment (used when the environment is unknown or has no floors of its own)."""
    values = [as_number(e.get(key)) for e in _floors().values() if isinstance(e, dict)]
    numbers = [v for v in values if v is not None]
    if not numbers:
        return None
    return max(numbers) if key.startswith("max_") else min(numbers)


def below_floor(value: float, env: str | None, key: str) -> bool | None:
    """Whether a known ``value`` breaks the floor ``key`` (a minimum): the environment's own floor,
    else the weakest floor of all. None when no floor applies and the environment is unknown
    (nothing can be said), False when a known environment has no floor at all."""
    own = env_floor(env, key)
    if own is not None:
        return value + 1e-9 < own
    weakest = weakest_floor(key)
    if weakest is not None and value + 1e-9 < weakest:
        return True
    return None if env is None else False


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


# --- IAM statements in both shapes -------------------------------------------------
#
# A policy reaches a check as JSON text (``aws_iam_policy.policy``, ``assume_role_policy``) or
# as the blocks of a ``data "aws_iam_policy_document"`` (HCL, and plans that read it during
# apply). Both become ``Statement``; a part checkov or terraform could not resolve marks the
# statement ``unknown``.


@dataclass
class Statement:
    effect: str = "Allow"
    actions: list[str] | None = None  # None: a NotAction statement (every action but not_actions)
    not_actions: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)  # ["*"] for a NotResource statement
    principals: dict[str, list[str]] = field(default_factory=dict)  # type -> identifiers
    conditions: list[tuple[str, str, list[str]]] = field(default_factory=list)  # operator, key (lower), values
    unknown: set[str] = field(
        default_factory=set
    )  # parts not known: effect, actions, resources, principals, conditions

    def grants(self, action: str) -> bool:
        """Whether the statement covers ``action`` (IAM wildcards, case-insensitive)."""
        wanted = action.lower()
        if self.actions is None:
            return not any(fnmatch.fnmatchcase(wanted, a.lower()) for a in self.not_actions)
        return any(fnmatch.fnmatchcase(wanted, a.lower()) for a in self.actions)

    def condition_keys(self, positive_only: bool = True) -> set[str]:
        return {k for op, k, values in self.conditions if not positive_only or is_positive_condition(op, values)}


def is_positive_condition(operator: str, values: list[str]) -> bool:
    """A condition that holds only when its key is present with a matching value.

    ``...IfExists``, negated operators (``StringNotEquals``) and ``ForAllValues:`` hold when the
    key is absent, so they do not scope a statement; ``Null`` scopes it only as ``"false"``.
    """
    op = operator.strip().lower()
    if op.startswith("forallvalues:"):
        return False
    op = op.removeprefix("foranyvalue:")
    if op == "null":
        return bool(values) and all(str(v).lower() == "false" for v in values)
    if op.endswith("ifexists") or "not" in op:
        return False
    return op.startswith(("string", "arn", "numeric", "date", "bool", "ipaddress"))


def _unknown_text(value: Any) -> bool:
    """Unknown: null, known only after apply, or a bare reference (``var.x``, ``${var.x}``). A template
    with literal parts (``arn:aws:ec2:${var.region}:*:instance/*``) is kept: its literal parts are
    what the IAM rules read."""
    if value is None or value == UNKNOWN_VALUE:
        return True
    if not isinstance(value, str) or not is_unresolved(value):
        return False
    text = value.strip()
    return "${" not in text or bool(re.fullmatch(r"\$\{[^{}]*\}", text))


def _strings(value: Any) -> tuple[list[str], bool]:
    """A scalar-or-list attribute as strings, and whether part of it is unknown."""
    items = value if isinstance(value, list) else [value]
    flat: list[Any] = []
    for item in items:
        flat.extend(item if isinstance(item, list) else [item])
    out = [str(v) for v in flat if isinstance(v, str) and not _unknown_text(v)]
    unknown = any(_unknown_text(v) or not isinstance(v, str) for v in flat)
    return out, unknown


UNKNOWN_CONDITION_VALUE = "<known after apply>"


def _condition_values(value: Any) -> list[str]:
    """Condition values as strings; one known only after apply (or an unresolved expression) is a
    placeholder: the condition is there and compares with a concrete value, which is what the
    rules need to know."""
    items = value if isinstance(value, list) else [value]
    flat: list[Any] = []
    for item in items:
        flat.extend(item if isinstance(item, list) else [item])
    return [UNKNOWN_CONDITION_VALUE if _unknown_text(v) else str(v) for v in flat]


def _json_statement(raw: dict[str, Any]) -> Statement:
    st = Statement(effect=str(raw.get("Effect", "Allow")))
    if "NotAction" in raw:
        st.not_actions, u = _strings(raw["NotAction"])
    else:
        st.actions, u = _strings(raw.get("Action", []))
    if u:
        st.unknown.add("actions")
    if "NotResource" in raw:
        st.resources = ["*"]
    else:
        st.resources, u = _strings(raw.get("Resource", []))
        if u:
            st.unknown.add("resources")
    principal = raw.get("Principal")
    if principal is not None:
        pairs = principal.items() if isinstance(principal, dict) else [("*", principal)]
        for ptype, ids in pairs:
            st.principals[str(ptype)], u = _strings(ids)
            if u:
                st.unknown.add("principals")
    if raw.get("NotPrincipal") is not None:
        st.principals["*"] = ["*"]
    conditions = raw.get("Condition") or {}
    if not isinstance(conditions, dict):
        st.unknown.add("conditions")
        conditions = {}
    for op, pairs in conditions.items():
        if not isinstance(pairs, dict):
            st.unknown.add("conditions")
            continue
        for key, values in pairs.items():
            st.conditions.append((str(op), str(key).lower(), _condition_values(values)))
    return st


def _block_statement(block: dict[str, Any]) -> Statement:
    effect = get(block, "effect")
    st = Statement(effect=effect if isinstance(effect, str) and not _unknown_text(effect) else "Allow")
    if isinstance(effect, str) and _unknown_text(effect):
        st.unknown.add("effect")
    not_actions = get(block, "not_actions")
    if not_actions not in (None, [], "None"):
        st.not_actions, u = _strings(not_actions)
    else:
        actions = get(block, "actions")
        st.actions, u = ([], False) if actions in (None, []) else _strings(actions)
    if u:
        st.unknown.add("actions")
    if get(block, "not_resources") not in (None, [], "None"):
        st.resources = ["*"]
    else:
        resources = get(block, "resources")
        st.resources, u = ([], False) if resources == [] else _strings(resources)
        if u:
            st.unknown.add("resources")
    for key, star in (("principals", False), ("not_principals", True)):
        for p in blocks(block.get(key)):
            ptype = get(p, "type")
            ids, u = _strings(get(p, "identifiers"))
            if u or not isinstance(ptype, str):
                st.unknown.add("principals")
            st.principals.setdefault("*" if star else str(ptype), []).extend(["*"] if star else ids)
    raw_conditions = block.get("condition")
    if isinstance(first(raw_conditions), str):
        st.unknown.add("conditions")  # the whole condition list known only after apply
    for c in blocks(raw_conditions):
        op, key = get(c, "test"), get(c, "variable")
        if not isinstance(op, str) or not isinstance(key, str) or _unknown_text(key) or _unknown_text(op):
            st.unknown.add("conditions")
            continue
        st.conditions.append((op, key.lower(), _condition_values(get(c, "values"))))
    return st


def statements_of(document: Any) -> list[Statement] | None:
    """Statements of a JSON policy (text or dict); None when the document is unknown."""
    raw = policy_statements(document)
    return None if raw is None else [_json_statement(s) for s in raw]


def document_statements(conf: dict[str, Any]) -> list[Statement] | None:
    """Statements of a ``data "aws_iam_policy_document"`` as checkov hands it over."""
    if "statement" not in conf:
        return []
    raw = conf.get("statement")
    if isinstance(first(raw), str):
        return None
    return [_block_statement(b) for b in blocks(raw)]


# --- ARNs, accounts, strings --------------------------------------------------------

# A concrete region in an ARN: arn:PARTITION:SERVICE:REGION:...
ARN_REGION = re.compile(r"arn:aws[a-zA-Z-]*:[a-zA-Z0-9-]+:([a-z]{2}(?:-[a-z]+)+-\d+):")
ARN_ACCOUNT = re.compile(r"arn:aws[a-zA-Z-]*:[a-zA-Z0-9-]+:[a-z0-9-]*:(\d{12}):")
ACCESS_KEY_ID = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")
_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9/+]{40}$")


def looks_like_secret_key(value: str) -> bool:
    """A 40-character AWS secret access key shape: base64 letters with upper, lower case and digits."""
    text = value.strip()
    return bool(
        _SECRET_SHAPE.match(text) and re.search(r"[A-Z]", text) and re.search(r"[a-z]", text) and re.search(r"\d", text)
    )


def walk_strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string of a checkov configuration with its attribute path (checkov's own keys left out)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if str(key).startswith("__") or str(key).endswith("_") or key in ("start_line", "end_line"):
                continue
            yield from walk_strings(item, f"{path}/{key}" if path else str(key))
    elif isinstance(value, list):
        for item in value:
            yield from walk_strings(item, path)


@lru_cache(maxsize=8)
def _plan_json(path: str) -> dict[str, Any]:
    return _load(path)


def scanned_plan(conf: dict[str, Any]) -> dict[str, Any] | None:
    """The whole plan a plan resource comes from (checkov records the file in ``__file__``)."""
    path = first(conf.get("__file__"))
    if not isinstance(path, str) or not path.endswith(".json") or not os.path.isfile(path):
        return None
    plan = _plan_json(path)
    return plan if "planned_values" in plan else None


_ACCOUNT_CONDITION_KEYS = ("aws:sourceaccount", "aws:principalaccount", "aws:resourceaccount")


def _plan_values(plan: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    def walk(module: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
        for res in module.get("resources") or []:
            if isinstance(res, dict) and isinstance(res.get("values"), dict):
                yield str(res.get("type", "")), res["values"]
        for child in module.get("child_modules") or []:
            yield from walk(child)

    yield from walk((plan.get("planned_values") or {}).get("root_module") or {})


def plan_account(plan: dict[str, Any], exclude_types: tuple[str, ...] = ()) -> str | None:
    """The account a plan deploys to, read from the plan itself.

    First choice: the account most named in ``aws:SourceAccount`` / ``aws:PrincipalAccount`` /
    ``aws:ResourceAccount`` conditions (our modules write them from ``aws_caller_identity``, and
    the provider's ``allowed_account_ids`` pins that to the environment's account). Fallback:
    the account most named in the plan's ARNs. Resources of ``exclude_types`` do not vote.
    """
    from collections import Counter

    conditioned: Counter[str] = Counter()
    in_arns: Counter[str] = Counter()
    for rtype, values in _plan_values(plan):
        if rtype in exclude_types:
            continue
        for _path, text in walk_strings(values):
            in_arns.update(ARN_ACCOUNT.findall(text))
            if '"Statement"' in text:
                for st in statements_of(text) or []:
                    for _op, key, vals in st.conditions:
                        if key in _ACCOUNT_CONDITION_KEYS:
                            conditioned.update(v for v in vals if re.fullmatch(r"\d{12}", v))
        for block in blocks(values.get("statement")):
            for c in blocks(block.get("condition")):
                if str(c.get("variable", "")).lower() in _ACCOUNT_CONDITION_KEYS:
                    conditioned.update(
                        v for v in c.get("values") or [] if isinstance(v, str) and re.fullmatch(r"\d{12}", v)
                    )
    for counter in (conditioned, in_arns):
        ranked = counter.most_common(2)
        if ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
            return ranked[0][0]
    return None


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
    return load_siblings(scanned_file, "NodePool")


def sibling_nodeclass(scanned_file: str, nodepool: dict[str, Any]) -> dict[str, Any] | None:
    """The EC2NodeClass a NodePool's ``nodeClassRef`` names, from the manifests folder of
    ``scanned_file`` (None when it is not there)."""
    ref = (((nodepool.get("spec") or {}).get("template") or {}).get("spec") or {}).get("nodeClassRef") or {}
    name = ref.get("name") if isinstance(ref, dict) else None
    for doc in load_siblings(scanned_file, "EC2NodeClass"):
        if (doc.get("metadata") or {}).get("name") == name:
            return doc
    return None


def load_siblings(scanned_file: str, kind: str) -> list[dict[str, Any]]:
    """All objects of ``kind`` in the manifests folder that holds ``scanned_file``."""
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
                if isinstance(doc, dict) and doc.get("kind") == kind:
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
    - an on-demand NodePool next to a spot one: the on-demand limit over the sum of the
      group's limits (GPU limits for GPU pools, else CPU): a split divides the pool's limits
      between its NodePools (baseline + rest, or k/n); an unlimited on-demand pool is 1.0.
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
    ceiling = sum(v or 0.0 for v in ceilings)
    return sum(v or 0.0 for v in od_limits) / ceiling if ceiling else 0.0
