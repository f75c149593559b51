"""A ``terraform show -json`` plan prepared for checkov (unknown-at-plan values marked)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from toolkit.artifacts.io import read_artifact
from toolkit.artifacts.terraform import TerraformPlan

UNKNOWN_MARKER = "true_after_unknown"  # what checkov writes for after_unknown values
_PLAN_KEYS_UNUSED = ("prior_state", "output_changes", "checks", "relevant_attributes", "resource_drift", "variables")


def _mark_unknown(value: Any, unknown: Any) -> Any:
    """Replace values terraform knows only after apply by checkov's marker, at any depth."""
    if unknown is True:
        return UNKNOWN_MARKER if value is None or value == [] or value == {} else value
    if isinstance(unknown, dict):
        base = dict(value) if isinstance(value, dict) else {}
        for key, sub in unknown.items():
            if sub is False:
                continue
            marked = _mark_unknown(base.get(key), sub)
            if marked is not None:
                base[key] = marked
        return base if base or isinstance(value, dict) else value
    if isinstance(unknown, list):
        items = list(value) if isinstance(value, list) else []
        while len(items) < len(unknown):
            items.append(None if not isinstance(unknown[len(items)], dict) else {})
        return [_mark_unknown(items[i], unknown[i]) if i < len(unknown) else items[i] for i in range(len(items))]
    return value


def prepare_plan(source: Path, target: Path) -> None:
    """Copy a ``terraform show -json`` plan for checkov, marking unknown-at-plan values.

    terraform writes a value known only after apply as ``null`` in ``planned_values`` and
    ``true`` in ``after_unknown``; checkov only marks keys that are absent, so a nested or
    null unknown (``kms_key_id`` of a key created in the same plan) would read as "not
    set". The copy carries ``"true_after_unknown"`` there instead, and leaves out the parts
    of the plan checkov never reads (prior state, outputs, ``after`` of created resources).
    """
    plan = read_artifact(source, TerraformPlan).root
    unknowns = {
        rc.get("address"): (rc.get("change") or {}).get("after_unknown")
        for rc in plan.get("resource_changes") or []
        if isinstance((rc.get("change") or {}).get("after_unknown"), dict)
    }

    def walk(module: dict[str, Any]) -> None:
        for res in module.get("resources") or []:
            unknown = unknowns.get(res.get("address"))
            if unknown and isinstance(res.get("values"), dict):
                res["values"] = _mark_unknown(res["values"], unknown)
        for child in module.get("child_modules") or []:
            walk(child)

    walk((plan.get("planned_values") or {}).get("root_module") or {})
    # checkov parses plans with a line-tracking YAML loader (its slowest step): drop what it never reads.
    for key in _PLAN_KEYS_UNUSED:
        plan.pop(key, None)
    for rc in plan.get("resource_changes") or []:
        change = rc.get("change") or {}
        for key in ("before_sensitive", "after_sensitive", "replace_paths", "importing"):
            change.pop(key, None)
        if change.get("before") is None:
            change["after"] = None  # only compared with "before" (changed keys)
    target.parent.mkdir(parents=True, exist_ok=True)
    # One line per value: checkov quotes the lines of a resource as its code block.
    target.write_text(json.dumps(plan, indent=1), encoding="utf-8")
