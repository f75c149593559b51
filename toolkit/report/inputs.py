"""Reading the per-region artifacts the report is built from.

The formats are those of docs/contracts.md, read through the models of
:mod:`toolkit.artifacts` (``summary.json``, ``findings.json``, ``plan.sha256``, and
``plan.json`` / ``terraform.tfvars.json`` when present, and the rendered manifests): a missing
or malformed file is a ``UserError`` naming the file and the key path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.artifacts.findings import FindingsDocument
from toolkit.artifacts.io import read_artifact, read_artifact_if_present
from toolkit.artifacts.layout import RegionLayout
from toolkit.artifacts.summary import Summary
from toolkit.artifacts.terraform import TerraformPlan, TfVars, read_plan_sha256
from toolkit.errors import UserError
from toolkit.report.locate import ManifestObject, manifest_objects, plan_objects


@dataclass
class RegionInputs:
    environment: str
    region: str
    layout: RegionLayout
    summary: Summary
    findings: FindingsDocument
    plan_sha256: str
    tfvars: TfVars = field(default_factory=TfVars)
    secrets: set[str] = field(default_factory=set)
    plan: dict[str, Any] | None = None
    manifests: list[ManifestObject] = field(default_factory=list)
    module_objects: list[ManifestObject] = field(default_factory=list)  # the plan's Karpenter objects

    @property
    def directory(self) -> Path:
        return self.layout.root

    @property
    def scope(self) -> str:
        return f"{self.environment}/{self.region}"


def _has_artifacts(d: Path) -> bool:
    layout = RegionLayout(d)
    return layout.summary.is_file() or layout.findings.is_file()


def discover(artifacts_dir: Path, env: str | Sequence[str] | None,
             regions: Sequence[str] | None) -> list[tuple[str, str, Path]]:
    """The (environment, region, directory) triples to report on."""
    if not artifacts_dir.is_dir():
        raise UserError(f"{artifacts_dir}: no artifacts directory (run `infra plan` and `infra scan` first)")
    if env is None:
        envs = sorted(
            d.name for d in artifacts_dir.iterdir()
            if d.is_dir() and any(_has_artifacts(r) for r in d.iterdir() if r.is_dir())
        )
        if not envs:
            raise UserError(f"{artifacts_dir}: no environment has plan or scan artifacts "
                            "(run `infra plan` and `infra scan` first)")
    else:
        envs = [env] if isinstance(env, str) else list(env)
    out: list[tuple[str, str, Path]] = []
    for e in envs:
        env_dir = artifacts_dir / e
        if regions is not None:
            names = list(regions)
        else:
            names = sorted(r.name for r in env_dir.iterdir() if r.is_dir() and _has_artifacts(r)) \
                if env_dir.is_dir() else []
        if not names:
            raise UserError(f"{env_dir}: no region artifacts for environment {e!r} "
                            "(run `infra plan` and `infra scan` first)")
        out.extend((e, r, env_dir / r) for r in names)
    return out


def _shown(path: Path, bases: Sequence[Path]) -> str:
    for base in bases:
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return path.name


def load_region(environment: str, region: str, directory: Path, *,
                bases: Sequence[Path] = ()) -> RegionInputs:
    """One region's artifacts; ``bases`` name files as the findings do (project root, then the
    artifacts directory's parent)."""
    layout = RegionLayout(directory)
    summary = read_artifact(layout.summary, Summary)
    findings = read_artifact(layout.findings, FindingsDocument)
    plan_sha = read_plan_sha256(layout.plan_sha256)
    tfvars = read_artifact_if_present(layout.tfvars, TfVars) or TfVars()
    plan = read_artifact_if_present(layout.plan_json, TerraformPlan)
    secrets = sensitive_values(plan.root) if plan is not None else set()
    files = layout.manifest_files()
    manifests = manifest_objects(files, {f: _shown(f, bases) for f in files})
    module_objects = plan_objects(plan.root, _shown(layout.plan_json, bases)) if plan is not None else []
    return RegionInputs(environment, region, layout, summary, findings, plan_sha, tfvars, secrets,
                        plan.root if plan is not None else None, manifests, module_objects)


def sensitive_values(plan: Any) -> set[str]:
    """Every string Terraform marks as sensitive in a ``terraform show -json`` plan.

    Used to redact: any of these strings that reaches the report (a tag, a waiver
    reason, an address) is replaced by ``(sensitive)``. Short strings (< 4 characters)
    are ignored, since redacting "true" or "1" everywhere would garble the report.
    """
    found: set[str] = set()

    def leaves(value: Any) -> None:
        if isinstance(value, str):
            if len(value) >= 4:
                found.add(value)
        elif isinstance(value, dict):
            for v in value.values():
                leaves(v)
        elif isinstance(value, list):
            for v in value:
                leaves(v)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            text = str(value)
            if len(text) >= 6:
                found.add(text)

    def masked(value: Any, mask: Any) -> None:
        if mask is True:
            leaves(value)
        elif isinstance(mask, dict) and isinstance(value, dict):
            for k, m in mask.items():
                if k in value:
                    masked(value[k], m)
        elif isinstance(mask, list) and isinstance(value, list):
            for v, m in zip(value, mask, strict=False):
                masked(v, m)

    if not isinstance(plan, dict):
        return found
    for rc in plan.get("resource_changes") or []:
        change = rc.get("change") or {}
        masked(change.get("before"), change.get("before_sensitive"))
        masked(change.get("after"), change.get("after_sensitive"))

    def walk_module(module: Any) -> None:
        if not isinstance(module, dict):
            return
        for res in module.get("resources") or []:
            masked(res.get("values"), res.get("sensitive_values"))
        for child in module.get("child_modules") or []:
            walk_module(child)

    for section in ("planned_values", "prior_state"):
        values = plan.get(section) or {}
        if section == "prior_state":
            values = values.get("values") or {}
        walk_module(values.get("root_module"))
        for out in (values.get("outputs") or {}).values():
            if isinstance(out, dict) and out.get("sensitive"):
                leaves(out.get("value"))
    for out in (plan.get("output_changes") or {}).values():
        if isinstance(out, dict):
            masked(out.get("after"), out.get("after_sensitive"))
            masked(out.get("before"), out.get("before_sensitive"))
    config_vars = ((plan.get("configuration") or {}).get("root_module") or {}).get("variables") or {}
    for name, var in (plan.get("variables") or {}).items():
        if isinstance(config_vars.get(name), dict) and config_vars[name].get("sensitive"):
            leaves((var or {}).get("value"))
    return found
