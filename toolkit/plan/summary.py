"""Plan summaries in Terraform's own language, from ``terraform show -json`` output.

Only addresses, types, actions and the *names* of changed attributes are summarised: no
attribute values, so nothing sensitive can leak into a summary (the compliance report, which does show values,
replaces every sensitive one with ``(sensitive)``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, TypedDict

PROTECTED_TYPES = frozenset({
    "aws_kms_key", "aws_kms_replica_key", "aws_eks_cluster", "aws_s3_bucket",
    "aws_secretsmanager_secret", "aws_secretsmanager_secret_version",
})
SYMBOL = {"create": "+", "update": "~", "delete": "-", "replace": "-/+", "read": "<=", "no-op": " "}


def action_of(actions: list[str]) -> str:
    if actions in (["delete", "create"], ["create", "delete"]):
        return "replace"
    if len(actions) == 1 and actions[0] in SYMBOL:
        return actions[0]
    return "+".join(actions)


def changed_attributes(change: Mapping[str, Any]) -> list[str]:
    """Top-level attribute names an update/replace changes (names only; values are never read out)."""
    before, after = change.get("before"), change.get("after")
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    unknown = change.get("after_unknown")
    if not isinstance(unknown, dict):
        unknown = {}
    names = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    names |= {k for k, v in unknown.items() if v and before.get(k) is not None}
    for path in change.get("replace_paths") or []:
        if isinstance(path, list) and path and isinstance(path[0], str):
            names.add(path[0])
    return sorted(names)


class PlanChanges(TypedDict):
    """The part of ``summary.json`` read from the plan (:class:`toolkit.artifacts.summary.Summary`)."""

    counts: dict[str, int]
    changes: list[dict[str, Any]]
    by_type: dict[str, dict[str, int]]
    protected_changes: list[dict[str, Any]]
    output_changes: list[str]


def summarise(plan: Mapping[str, Any]) -> PlanChanges:
    changes = []
    for rc in plan.get("resource_changes", []):
        if rc.get("mode") == "data":
            continue
        action = action_of(list(rc.get("change", {}).get("actions", [])))
        if action == "no-op":
            continue
        attributes = changed_attributes(rc.get("change", {})) if action in ("update", "replace") else []
        changes.append({"address": rc["address"], "type": rc["type"], "action": action, "attributes": attributes})
    changes.sort(key=lambda c: c["address"])
    counted = Counter(c["action"] for c in changes)
    by_type: dict[str, dict[str, int]] = {}
    for c in changes:
        by_type.setdefault(c["type"], {}).setdefault(c["action"], 0)
        by_type[c["type"]][c["action"]] += 1
    counts = {
        "add": counted["create"] + counted["replace"],
        "change": counted["update"],
        "destroy": counted["delete"] + counted["replace"],
        "replace": counted["replace"],
        "read": sum(1 for rc in plan.get("resource_changes", []) if rc.get("mode") == "data"
                    and "read" in rc.get("change", {}).get("actions", [])),
    }
    protected = [c for c in changes if c["type"] in PROTECTED_TYPES and c["action"] in ("delete", "replace")]
    return {"counts": counts, "changes": changes, "by_type": dict(sorted(by_type.items())),
            "protected_changes": protected,
            "output_changes": sorted(name for name, change in (plan.get("output_changes") or {}).items()
                                     if change.get("actions") not in (["no-op"], None))}


def plan_line(counts: Mapping[str, int]) -> str:
    if not counts["add"] and not counts["change"] and not counts["destroy"]:
        return "No changes. Your infrastructure matches the configuration."
    return f"Plan: {counts['add']} to add, {counts['change']} to change, {counts['destroy']} to destroy."


def markdown(summary: Mapping[str, Any]) -> str:
    """``summary.md`` from the JSON of ``summary.json`` (or its plan part and identity)."""
    env, region = summary["environment"], summary["region"]
    lines = [f"### {env}/{region} ({summary['aws_region']})", ""]
    if summary["mode"] == "sandbox":
        lines += ["> **Sandbox plan**: the real AWS provider was not used. Provider-side checks, defaults and "
                  "forced replacements are not known; see the README.", ">", f"> {base_line(summary.get('base'))}",
                  ""]
    lines.append(f"**{plan_line(summary['counts'])}**")
    lines.append("")
    if summary["protected_changes"]:
        lines.append("**Destroys or replaces protected resources:**")
        lines.append("")
        for c in summary["protected_changes"]:
            lines.append(f"- :warning: `{SYMBOL[c['action']]}` `{c['address']}`")
        lines.append("")
    if summary["by_type"]:
        lines += ["| resource type | + | ~ | - | -/+ |", "| --- | ---: | ---: | ---: | ---: |"]
        for rtype, acts in summary["by_type"].items():
            lines.append(f"| `{rtype}` | {acts.get('create', 0)} | {acts.get('update', 0)} | "
                         f"{acts.get('delete', 0)} | {acts.get('replace', 0)} |")
        lines.append("")
        lines += _changed_resources(summary["changes"])
        lines.append("")
        lines.append("<details><summary>Resources</summary>")
        lines.append("")
        lines.append("```diff")
        for c in summary["changes"]:
            lines.append(f"{SYMBOL.get(c['action'], '?'):<3} {c['address']}")
        lines.append("```")
        lines.append("</details>")
    return "\n".join(lines) + "\n"


def base_line(base: Mapping[str, Any] | None) -> str:
    """What a sandbox plan was planned against (summary.md, the banner)."""
    if not base:
        return ("Planned against this checkout's local sandbox state (empty unless `infra apply --sandbox` "
                "filled it): resources never applied there show as creates. `--base REF` diffs against REF.")
    where = f"`{base['ref']}` (commit `{base['commit'][:12]}`, tree `{base['tree'][:12]}`)"
    if not base.get("exists", True):
        return f"Planned against the sandbox state of {where}: {base.get('note') or 'not in REF: all create'}."
    return f"Planned against the sandbox state of {where}, built by sandbox-applying it (fake provider values)."


def _changed_resources(changes: list[Mapping[str, Any]]) -> list[str]:
    """Updates, replaces and destroys with the names (never values) of what they change."""
    shown = [c for c in changes if c["action"] not in ("create", "read")]
    if not shown:
        return []
    lines = ["", "Changed resources (attribute names only, no values):", "",
             "| address | action | changed attributes |", "| --- | --- | --- |"]
    for c in shown:
        attrs = ", ".join(f"`{a}`" for a in c.get("attributes") or []) or "—"
        lines.append(f"| `{c['address']}` | {c['action']} | {attrs} |")
    return lines
