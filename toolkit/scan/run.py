"""``infra scan``: checkov over the HCL, each region's plan and its Karpenter manifests.

One checkov process per call, whatever the number of regions: every input that
is not already in the cache goes into a single ``checkov -f ... -f ...`` run
(frameworks terraform, terraform_plan, kubernetes) with our checks from
``policy/checks``. Results are cached per *unit* under ``<cache>/scan/`` by the
sha256 of the unit's inputs, the checks and the checkov version:

- ``hcl``: every ``.tf`` file of ``modules/`` and ``terraform/`` (examples, tests and
  ``.terraform`` excluded);
- ``plan`` of a region: its ``plan.json``, the HCL digest (plan findings are mapped
  to HCL file:line with ``--repo-root-for-plan-enrichment terraform/``) and its context;
- ``manifests`` of a region: its ``manifests/*.yaml`` and its context.

Context: rules that depend on the environment or the residency zone read a JSON
file that this module writes before checkov starts (``INFRA_POLICY_CONTEXT``, see
``policy/checks/infra_common.py``), built from the region's ``terraform.tfvars.json``
and ``policy/policy.yaml``.

Severities come from ``policy/severity.yaml`` and waivers from ``policy/waivers.yaml``;
both are applied after the cache, so editing them never re-runs checkov.
The result lands in ``.infra/ENV/REGION/findings.json`` (contracts.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from toolkit.artifacts.findings import (
    PROTECTED_CHANGE_CHECK,
    PROTECTED_CHANGE_TITLE,
    Finding,
    FindingsDocument,
    SeverityMap,
    load_severity_map,
    load_yaml_mapping,
    one_line_error,
)
from toolkit.errors import ToolError, UserError
from toolkit.fsutil import atomic_write_json
from toolkit.policy.waivers import Waiver, apply_waivers, load_waivers

Progress = Callable[[str], None]

HCL_DIRS = ("modules", "terraform")
HCL_SKIP_DIRS = frozenset({".terraform", "examples", "tests"})
FRAMEWORKS = ("terraform", "terraform_plan", "kubernetes")
CONTEXT_ENV = "INFRA_POLICY_CONTEXT"
CACHE_VERSION = "3"
UNKNOWN_MARKER = "true_after_unknown"  # what checkov writes for after_unknown values

# How many checkov processes this interpreter started (tests and the benchmark read it).
checkov_runs = 0


class PolicySettings(BaseModel):
    """``policy/policy.yaml``: knobs of the custom checks, passed to them as context."""

    model_config = ConfigDict(extra="forbid")

    strict_environments: list[str] = ["prod"]
    required_tags: list[str] = ["owner", "cost-center", "data-classification", "environment"]
    max_secret_rotation_days: int = Field(90, gt=0)
    min_kms_deletion_window_days: int = Field(30, ge=7, le=30)
    expiring_within_days: int = Field(30, ge=0)


@dataclass(frozen=True)
class PolicyPaths:
    """Where the policy material lives (defaults: ``<project>/policy/...``)."""

    checks_dir: Path
    severity: Path
    waivers: Path
    settings: Path

    @classmethod
    def of(cls, project_root: Path, policy_dir: Path | None = None) -> PolicyPaths:
        base = policy_dir or project_root / "policy"
        return cls(base / "checks", base / "severity.yaml", base / "waivers.yaml", base / "policy.yaml")


@dataclass
class ScanResult:
    environment: str
    region: str
    path: Path
    findings: list[Finding]
    cache_hit: bool  # every unit of this region came from the cache
    checkov_runs: int  # checkov processes started by the call (0 or 1), shared by all regions

    @property
    def failed(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "failed"]

    @property
    def failed_count(self) -> int:
        """Unwaived failed findings (all severities)."""
        return len(self.failed)

    @property
    def waived(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "waived"]

    @property
    def passed(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "passed"]


@dataclass
class _Unit:
    """A cacheable group of inputs; raw records are stored with paths relative to ``base``."""

    kind: str  # hcl | plan | manifests
    region: str | None
    base: Path
    files: list[Path]
    key: str = ""
    records: list[dict[str, Any]] | None = None
    from_cache: bool = False
    context: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- helpers


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_digest(path: Path) -> str:
    return _sha256(path.read_bytes())


def checkov_version() -> str:
    from importlib.metadata import version

    return version("checkov")


def _digest_tree(paths: Sequence[Path], base: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.relative_to(base).as_posix().encode())
        h.update(b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def hcl_files(project_root: Path) -> list[Path]:
    files: list[Path] = []
    for name in HCL_DIRS:
        top = project_root / name
        if not top.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = sorted(d for d in dirnames if d not in HCL_SKIP_DIRS and not d.startswith("."))
            files.extend(Path(dirpath) / f for f in sorted(filenames) if f.endswith(".tf"))
    return files


def load_policy_settings(path: Path) -> PolicySettings:
    data = load_yaml_mapping(path) if path.is_file() else {}
    try:
        return PolicySettings.model_validate(data)
    except ValidationError as exc:
        raise one_line_error(path, exc) from None


def _read_json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise UserError(f"{path}: not valid JSON") from None
    return data if isinstance(data, dict) else None


def region_context(region_dir: Path, env: str, region: str) -> dict[str, Any]:
    """What the environment-dependent checks need, from the region's tfvars and summary."""
    tfvars = _read_json(region_dir / "terraform.tfvars.json") or {}
    summary = _read_json(region_dir / "summary.json") or {}
    karpenter = tfvars.get("karpenter") if isinstance(tfvars.get("karpenter"), dict) else {}
    ctx: dict[str, Any] = {
        "environment": tfvars.get("environment") or env,
        "region_key": tfvars.get("region_key") or region,
        "aws_region": tfvars.get("region") or summary.get("aws_region"),
        "zone": tfvars.get("residency_zone"),
        "zone_regions": tfvars.get("zone_regions"),
        "min_on_demand_share": (karpenter or {}).get("min_on_demand_share"),
    }
    return {k: v for k, v in ctx.items() if v is not None}


