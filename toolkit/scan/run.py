"""``infra scan``: checkov over the HCL, each region's plan and its Karpenter manifests.

One checkov process per call, whatever the number of regions: every input that is not
already in the cache (:mod:`toolkit.scan.units`) goes into a single run
(:mod:`toolkit.adapters.checkov`) with our checks from ``policy/checks``, and the context
of the environment-dependent rules (:mod:`toolkit.scan.context`). Plans are scanned as a
prepared copy (:mod:`toolkit.scan.prepare`); the Karpenter objects of each plan are compared
with the rendered manifests and scanned too (:mod:`toolkit.scan.karpenter`). checkov's secrets
framework reads the HCL, the repository's YAML and each region's rendered inputs.

Severities come from ``policy/severity.yaml`` and waivers from ``policy/waivers.yaml``;
both are applied after the cache (:mod:`toolkit.scan.mapping`), so editing them never
re-runs checkov. The result lands in ``.infra/ENV/REGION/findings.json`` (docs/contracts.md).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from toolkit.adapters import checkov as checkov_adapter
from toolkit.adapters.checkov import CheckovProcess
from toolkit.artifacts.findings import Finding, FindingsDocument, InlineSkip
from toolkit.artifacts.io import read_artifact, read_artifact_if_present, remove, write_artifact
from toolkit.artifacts.layout import PLAN_JSON, RegionLayout
from toolkit.artifacts.summary import Summary
from toolkit.artifacts.terraform import TerraformPlan
from toolkit.errors import UserError
from toolkit.fsutil import sha256_file
from toolkit.policy.files import PolicyPaths
from toolkit.policy.settings import PolicySettings, load_policy_settings
from toolkit.policy.severity import load_severity_map
from toolkit.policy.waivers import load_waivers
from toolkit.scan import karpenter
from toolkit.scan.context import policy_context, region_context
from toolkit.scan.mapping import drift_findings, normalise_file, region_findings
from toolkit.scan.prepare import prepare_plan
from toolkit.scan.units import Unit, digest_tree, hcl_files, load_cached, relative, repo_yaml_files, store, unit_key

Progress = Callable[[str], None]


@dataclass
class ScanResult:
    environment: str
    region: str
    path: Path
    findings: list[Finding]
    cache_hit: bool  # every unit of this region came from the cache
    checkov_runs: int  # checkov processes started by the call (0 or 1), shared by all regions
    skipped: list[InlineSkip] = field(default_factory=list)  # inline #checkov:skip, with their waivers

    @property
    def failed(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "failed"]

    @property
    def waived(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "waived"]

    @property
    def passed(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "passed"]


def _compile_checks(files: Sequence[Path]) -> None:
    """checkov skips a custom check file that fails to load, silently: refuse to scan instead."""
    for path in files:
        try:
            compile(path.read_bytes(), str(path), "exec")
        except SyntaxError as exc:
            raise UserError(f"{path}:{exc.lineno}: policy check does not compile ({exc.msg}); "
                            "checkov would skip its checks silently") from None


def _run(project_root: Path, env: str, todo: Sequence[Unit], cached: int, paths: PolicyPaths,
         settings: PolicySettings, checkov: CheckovProcess | None, say: Progress) -> None:
    """One checkov run over the inputs of ``todo``; fills their records."""
    with tempfile.TemporaryDirectory(prefix="infra-plans-") as staging:
        # What checkov reads -> (unit, original file). Plans go through a prepared copy.
        scanned: dict[str, tuple[Unit, Path]] = {}
        for u in todo:
            for f in u.files:
                target = f.resolve()
                if u.kind == "plan":
                    target = Path(staging) / f"{env}-{u.region}" / f.name
                    prepare_plan(f, target)
                scanned[str(target)] = (u, f)
        say(f"checkov: {len(scanned)} file(s) from {len(todo)} unit(s), {cached} cached")
        context = policy_context(settings, {path: u.context for path, (u, _f) in scanned.items()})
        started = time.monotonic()
        reports = checkov_adapter.run_checkov(project_root, [Path(p) for p in scanned], paths.checks_dir, context,
                                              enrichment_root=project_root / "terraform", process=checkov)
        say(f"checkov: done in {time.monotonic() - started:.1f}s")
        for u in todo:
            u.records = []
        for rec in checkov_adapter.records(reports):
            hit = scanned.get(str(Path(rec["abs_path"]).resolve())) if rec["abs_path"] else None
            if hit is None:
                continue
            owner, original = hit
            rec["abs_path"] = str(original.resolve())
            rec["input"] = relative(original, owner.base)
            rec["file_path"] = normalise_file(rec, owner, project_root)
            assert owner.records is not None
            owner.records.append(rec)


def _planned_resources(plan_json: Path, root: Path) -> int:
    """How many resources ``planned_values`` holds (what checkov checks in a plan)."""
    plan = read_artifact(plan_json, TerraformPlan, root=root).root
    count, todo = 0, [(plan.get("planned_values") or {}).get("root_module") or {}]
    while todo:
        module = todo.pop()
        count += len(module.get("resources") or [])
        todo.extend(module.get("child_modules") or [])
    return count


def scan_regions(
    project_root: Path,
    artifacts_dir: Path,
    env: str,
    regions: Sequence[str],
    *,
    policy_dir: Path | None = None,
    cache_dir: Path | None = None,
    default_severity: str | None = None,
    today: date | None = None,
    progress: Progress | None = None,
    checkov: CheckovProcess | None = None,
) -> dict[str, ScanResult]:
    """Scan ``regions`` of ``env`` (one checkov process at most) and write their findings.json.

    ``artifacts_dir`` holds ``ENV/REGION/plan.json`` (required), ``manifests/*.yaml``,
    ``terraform.tfvars.json`` and ``summary.json``. The cache defaults to
    ``<artifacts_dir>/cache/scan``. ``checkov``: a process started earlier
    (:class:`CheckovProcess`) that the run uses instead of starting one.
    """
    say = progress or (lambda _msg: None)
    project_root = project_root.resolve()
    artifacts_dir = artifacts_dir.resolve()
    paths = PolicyPaths.of(project_root, policy_dir)
    if not paths.checks_dir.is_dir():
        raise UserError(f"{paths.checks_dir}: policy checks directory not found")
    if not regions:
        raise UserError("scan: no regions given")
    severity = load_severity_map(paths.severity, default_severity)
    waivers = load_waivers(paths.waivers)
    settings = load_policy_settings(paths.settings)
    cache = (cache_dir or artifacts_dir / "cache" / "scan").resolve()
    version = checkov_adapter.version()
    check_files = sorted(p for p in paths.checks_dir.rglob("*.py") if "__pycache__" not in p.parts)
    _compile_checks(check_files)
    knobs = json.dumps(settings.check_context(), sort_keys=True)
    checks_digest = hashlib.sha256((digest_tree(check_files, paths.checks_dir) + knobs).encode()).hexdigest()

    hcl = hcl_files(project_root)
    hcl_digest = digest_tree(hcl, project_root)
    hcl_unit = Unit("hcl", None, project_root, hcl)
    hcl_unit.key = unit_key(hcl_unit, {}, checks_digest, version)
    repo_unit = Unit("repo", None, project_root, repo_yaml_files(project_root))
    repo_unit.key = unit_key(repo_unit, {}, checks_digest, version)
    units: list[Unit] = [hcl_unit, repo_unit]
    module_dir = cache / "module-objects"  # the plans' Karpenter objects, written out to be scanned
    drifts: dict[str, list[karpenter.Drift]] = {}
    module_sources: dict[str, dict[str, tuple[str, int]]] = {}
    layouts = {region: RegionLayout.of(artifacts_dir, env, region) for region in regions}
    summaries: dict[str, Summary | None] = {}
    region_units: dict[str, tuple[Unit, ...]] = {}
    for region, layout in layouts.items():
        if not layout.plan_json.is_file():
            raise UserError(f"{layout.plan_json}: no plan for {env}/{region}; "
                            f"run `infra plan {region} --env {env}` first")
        summaries[region] = read_artifact_if_present(layout.summary, Summary)
        ctx = region_context(layout, env, region, summaries[region])
        if "zone_regions" not in ctx:
            say(f"{env}/{region}: no terraform.tfvars.json with zone_regions: residency rules cannot run")
        plan_unit = Unit("plan", region, layout.root, [layout.plan_json], context=ctx)
        plan_unit.key = unit_key(plan_unit, {"context": ctx, "hcl": hcl_digest}, checks_digest, version)
        rendered = layout.manifest_files()
        rendered_inputs = rendered + ([layout.tfvars] if layout.tfvars.is_file() else [])
        man_unit = Unit("manifests", region, layout.root, rendered_inputs, context=ctx)
        man_unit.key = unit_key(man_unit, {"context": ctx}, checks_digest, version)
        plan_doc = read_artifact(layout.plan_json, TerraformPlan).root
        planned = karpenter.plan_objects(plan_doc)
        module_sources[region] = karpenter.object_sources(project_root, plan_doc)
        drifts[region] = karpenter.drift(planned, karpenter.manifest_objects(rendered)) if planned else []
        mod_base = module_dir / f"{env}-{region}"
        mod_unit = Unit("module", region, mod_base, karpenter.write_module_manifests(planned or {}, mod_base),
                        context=ctx)
        mod_unit.key = unit_key(mod_unit, {"context": ctx}, checks_digest, version)
        region_units[region] = (plan_unit, man_unit, mod_unit)
        units += [plan_unit, man_unit, mod_unit]

    load_cached(units, cache)
    todo = [u for u in units if u.records is None]
    runs = 0
    if todo:
        _run(project_root, env, todo, len(units) - len(todo), paths, settings, checkov, say)
        runs = 1
        # A plan that checkov ran no check on is an error below; never cache that as its result.
        store([u for u in todo if u.kind != "plan" or u.records], cache)
    else:
        say(f"checkov: all {len(units)} unit(s) cached")

    today = today or date.today()
    results: dict[str, ScanResult] = {}
    unchecked: list[str] = []
    for region, layout in layouts.items():
        plan_unit, man_unit, mod_unit = region_units[region]
        hcl_checked = bool(hcl_unit.records)
        region_checks = len(plan_unit.records or []) + len(man_unit.records or []) + (1 if hcl_checked else 0)
        if not region_checks or (not plan_unit.records and _planned_resources(layout.plan_json, artifacts_dir)):
            # A scan that ran no check for the region, or none on a plan that has resources
            # checkov could check (it could not read the plan), proves nothing: no findings.json.
            remove(layout.findings, root=artifacts_dir)
            unchecked.append(region)
            continue
        rdir = layout.root
        prefix = relative(rdir, project_root) if rdir.is_relative_to(project_root) else (
            f"{artifacts_dir.name}/{env}/{region}")
        findings, skipped = region_findings(
            env, region, prefix, [hcl_unit, repo_unit, plan_unit, man_unit, mod_unit], summaries[region], severity,
            waivers, today, extra=drift_findings(env, region, prefix, drifts[region], severity),
            module_sources=module_sources[region])
        inputs = {PLAN_JSON: sha256_file(layout.plan_json)}
        inputs.update({relative(p, rdir): sha256_file(p) for p in man_unit.files})
        inputs.update({relative(p, project_root): sha256_file(p) for p in hcl + repo_unit.files})
        summary = summaries[region]
        doc = FindingsDocument(environment=env, region=region, mode=summary.mode if summary else None,
                               checkov_version=version, inputs=dict(sorted(inputs.items())), findings=findings,
                               skipped=skipped)
        write_artifact(layout.findings, doc)
        result = ScanResult(env, region, layout.findings, findings, cache_hit=all(
            u.from_cache for u in (hcl_unit, repo_unit, plan_unit, man_unit, mod_unit)), checkov_runs=runs,
            skipped=skipped)
        results[region] = result
        say(f"{env}/{region}: {len(result.failed)} failed, {len(result.waived)} waived, "
            f"{len(result.passed)} passed")
    if unchecked:
        where = ", ".join(str(layouts[r].plan_json) for r in unchecked)
        raise UserError(f"{where}: checkov ran no checks on this plan ({', '.join(f'{env}/{r}' for r in unchecked)}) "
                        "although it has planned resources, or none for the region at all; a scan that checked "
                        "nothing is an error, not a pass (no findings.json written)")
    return results
