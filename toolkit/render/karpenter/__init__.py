"""Karpenter v1 cluster-side objects built from the rendered stack inputs.

`infra render` calls :func:`build_manifests` with the same dictionary it writes to
``terraform.tfvars.json`` and writes the result under ``.infra/ENV/REGION/manifests/``
for GitOps review. ``modules/karpenter/nodepools.tf`` builds the same NodePool and
EC2NodeClass objects from the same inputs; a test keeps the two equal.

The inputs' ``karpenter`` object is validated by the settings rules
(:func:`toolkit.settings.pools.validate_karpenter`, the one Python rule set, whose HCL twin
is ``modules/karpenter/variables.tf``); the builders work on the validated models:

- :mod:`.nodepools`: capacity mixes, NodePool variants and their limits;
- :mod:`.nodeclasses`: one EC2NodeClass per pool;
- :mod:`.helm`: Helm values and the Argo CD Applications;
- :mod:`.crd`: the bundled CRDs' schema and CEL checks (:func:`validate_manifest`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from toolkit.errors import UserError
from toolkit.fsutil import atomic_write_text
from toolkit.render.karpenter import crd, helm
from toolkit.render.karpenter.common import (
    CAPACITY_TYPE,
    GPU_LABEL,
    GPU_RESOURCE,
    IDENTITY_KEYS,
    NODECLASS_API,
    NODEPOOL_API,
    POOL_LABEL,
    SPREAD_LABEL,
    Json,
    Stack,
    controller_role_name,
    ebs_key_alias_arn,
    node_role_name,
    queue_name,
)
from toolkit.render.karpenter.crd import CRD_FILES
from toolkit.render.karpenter.nodeclasses import nodeclasses
from toolkit.render.karpenter.nodepools import baseline_limits, nodepools, ratio_limits
from toolkit.settings.pool_math import spread_buckets
from toolkit.settings.pool_tables import POLICIES
from toolkit.settings.pools import on_demand_share, validate_karpenter

__all__ = [
    "CAPACITY_TYPE", "CRD_DIR", "CRD_FILES", "GPU_LABEL", "GPU_RESOURCE", "NODECLASS_API", "NODEPOOL_API",
    "POLICIES", "POOL_LABEL", "SPREAD_LABEL", "Json", "Stack", "baseline_limits", "build_manifests",
    "check_inputs", "controller_role_name", "crd_schema", "ebs_key_alias_arn", "helm_values", "node_role_name",
    "on_demand_share", "queue_name", "ratio_limits", "render_files", "spread_buckets", "to_yaml",
    "validate_manifest", "write_manifests",
]

CRD_DIR = Path(__file__).resolve().parent.parent / "crds"  # bundled Karpenter 1.14.1 CRDs (crds/PROVENANCE.json)


# --------------------------------------------------------------------------- inputs


def _read(inputs: Mapping[str, Any]) -> tuple[Stack | None, list[str]]:
    errors = [f"{key}: expected a non-empty string" for key in IDENTITY_KEYS
              if not isinstance(inputs.get(key), str) or not inputs[key]]
    region = inputs.get("region") if isinstance(inputs.get("region"), str) else None
    model, problems = validate_karpenter(inputs.get("karpenter"), region)
    errors += problems
    if errors or model is None:
        return None, errors
    return Stack.of(inputs, model), []


def check_inputs(inputs: Mapping[str, Any]) -> list[str]:
    """Problems with a contract's inputs, one line each (empty if fine).

    The ``karpenter`` object is checked by the settings rules (the twins of
    ``modules/karpenter/variables.tf``); the identity keys must be non-empty strings.
    """
    return _read(inputs)[1]


def stack(inputs: Mapping[str, Any], source: str = "terraform.tfvars.json") -> Stack:
    """The validated stack of a contract's inputs; ``UserError`` naming ``source`` and the key path if not."""
    result, problems = _read(inputs)
    if result is None:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UserError(f"{source}: {problems[0]}{more}")
    return result


# --------------------------------------------------------------------------- builders


def helm_values(inputs: Mapping[str, Any] | Stack, cluster_endpoint: str | None = None) -> Json:
    """Values for the karpenter chart of a stack (the CRDs come from the karpenter-crd chart).

    ``inputs`` is a validated stack or the contract's tfvars (validated here: the feature gates
    follow ``karpenter.node_health``)."""
    of = inputs if isinstance(inputs, Stack) else stack(inputs)
    return helm.values(of.name, cluster_endpoint, node_repair=of.karpenter.node_health.node_repair)


def manifests(of: Stack) -> dict[str, list[Json]]:
    """NodePools, EC2NodeClasses and Argo CD Applications of a validated stack."""
    return {
        "nodepools": nodepools(of.karpenter.pools),
        "ec2nodeclasses": nodeclasses(of),
        "applications": helm.applications(of),
    }


def build_manifests(inputs: Mapping[str, Any], source: str = "terraform.tfvars.json") -> dict[str, list[Json]]:
    """NodePools, EC2NodeClasses and Argo CD Applications for one stack's inputs.

    ``inputs`` is the tfvars dictionary of the contract. Raises ``UserError`` (naming
    ``source`` and the key path) when it breaks a rule (see :func:`check_inputs`).
    """
    return manifests(stack(inputs, source))


def to_yaml(objects: list[Json]) -> str:
    """Multi-document YAML, keys sorted: the same objects always give the same bytes."""
    return "".join(
        "---\n" + yaml.safe_dump(o, sort_keys=True, default_flow_style=False, allow_unicode=True) for o in objects
    )


def render_files(inputs: Mapping[str, Any], source: str = "terraform.tfvars.json") -> dict[str, str]:
    """File name -> YAML text for ``.infra/ENV/REGION/manifests/``."""
    built = build_manifests(inputs, source)
    return {
        "karpenter-applications.yaml": to_yaml(built["applications"]),
        "karpenter-ec2nodeclasses.yaml": to_yaml(built["ec2nodeclasses"]),
        "karpenter-nodepools.yaml": to_yaml(built["nodepools"]),
    }


def write_manifests(directory: Path, inputs: Mapping[str, Any], source: str = "terraform.tfvars.json") -> list[Path]:
    """Write :func:`render_files` atomically into ``directory``; returns the paths written."""
    written = []
    for fname, text in sorted(render_files(inputs, source).items()):
        path = Path(directory) / fname
        atomic_write_text(path, text)
        written.append(path)
    return written


# --------------------------------------------------------------------------- validation


@functools.lru_cache(maxsize=8)
def _crd_schema(path: str) -> Json:
    return crd.load_schema(Path(path))


def crd_schema(kind: str) -> Json:
    return _crd_schema(str(CRD_DIR / CRD_FILES[kind]))


def validate_manifest(obj: Json) -> list[str]:
    """Problems with a NodePool or EC2NodeClass (empty list: valid).

    Checks the CRD's ``openAPIV3Schema`` (types, enums, patterns: durations, budgets'
    ``nodes``, label values, taint effects) with jsonschema, then the CEL rules
    (``x-kubernetes-validations``) that apply to a new object.
    """
    return crd.validate(obj, crd_schema)