# --------------------------------------------------------------------------- checkov


def _checkov_env(context_file: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BC_", "PRISMA_", "CKV_"))}
    env.update(
        {
            CONTEXT_ENV: str(context_file),
            "EVAL_TF_PLAN_AFTER_UNKNOWN": "true",  # unknown-at-plan values show as "true_after_unknown"
            "BC_SKIP_MAPPING": "TRUE",  # no guideline/mapping download
            "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
            "LOG_LEVEL": "WARNING",
            "PYTHONWARNINGS": "ignore",
            "ANSI_COLORS_DISABLED": "1",
        }
    )
    return env


_DRIVER = (
    "import json, os, sys, warnings; warnings.simplefilter('ignore'); "
    "from checkov.main import Checkov; "
    "line = sys.stdin.readline(); "
    "req = json.loads(line) if line.strip() else None; "
    "req is None and sys.exit(0); "
    "os.environ.update(req['env']); "
    "sys.exit(Checkov(argv=req['argv']).run())"
)


@dataclass
class _Prewarmed:
    cwd: Path
    proc: subprocess.Popen[str]


_prewarmed: _Prewarmed | None = None


@contextlib.contextmanager
def prewarmed_checkov(project_root: Path) -> Iterator[None]:
    """Start the run's one checkov process now, so its import (seconds) overlaps other work.

    The process imports checkov and waits for one request on stdin; :func:`run_checkov`
    hands it the files when the plans are ready. Unused, it is told to exit.
    """
    global _prewarmed
    env = _checkov_env(Path(os.devnull))
    proc = subprocess.Popen([sys.executable, "-c", _DRIVER], cwd=project_root, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _prewarmed = _Prewarmed(project_root.resolve(), proc)
    try:
        yield
    finally:
        left, _prewarmed = _prewarmed, None
        if left is not None and left.proc.poll() is None:
            try:
                left.proc.communicate(input="\n", timeout=30)
            except (subprocess.TimeoutExpired, OSError):
                left.proc.kill()
                left.proc.wait()


def _take_prewarmed(cwd: Path) -> subprocess.Popen[str] | None:
    global _prewarmed
    if _prewarmed is None or _prewarmed.cwd != cwd.resolve() or _prewarmed.proc.poll() is not None:
        return None
    proc, _prewarmed = _prewarmed.proc, None
    return proc


def run_checkov(
    project_root: Path,
    files: Sequence[Path],
    checks_dir: Path,
    context: dict[str, Any],
    *,
    enrichment_root: Path | None = None,
    timeout: float = 900.0,
) -> list[dict[str, Any]]:
    """One checkov process over ``files``; returns its JSON reports (one per framework)."""
    global checkov_runs
    with tempfile.TemporaryDirectory(prefix="infra-scan-") as tmp:
        tmpdir = Path(tmp)
        ctx_file = tmpdir / "context.json"
        ctx_file.write_text(json.dumps(context), encoding="utf-8")
        out_dir = tmpdir / "out"
        argv = [
            sys.executable,
            "-c",
            "import sys, warnings; warnings.simplefilter('ignore'); "
            "from checkov.main import Checkov; sys.exit(Checkov().run())",
        ]
        for f in files:
            argv += ["-f", str(f)]
        argv += [
            "--framework",
            *FRAMEWORKS,
            "--external-checks-dir",
            str(checks_dir),
            "--skip-download",
            "--soft-fail",
            "--compact",
            "-o",
            "json",
            "--output-file-path",
            str(out_dir),
        ]
        if enrichment_root is not None and enrichment_root.is_dir():
            argv += ["--repo-root-for-plan-enrichment", str(enrichment_root)]
        checkov_runs += 1
        warm = _take_prewarmed(project_root)
        try:
            if warm is not None:
                request = json.dumps({"argv": argv[3:], "env": {CONTEXT_ENV: str(ctx_file)}})
                out, err = warm.communicate(input=request + "\n", timeout=timeout)
                proc = subprocess.CompletedProcess(argv, warm.returncode, out, err)
            else:
                proc = subprocess.run(
                    argv,
                    cwd=project_root,
                    env=_checkov_env(ctx_file),
                    capture_output=True,
                    text=True,
                    timeout=timeout,
                    check=False,
                )
        except subprocess.TimeoutExpired:
            if warm is not None:
                warm.kill()
                warm.wait()
            raise ToolError(f"checkov did not finish within {timeout:.0f}s") from None
        result = out_dir / "results_json.json"
        if proc.returncode != 0 or not result.is_file():
            tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
            raise ToolError(f"checkov failed (exit {proc.returncode}): {tail or 'no output'}")
        data = json.loads(result.read_text(encoding="utf-8"))
    reports = data if isinstance(data, list) else [data]
    return [r for r in reports if isinstance(r, dict) and "results" in r]


def _records(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for report in reports:
        check_type = report.get("check_type")
        results = report.get("results") or {}
        errors = results.get("parsing_errors") or []
        if errors:
            raise ToolError(f"checkov could not parse: {', '.join(map(str, errors[:3]))}")
        for key, status in (("failed_checks", "failed"), ("passed_checks", "passed")):
            for rec in results.get(key) or []:
                lines = rec.get("file_line_range") or [None, None]
                out.append(
                    {
                        "check_type": check_type,
                        "check_id": rec.get("check_id"),
                        "title": rec.get("check_name") or "",
                        "resource": rec.get("resource_address") or rec.get("resource") or "",
                        "file_path": rec.get("file_path") or "",
                        "abs_path": rec.get("file_abs_path") or "",
                        "line": lines[0] if lines and isinstance(lines[0], int) and lines[0] > 0 else None,
                        "status": status,
                    }
                )
    return out


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


_PLAN_KEYS_UNUSED = ("prior_state", "output_changes", "checks", "relevant_attributes", "resource_drift", "variables")


def prepare_plan(source: Path, target: Path) -> None:
    """Copy a ``terraform show -json`` plan for checkov, marking unknown-at-plan values.

    terraform writes a value known only after apply as ``null`` in ``planned_values`` and
    ``true`` in ``after_unknown``; checkov only marks keys that are absent, so a nested or
    null unknown (``kms_key_id`` of a key created in the same plan) would read as "not
    set". The copy carries ``"true_after_unknown"`` there instead, and leaves out the parts
    of the plan checkov never reads (prior state, outputs, ``after`` of created resources).
    """
    try:
        plan = json.loads(source.read_text(encoding="utf-8"))
    except ValueError:
        raise UserError(f"{source}: not valid JSON (expected `terraform show -json` output)") from None
    if not isinstance(plan, dict) or "format_version" not in plan:
        raise UserError(f"{source}: not a terraform plan (no format_version)")
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


# --------------------------------------------------------------------------- scan


def _unit_key(unit: _Unit, extra: dict[str, Any], checks_digest: str, version: str) -> str:
    payload = {
        "cache": CACHE_VERSION,
        "kind": unit.kind,
        "checkov": version,
        "checks": checks_digest,
        "files": {p.relative_to(unit.base).as_posix(): _file_digest(p) for p in sorted(unit.files)},
        **extra,
    }
    return _sha256(json.dumps(payload, sort_keys=True).encode())


def _relative(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _compile_checks(files: Sequence[Path]) -> None:
    """checkov skips a custom check file that fails to load, silently: refuse to scan instead."""
    for path in files:
        try:
            compile(path.read_bytes(), str(path), "exec")
        except SyntaxError as exc:
            raise UserError(f"{path}:{exc.lineno}: policy check does not compile ({exc.msg}); "
                            "checkov would skip its checks silently") from None


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
) -> dict[str, ScanResult]:
    """Scan ``regions`` of ``env`` (one checkov process at most) and write their findings.json.

    ``artifacts_dir`` holds ``ENV/REGION/plan.json`` (required), ``manifests/*.yaml``,
    ``terraform.tfvars.json`` and ``summary.json``. The cache defaults to
    ``<artifacts_dir>/cache/scan``.
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
    version = checkov_version()
    check_files = sorted(p for p in paths.checks_dir.rglob("*.py") if "__pycache__" not in p.parts)
    _compile_checks(check_files)
    checks_digest = _sha256((_digest_tree(check_files, paths.checks_dir) + settings.model_dump_json()).encode())

    hcl = hcl_files(project_root)
    hcl_digest = _digest_tree(hcl, project_root)
    units: list[_Unit] = []
    hcl_unit = _Unit("hcl", None, project_root, hcl)
    hcl_unit.key = _unit_key(hcl_unit, {}, checks_digest, version)
    units.append(hcl_unit)

    region_units: dict[str, list[_Unit]] = {}
    for region in regions:
        rdir = artifacts_dir / env / region
        plan = rdir / "plan.json"
        if not plan.is_file():
            raise UserError(f"{plan}: no plan for {env}/{region}; run `infra plan {region} --env {env}` first")
        ctx = region_context(rdir, env, region)
        if "zone_regions" not in ctx:
            say(f"{env}/{region}: no terraform.tfvars.json with zone_regions: residency rules cannot run")
        plan_unit = _Unit("plan", region, rdir, [plan], context=ctx)
        plan_unit.key = _unit_key(plan_unit, {"context": ctx, "hcl": hcl_digest}, checks_digest, version)
        manifests = sorted(p for p in (rdir / "manifests").glob("*.y*ml")) if (rdir / "manifests").is_dir() else []
        man_unit = _Unit("manifests", region, rdir, manifests, context=ctx)
        man_unit.key = _unit_key(man_unit, {"context": ctx}, checks_digest, version)
        region_units[region] = [plan_unit, man_unit]
        units.extend(region_units[region])

    for unit in units:
        cached = cache / f"{unit.key}.json"
        if not unit.files:
            unit.records, unit.from_cache = [], True
        elif cached.is_file():
            try:
                unit.records = json.loads(cached.read_text(encoding="utf-8"))["records"]
                unit.from_cache = True
            except (ValueError, KeyError):
                unit.records = None

    todo = [u for u in units if u.records is None]
    runs = 0
    if todo:
        with tempfile.TemporaryDirectory(prefix="infra-plans-") as staging:
            # What checkov reads -> (unit, original file). Plans go through a prepared copy.
            scanned: dict[str, tuple[_Unit, Path]] = {}
            for u in todo:
                for f in u.files:
                    target = f.resolve()
                    if u.kind == "plan":
                        target = Path(staging) / f"{env}-{u.region}" / f.name
                        prepare_plan(f, target)
                    scanned[str(target)] = (u, f)
            say(f"checkov: {len(scanned)} file(s) from {len(todo)} unit(s), {len(units) - len(todo)} cached")
            context = {
                "policy": settings.model_dump(),
                "files": {path: u.context for path, (u, _f) in scanned.items() if u.context},
            }
            started = time.monotonic()
            reports = run_checkov(
                project_root,
                [Path(p) for p in scanned],
                paths.checks_dir,
                context,
                enrichment_root=project_root / "terraform",
            )
            runs = 1
            say(f"checkov: done in {time.monotonic() - started:.1f}s")
            for u in todo:
                u.records = []
            for rec in _records(reports):
                hit = scanned.get(str(Path(rec["abs_path"]).resolve())) if rec["abs_path"] else None
                if hit is None:
                    continue
                owner, original = hit
                rec["abs_path"] = str(original.resolve())
                rec["input"] = _relative(original, owner.base)
                rec["file_path"] = _normalise_file(rec, owner, project_root)
                assert owner.records is not None
                owner.records.append(rec)
        for u in todo:
            atomic_write_json(cache / f"{u.key}.json", {"kind": u.kind, "records": u.records})
    else:
        say(f"checkov: all {len(units)} unit(s) cached")

    today = today or date.today()
    results: dict[str, ScanResult] = {}
    for region in regions:
        rdir = artifacts_dir / env / region
        plan_unit, man_unit = region_units[region]
        findings = _findings(
            env, region, rdir, artifacts_dir, project_root, [hcl_unit, plan_unit, man_unit], severity, waivers, today
        )
        summary = _read_json(rdir / "summary.json") or {}
        inputs = {"plan.json": _file_digest(rdir / "plan.json")}
        inputs.update({_relative(p, rdir): _file_digest(p) for p in man_unit.files})
        inputs.update({_relative(p, project_root): _file_digest(p) for p in hcl})
        doc = FindingsDocument(
            environment=env,
            region=region,
            mode=summary.get("mode"),
            checkov_version=version,
            inputs=inputs,
            findings=findings,
        )
        out = rdir / "findings.json"
        atomic_write_json(out, doc.to_dict())
        results[region] = ScanResult(
            env,
            region,
            out,
            findings,
            cache_hit=all(u.from_cache for u in (hcl_unit, plan_unit, man_unit)),
            checkov_runs=runs,
        )
        say(
            f"{env}/{region}: {len(results[region].failed)} failed, {len(results[region].waived)} waived, "
            f"{len(results[region].passed)} passed"
        )
    return results


def _normalise_file(rec: dict[str, Any], unit: _Unit, project_root: Path) -> str:
    """A path relative to the project root (HCL, enriched plan findings) or to the region dir."""
    file_path = str(rec.get("file_path") or "")
    if unit.kind == "plan" and file_path and not file_path.endswith(".json"):
        # Enriched: checkov reports the HCL file relative to the enrichment root (terraform/).
        resolved = (project_root / "terraform" / file_path.lstrip("/")).resolve()
        return _relative(resolved, project_root)
    if unit.kind == "hcl":
        return _relative(Path(rec["abs_path"]), project_root)
    return ""  # plan/manifest findings point at the input itself (filled per region)


def _findings(
    env: str,
    region: str,
    rdir: Path,
    artifacts_dir: Path,
    project_root: Path,
    units: Sequence[_Unit],
    severity: SeverityMap,
    waivers: Sequence[Waiver],
    today: date,
) -> list[Finding]:
    region_prefix = (
        _relative(rdir, project_root) if rdir.is_relative_to(project_root) else (f"{artifacts_dir.name}/{env}/{region}")
    )
    findings: list[Finding] = []
    for unit in units:
        source = {"hcl": "hcl", "plan": "plan", "manifests": "manifest"}[unit.kind]
        for rec in unit.records or []:
            file = rec.get("file_path") or f"{region_prefix}/{rec.get('input', '')}"
            findings.append(
                Finding(
                    check_id=str(rec["check_id"]),
                    title=str(rec["title"]),
                    severity=severity.severity_of(str(rec["check_id"])),
                    environment=env,
                    region=region,
                    resource=str(rec["resource"]),
                    file=file,
                    line=rec.get("line") if unit.kind != "plan" or rec.get("file_path") else None,
                    status="failed" if rec["status"] == "failed" else "passed",
                    source=source,  # type: ignore[arg-type]
                )
            )
    summary = _read_json(rdir / "summary.json") or {}
    for change in summary.get("protected_changes") or []:
        findings.append(
            Finding(
                check_id=PROTECTED_CHANGE_CHECK,
                title=f"{PROTECTED_CHANGE_TITLE} ({change.get('action')} {change.get('type')})",
                severity=severity.checks.get(PROTECTED_CHANGE_CHECK, "CRITICAL"),
                environment=env,
                region=region,
                resource=str(change.get("address", "")),
                file=f"{region_prefix}/plan.json",
                line=None,
                status="failed",
                source="plan",
            )
        )
    findings = apply_waivers(findings, waivers, today)
    findings.sort(key=lambda f: (f.status != "failed", f.status != "waived", f.source, f.check_id, f.resource))
    return findings
