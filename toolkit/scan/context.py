"""The context of the environment-dependent checks (``INFRA_POLICY_CONTEXT``).

Rules that depend on the environment or the residency zone read a JSON document that the
scan hands to checkov (``policy/checks/infra_common.py``)::

    {"policy": {policy.yaml knobs}, "files": {"/abs/scanned/file": {"environment": ..., "zone": ...}}}

built from each region's ``terraform.tfvars.json`` (and ``summary.json``) and ``policy/policy.yaml``
(its knobs and ``floors``: the checks' one source of floors). A region's entry also carries the
stack's ``account_id`` (CKV_INFRA_29) and ``name`` (CKV_INFRA_34: the node role is ``<name>-karpenter-node``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from toolkit.artifacts.io import read_artifact_if_present
from toolkit.artifacts.layout import RegionLayout
from toolkit.artifacts.summary import Summary
from toolkit.artifacts.terraform import TfVars
from toolkit.policy.settings import PolicySettings

RegionContext = dict[str, Any]


def region_context(layout: RegionLayout, env: str, region: str, summary: Summary | None) -> RegionContext:
    """What the environment-dependent checks need, from the region's tfvars and summary."""
    tfvars = read_artifact_if_present(layout.tfvars, TfVars) or TfVars()
    ctx: dict[str, Any] = {
        "environment": tfvars.environment or env,
        "region_key": tfvars.region_key or region,
        "aws_region": tfvars.region or (summary.aws_region if summary else None),
        "zone": tfvars.residency_zone,
        "zone_regions": tfvars.zone_regions,
        "min_on_demand_share": tfvars.karpenter.min_on_demand_share if tfvars.karpenter else None,
        "account_id": str(tfvars.account_id) if tfvars.account_id else None,
        "name": _name(tfvars),
    }
    return {k: v for k, v in ctx.items() if v is not None}


def _name(tfvars: TfVars) -> str | None:
    name = (tfvars.model_extra or {}).get("name")
    return name if isinstance(name, str) and name else None


def policy_context(settings: PolicySettings, files: Mapping[str, RegionContext]) -> dict[str, Any]:
    """The whole document: the policy knobs and the context of each scanned file."""
    return {"policy": settings.check_context(), "files": {path: ctx for path, ctx in files.items() if ctx}}
