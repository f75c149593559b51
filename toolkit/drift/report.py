"""What drifted, from a refresh-only plan's JSON, and ``drift.json`` / ``drift.md``.

Only addresses, actions and attribute *names* leave the plan: never a value, and an attribute
that Terraform marks sensitive (``before_sensitive`` / ``after_sensitive``) is named as
sensitive without descending into it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from toolkit.artifacts.findings import Mode
from toolkit.artifacts.io import Artifact
from toolkit.plan.summary import action_of

MARKER = "<!-- infra-drift -->"
MAX_DEPTH = 2  # tags.owner, not deeper: nested blocks are named as a whole


class DriftedResource(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    address: str
    type: str
    action: str = Field(description="update (changed out of band) or delete (gone out of band)")
    attributes: list[str] = Field(default_factory=list, description="names of changed attributes, never values")
    sensitive_attributes: list[str] = Field(default_factory=list, description="those of them that are sensitive")


class DriftReport(Artifact):
    """``ARTIFACTS/ENV/REGION/drift.json``."""

    what: ClassVar[str] = "the drift report of `infra drift`"
    written_by: ClassVar[str] = "infra drift"

    schema_version: Literal[1] = 1
    environment: str
    region: str
    aws_region: str
    mode: Mode
    status: Literal["clean", "drift", "error"]
    error: str | None = None
    resources: int = Field(0, description="managed resources in the refreshed state")
    drifted: list[DriftedResource] = Field(default_factory=list)
    terraform_version: str | None = None
    checked_at: str

    @property
    def where(self) -> str:
        return f"{self.environment}/{self.region}"


def _sub(marks: Any, key: str) -> Any:
    if marks is True:
        return True
    return marks.get(key, False) if isinstance(marks, Mapping) else False


def _any_sensitive(marks: Any) -> bool:
    if marks is True:
        return True
    if isinstance(marks, Mapping):
        return any(_any_sensitive(v) for v in marks.values())
    if isinstance(marks, list):
        return any(_any_sensitive(v) for v in marks)
    return False


def changed_attributes(before: Any, after: Any, before_sensitive: Any = None, after_sensitive: Any = None,
                       path: str = "", depth: int = 0) -> list[tuple[str, bool]]:
    """(name, sensitive) of every attribute that differs between ``before`` and ``after``."""
    if path and (before_sensitive is True or after_sensitive is True):
        return [(path, True)] if before != after else []
    if isinstance(before, Mapping) and isinstance(after, Mapping) and (depth < MAX_DEPTH):
        out: list[tuple[str, bool]] = []
        for key in sorted(set(before) | set(after)):
            out += changed_attributes(before.get(key), after.get(key), _sub(before_sensitive, key),
                                      _sub(after_sensitive, key), f"{path}.{key}" if path else key, depth + 1)
        return out
    if before == after:
        return []
    return [(path, _any_sensitive(before_sensitive) or _any_sensitive(after_sensitive))]


def drifted_resources(plan: Mapping[str, Any]) -> list[DriftedResource]:
    """Every managed resource of ``resource_drift``, sorted by address."""
    out = []
    for rc in plan.get("resource_drift") or []:
        if rc.get("mode", "managed") != "managed":
            continue
        change = rc.get("change") or {}
        action = action_of(list(change.get("actions") or []))
        if action == "no-op":
            continue
        names = [] if change.get("after") is None else changed_attributes(
            change.get("before") or {}, change.get("after") or {}, change.get("before_sensitive") or {},
            change.get("after_sensitive") or {})
        out.append(DriftedResource(address=rc["address"], type=rc.get("type", ""), action=action,
                                   attributes=[n for n, _ in names], sensitive_attributes=[n for n, s in names if s]))
    return sorted(out, key=lambda d: d.address)


def count_resources(plan: Mapping[str, Any]) -> int:
    """Managed resources in the plan's prior (refreshed) state."""

    def walk(module: Mapping[str, Any]) -> int:
        own = sum(1 for r in module.get("resources") or [] if r.get("mode", "managed") == "managed")
        return own + sum(walk(child) for child in module.get("child_modules") or [])

    root = ((plan.get("prior_state") or {}).get("values") or {}).get("root_module") or {}
    return walk(root)


def exit_code(reports: Iterable[DriftReport]) -> int:
    """As ``terraform plan -detailed-exitcode``: 1 if any region failed, else 2 if any drifted, else 0."""
    statuses = {r.status for r in reports}
    return 1 if "error" in statuses else 2 if "drift" in statuses else 0


def _md(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _attrs(d: DriftedResource) -> str:
    if d.action == "delete":
        return "(the object is gone)"
    sensitive = set(d.sensitive_attributes)
    return ", ".join(f"`{_md(a)}`" + (" (sensitive)" if a in sensitive else "") for a in d.attributes) or "-"


def region_markdown(report: DriftReport, level: str = "###") -> list[str]:
    head = f"{level} {report.where} ({report.aws_region}, {report.mode})"
    if report.status == "error":
        return [head, "", f"❌ drift check failed: {_md(report.error)}"]
    if report.status == "clean":
        return [head, "", f"✅ no drift in {report.resources} resource(s)"]
    out = [head, "", f"⚠️ {len(report.drifted)} of {report.resources} resource(s) drifted", "",
           "| resource | action | attributes |", "| --- | --- | --- |"]
    out += [f"| `{_md(d.address)}` | {d.action} | {_attrs(d)} |" for d in report.drifted]
    return out


STATUS_TEXT = {"clean": "✅ clean", "drift": "⚠️ drift", "error": "❌ error"}


def markdown(reports: Sequence[DriftReport]) -> str:
    """One Markdown document for every region (an issue body: its first line is :data:`MARKER`)."""
    drifted = sum(r.status == "drift" for r in reports)
    failed = sum(r.status == "error" for r in reports)
    title = (f"{drifted} of {len(reports)} region(s) drifted" if drifted else "no drift") + (
        f", {failed} could not be checked" if failed else "")
    checked = max((r.checked_at for r in reports), default="")
    out = [MARKER, f"## infra drift: {title}", "", f"Checked {checked} (refresh-only plans; attribute names only, "
           "never values).", "", "| region | mode | status | drifted resources |", "| --- | --- | --- | --- |"]
    out += [f"| {r.where} | {r.mode} | {STATUS_TEXT[r.status]} | {len(r.drifted)} |" for r in reports]
    for r in reports:
        out += ["", *region_markdown(r)]
    return "\n".join(out) + "\n"
