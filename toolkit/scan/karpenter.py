"""One source for the Karpenter objects: the plan's against the rendered manifests.

The manifests a scan reads (``manifests/*.yaml``) are rendered from the settings by
``toolkit/render/karpenter``; what reaches the cluster through Terraform is what
``modules/karpenter`` outputs (the root stack's ``karpenter_nodepools`` and
``karpenter_ec2nodeclasses``, in ``planned_values.outputs`` of ``plan.json``). A hand edit of
``modules/karpenter/nodepools.tf`` changes the second only. The scan therefore

- compares the two object by object (:func:`drift`): every difference, an object missing on
  one side, or outputs the plan does not hold although it plans ``module.karpenter``, is an
  ``INFRA_MANIFEST_DRIFT`` finding naming the object and the first differing field;
- writes the plan's objects as manifests (:func:`write_module_manifests`) and scans them with
  the same checks as the rendered ones, so the checks see what reaches the cluster.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from toolkit.errors import UserError

# kind -> (root stack output, file the scan writes the plan's objects to)
OUTPUTS: dict[str, tuple[str, str]] = {
    "NodePool": ("karpenter_nodepools", "karpenter-nodepools.yaml"),
    "EC2NodeClass": ("karpenter_ec2nodeclasses", "karpenter-ec2nodeclasses.yaml"),
}
MODULE_ADDRESS = "module.karpenter"
RESOURCE_PREFIX = "module.karpenter/"  # findings on the plan's objects: module.karpenter/NodePool.default.gpu
_MAX_VALUE = 60

Json = dict[str, Any]


@dataclass(frozen=True)
class Drift:
    kind: str
    name: str
    field: str  # the first differing field ("" for the whole object)
    detail: str

    @property
    def resource(self) -> str:
        return f"{self.kind}.default.{self.name}"


def _plans_karpenter(plan: Json) -> bool:
    calls = ((plan.get("configuration") or {}).get("root_module") or {}).get("module_calls") or {}
    if "karpenter" in calls:
        return True
    return any(str(rc.get("address", "")).startswith(MODULE_ADDRESS + ".") for rc in plan.get("resource_changes") or [])


def plan_objects(plan: Json) -> dict[str, list[Json] | None] | None:
    """kind -> the module's objects in the plan (None: no known value); None when the plan has no
    ``module.karpenter`` at all (nothing to compare)."""
    if not _plans_karpenter(plan):
        return None
    outputs = (plan.get("planned_values") or {}).get("outputs") or {}
    out: dict[str, list[Json] | None] = {}
    for kind, (name, _file) in OUTPUTS.items():
        value = (outputs.get(name) or {}).get("value")
        out[kind] = [o for o in value if isinstance(o, dict)] if isinstance(value, list) else None
    return out


def object_sources(project_root: Path, plan: Json) -> dict[str, tuple[str, int]]:
    """kind -> (file relative to ``project_root``, line) where ``modules/karpenter`` builds the
    objects: the ``locals`` entry its output names (``value = local.nodepools``), or the output
    itself. Findings on the plan's objects point there, at our module's HCL."""
    calls = ((plan.get("configuration") or {}).get("root_module") or {}).get("module_calls") or {}
    call = calls.get("karpenter") or {}
    source = str(call.get("source") or "../modules/karpenter")
    if not source.startswith(("./", "../")):  # a registry or git module: not in this repository
        return {}
    module_dir = (project_root / "terraform" / source).resolve()
    if not module_dir.is_relative_to(project_root.resolve()) or not module_dir.is_dir():
        return {}
    outputs = ((call.get("module") or {}).get("outputs")) or {}
    texts = {f: f.read_text(encoding="utf-8", errors="replace").splitlines() for f in sorted(module_dir.glob("*.tf"))}
    found: dict[str, tuple[str, int]] = {}
    for kind, (root_output, _file) in OUTPUTS.items():
        name = root_output.removeprefix("karpenter_")
        refs = ((outputs.get(name) or {}).get("expression") or {}).get("references") or []
        local = next((r.removeprefix("local.") for r in refs if str(r).startswith("local.")), name)
        patterns = (re.compile(rf"^\s*{re.escape(local)}\s*="), re.compile(rf'^\s*output\s+"{re.escape(name)}"'))
        for pattern in patterns:
            hit = next(((f, i) for f, lines in texts.items() for i, line in enumerate(lines, 1)
                        if pattern.match(line)), None)
            if hit:
                found[kind] = (hit[0].relative_to(project_root.resolve()).as_posix(), hit[1])
                break
    return found


def manifest_objects(files: Sequence[Path]) -> dict[str, list[Json]]:
    """kind -> the rendered objects of ``files`` (NodePools and EC2NodeClasses only)."""
    out: dict[str, list[Json]] = {kind: [] for kind in OUTPUTS}
    for path in files:
        try:
            docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except (OSError, yaml.YAMLError) as exc:
            raise UserError(f"{path}: cannot read the rendered manifest ({exc})") from None
        for doc in docs:
            if isinstance(doc, dict) and doc.get("kind") in out:
                out[str(doc["kind"])].append(doc)
    return out


def _show(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix("...").strip()
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def first_difference(plan: Any, rendered: Any, path: str = "") -> tuple[str, str] | None:
    """(field path, what differs) of the first difference of two objects, None when equal. Keys are
    visited in sorted order; an absent key and a null value differ."""
    if isinstance(plan, dict) and isinstance(rendered, dict):
        for key in sorted(set(plan) | set(rendered), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in rendered:
                return sub, f"only in the plan: {_show(plan[key])}"
            if key not in plan:
                return sub, f"only in the manifests: {_show(rendered[key])}"
            found = first_difference(plan[key], rendered[key], sub)
            if found:
                return found
        return None
    if isinstance(plan, list) and isinstance(rendered, list):
        for i, (a, b) in enumerate(zip(plan, rendered, strict=False)):
            found = first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        if len(plan) != len(rendered):
            return path, f"{len(plan)} item(s) in the plan, {len(rendered)} in the manifests"
        return None
    if (type(plan) is not type(rendered) and not (_number(plan) and _number(rendered))) or plan != rendered:
        return path, f"plan {_show(plan)}, manifests {_show(rendered)}"
    return None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _by_name(objects: Sequence[Json]) -> dict[str, Json]:
    return {str((o.get("metadata") or {}).get("name", "")): o for o in objects}


def drift(planned: Mapping[str, list[Json] | None], rendered: Mapping[str, list[Json]]) -> list[Drift]:
    """Every difference between the plan's objects and the rendered ones."""
    out: list[Drift] = []
    for kind, (output, _file) in OUTPUTS.items():
        objects = planned.get(kind)
        if objects is None:
            out.append(Drift(kind, "*", "", f"the plan has no known value of output {output} (module.karpenter is "
                             "planned): the objects that reach the cluster cannot be compared"))
            continue
        plan_by, rend_by = _by_name(objects), _by_name(rendered.get(kind) or [])
        for name in sorted(set(plan_by) | set(rend_by)):
            if name not in rend_by:
                out.append(Drift(kind, name, "", "in the plan, not in the rendered manifests"))
            elif name not in plan_by:
                out.append(Drift(kind, name, "", "in the rendered manifests, not in the plan"))
            else:
                found = first_difference(plan_by[name], rend_by[name])
                if found:
                    out.append(Drift(kind, name, found[0], found[1]))
    return out


def write_module_manifests(planned: Mapping[str, list[Json] | None], directory: Path) -> list[Path]:
    """The plan's objects as manifests under ``directory`` (one file per kind, as rendered)."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.yaml"):  # objects of an earlier scan of this region
        old.unlink()
    written: list[Path] = []
    for kind, (_output, name) in OUTPUTS.items():
        objects = planned.get(kind)
        if not objects:
            continue
        path = directory / name
        path.write_text(yaml.safe_dump_all(objects, sort_keys=True, explicit_start=True), encoding="utf-8")
        written.append(path)
    return written
