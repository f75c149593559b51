"""Build the compliance report from the per-region artifacts and the control catalogue."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import toolkit
from toolkit.errors import UserError
from toolkit.fsutil import sha256_file
from toolkit.policy.waivers import Waiver, load_waivers
from toolkit.report.catalogue import CATALOGUE_PATH, Catalogue, Control, load_catalogue
from toolkit.report.inputs import (
    Finding,
    PlanSummary,
    ScanFindings,
    load_model,
    read_json,
    read_plan_sha256,
    sensitive_values,
)
from toolkit.report.models import (
    STATUS_LABELS,
    STATUS_RANK,
    ControlReport,
    ControlResult,
    Counts,
    Evidence,
    FrameworkSummary,
    GitInfo,
    HashedFile,
    Issue,
    Provenance,
    RegionProvenance,
    Report,
    Scope,
    Status,
    Summary,
    WaiverInForce,
)

REDACTED = "(sensitive)"
WAIVERS_PATH = Path("policy") / "waivers.yaml"
EXPIRES_SOON_DAYS = 30
# Files of a region directory hashed into the provenance when present.
ARTIFACT_FILES = (
    "summary.json",
    "plan.json",
    "plan.sha256",
    "tfplan",
    "findings.json",
    "terraform.tfvars.json",
    "backend.hcl",
)


@dataclass
class RegionInputs:
    environment: str
    region: str
    directory: Path
    summary: PlanSummary
    findings: ScanFindings
    plan_sha256: str
    tfvars: dict[str, Any] = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)

    @property
    def scope(self) -> str:
        return f"{self.environment}/{self.region}"


def _rel(path: Path, *bases: Path) -> str:
    """``path`` relative to the first base that contains it (reports never hold absolute paths)."""
    for base in bases:
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return path.name


def git_info(project_root: Path) -> GitInfo:
    """HEAD commit and dirty flag; both null when git or the repository is missing."""

    def git(*args: str) -> str | None:
        try:
            proc = subprocess.run(
                ["git", "-C", str(project_root), *args],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return proc.stdout if proc.returncode == 0 else None

    commit = git("rev-parse", "--verify", "HEAD")
    if commit is None:
        return GitInfo(commit=None, dirty=None)
    status = git("status", "--porcelain")
    return GitInfo(commit=commit.strip(), dirty=None if status is None else bool(status.strip()))


def discover(artifacts_dir: Path, env: str | Sequence[str] | None,
             regions: Sequence[str] | None) -> list[tuple[str, str, Path]]:
    """The (environment, region, directory) triples to report on."""
    if not artifacts_dir.is_dir():
        raise UserError(f"{artifacts_dir}: no artifacts directory (run `infra plan` and `infra scan` first)")

    def has_artifacts(d: Path) -> bool:
        return (d / "summary.json").is_file() or (d / "findings.json").is_file()

    if env is None:
        envs = sorted(
            d.name for d in artifacts_dir.iterdir()
            if d.is_dir() and any(has_artifacts(r) for r in d.iterdir() if r.is_dir())
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
            names = sorted(r.name for r in env_dir.iterdir() if r.is_dir() and has_artifacts(r)) \
                if env_dir.is_dir() else []
        if not names:
            raise UserError(f"{env_dir}: no region artifacts for environment {e!r} "
                            "(run `infra plan` and `infra scan` first)")
        out.extend((e, r, env_dir / r) for r in names)
    return out


def load_region(environment: str, region: str, directory: Path) -> RegionInputs:
    summary = load_model(directory / "summary.json", PlanSummary, "run `infra plan` first")
    findings = load_model(directory / "findings.json", ScanFindings, "run `infra scan` first")
    plan_sha = read_plan_sha256(directory / "plan.sha256")
    tfvars: dict[str, Any] = {}
    tfvars_path = directory / "terraform.tfvars.json"
    if tfvars_path.is_file():
        data = read_json(tfvars_path)
        if isinstance(data, dict):
            tfvars = data
    secrets: set[str] = set()
    plan_json = directory / "plan.json"
    if plan_json.is_file():
        secrets = sensitive_values(read_json(plan_json))
    return RegionInputs(environment, region, directory, summary, findings, plan_sha, tfvars, secrets)


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort "A.8.9" before "A.8.15" and "Art. 25" before "Art. 44"."""
    parts = re.findall(r"\d+|[^\d]+", text)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _parse_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _in_scope(control: Control, summary: PlanSummary) -> list[str]:
    if not control.applies_to:
        return []
    wanted = set(control.applies_to)
    return sorted({c.address for c in summary.changes if c.type in wanted and c.action != "delete"})


def evaluate(control: Control, ri: RegionInputs, today: dt.date) -> ControlResult:
    """Status of one control in one region, from the findings of its checks."""
    checks = set(control.checks)
    evidence: list[Evidence] = []
    expired: list[str] = []
    for f in sorted((f for f in ri.findings.findings if f.check_id in checks),
                    key=lambda f: (f.check_id, f.resource, f.file, f.line or 0)):
        effective = f.status
        if f.status == "waived":
            expires = _parse_date(f.waiver.expires) if f.waiver else None
            if f.waiver is None or expires is None or expires < today:
                effective = "failed"
                expired.append(f.waiver.id if f.waiver else f"{f.check_id} on {f.resource}")
        evidence.append(Evidence(
            check_id=f.check_id, title=f.title, severity=f.severity, result=f.status,
            effective_result=effective, resource=f.resource, file=f.file, line=f.line,
            source=f.source, waiver_id=f.waiver.id if f.waiver else None,
        ))
    in_scope = _in_scope(control, ri.summary)
    failed = [e for e in evidence if e.effective_result == "failed"]
    waived = [e for e in evidence if e.effective_result == "waived"]
    status: Status
    if not evidence:
        if in_scope:
            status = "not_met"
            reason = (f"no result for {', '.join(control.checks)} although {len(in_scope)} "
                      f"in-scope resource(s) are planned: evidence is missing")
        else:
            status = "not_applicable"
            kinds = ", ".join(control.applies_to) if control.applies_to else "the checked resources"
            reason = f"no {kinds} planned in this region and no result for its checks"
    elif failed:
        status = "not_met"
        ids = sorted({e.check_id for e in failed})
        reason = f"{len(failed)} failed result(s) of {', '.join(ids)}"
        if expired:
            reason += f"; expired or invalid waiver(s): {', '.join(sorted(set(expired)))}"
    elif waived:
        status = "met_with_exception"
        ids = sorted({e.waiver_id or "" for e in waived})
        reason = f"{len(waived)} failed result(s) covered by waiver(s) {', '.join(ids)}"
    else:
        status = "met"
        reason = f"{len(evidence)} passed result(s) on {len({e.resource for e in evidence})} resource(s)"
    return ControlResult(environment=ri.environment, region=ri.region, status=status,
                         reason=reason, in_scope_resources=in_scope, evidence=evidence)


def overall_status(results: Sequence[ControlResult]) -> Status:
    applicable = [r.status for r in results if r.status != "not_applicable"]
    if not applicable:
        return "not_applicable"
    return min(applicable, key=lambda s: STATUS_RANK[s])


def _hash(path: Path, *bases: Path) -> HashedFile:
    return HashedFile(path=_rel(path, *bases), sha256=sha256_file(path), verified="recorded")


def _verify_inputs(ri: RegionInputs, recorded_inputs: dict[str, str], stage: str, root: Path,
                   issues: list[Issue]) -> list[HashedFile]:
    """Compare the hashes a stage recorded with the files found now (project root or region dir)."""
    out: list[HashedFile] = []
    for rel, recorded in sorted(recorded_inputs.items()):
        candidates = [root / rel, ri.directory / rel]
        found = next((p for p in candidates if p.is_file()), None)
        verified: Literal["match", "mismatch", "missing"]
        if found is None:
            verified = "missing"
        elif sha256_file(found) == recorded.lower():
            verified = "match"
        else:
            verified = "mismatch"
            issues.append(Issue(scope=ri.scope, message=f"{stage} input {rel} changed after the {stage} "
                                f"(recorded {recorded[:12]}, now {sha256_file(found)[:12]})"))
        out.append(HashedFile(path=rel, sha256=recorded, verified=verified))
    return out


def _consistency(ri: RegionInputs, issues: list[Issue]) -> None:
    s, f = ri.summary, ri.findings
    if s.plan_sha256.lower() != ri.plan_sha256:
        issues.append(Issue(scope=ri.scope, message="plan.sha256 does not match summary.json plan_sha256"))
    tfplan = ri.directory / "tfplan"
    if tfplan.is_file() and sha256_file(tfplan) != ri.plan_sha256:
        issues.append(Issue(scope=ri.scope, message="tfplan does not match plan.sha256"))
    for name, data in (("summary.json", s), ("findings.json", f)):
        if (data.environment, data.region) != (ri.environment, ri.region):
            issues.append(Issue(scope=ri.scope, message=f"{name} is for {data.environment}/{data.region}, "
                                f"found in the directory of {ri.scope}"))
    if f.mode is not None and s.mode != f.mode:
        issues.append(Issue(scope=ri.scope, message=f"plan ran in {s.mode} mode but the scan in {f.mode} mode"))
    status_path = ri.directory / "status.json"
    if status_path.is_file():
        status = read_json(status_path)
        if isinstance(status, dict) and status.get("status") not in (None, "ok"):
            issues.append(Issue(scope=ri.scope, message=f"last run failed at stage "
                                f"{status.get('stage')!r}: the artifacts may be stale"))


def _redact(value: Any, secrets: Sequence[str]) -> Any:
    if isinstance(value, str):
        for s in secrets:
            if s in value:
                value = value.replace(s, REDACTED)
        return value
    if isinstance(value, dict):
        return {_redact(k, secrets): _redact(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, secrets) for v in value]
    return value


def build_report(
    project_root: Path,
    artifacts_dir: Path,
    env: str | Sequence[str] | None,
    *,
    regions: Sequence[str] | None = None,
    catalogue_path: Path | None = None,
    now: dt.datetime | None = None,
) -> Report:
    """Build the report for ``env`` (one name, several, or None for every environment found).

    Reads ``artifacts_dir/ENV/REGION/{summary.json, findings.json, plan.sha256}`` (and
    ``plan.json``, ``terraform.tfvars.json`` when present) plus ``controls/catalogue.yaml``.
    ``regions`` restricts (and requires) the regions; default: every region with artifacts.
    Raises ``UserError`` for missing or malformed inputs.
    """
    root = Path(project_root)
    artifacts_dir = Path(artifacts_dir)
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    today = now.date()
    cat_path = catalogue_path or root / CATALOGUE_PATH
    catalogue: Catalogue = load_catalogue(cat_path)
    inputs = [load_region(e, r, d) for e, r, d in discover(artifacts_dir, env, regions)]
    issues: list[Issue] = []

    order = {f.id: i for i, f in enumerate(catalogue.frameworks)}
    controls: list[ControlReport] = []
    for c in sorted(catalogue.controls, key=lambda c: (order[c.framework], natural_key(c.id))):
        results = [evaluate(c, ri, today) for ri in inputs]
        controls.append(ControlReport(
            key=c.key, framework=c.framework, id=c.id, title=c.title, description=c.description,
            checks=list(c.checks), applies_to=list(c.applies_to),
            overall=overall_status(results), results=results,
        ))

    scopes: list[Scope] = []
    region_prov: list[RegionProvenance] = []
    for i, ri in enumerate(inputs):
        counts = Counts()
        for cr in controls:
            counts.add(cr.results[i].status)
        tags = ri.tfvars.get("tags")
        scopes.append(Scope(
            environment=ri.environment, region=ri.region, aws_region=ri.summary.aws_region,
            mode=ri.summary.mode,
            residency_zone=_str_or_none(ri.tfvars.get("residency_zone")),
            account_id=_str_or_none(ri.tfvars.get("account_id")),
            tags={str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {},
            counts=counts, planned_changes=dict(ri.summary.counts),
            protected_changes=sorted(c.address for c in ri.summary.protected_changes),
        ))
        _consistency(ri, issues)
        region_prov.append(RegionProvenance(
            environment=ri.environment, region=ri.region, mode=ri.summary.mode,
            terraform_version=ri.summary.terraform_version,
            checkov_version=ri.findings.checkov_version,
            provider_source=ri.summary.provider.source,
            provider_version=ri.summary.provider.version,
            provider_schema_sha256=ri.summary.provider.schema_sha256,
            plan_sha256=ri.plan_sha256, plan_generated_at=ri.summary.generated_at,
            artifacts=[_hash(ri.directory / n, root, artifacts_dir.parent)
                       for n in ARTIFACT_FILES if (ri.directory / n).is_file()],
            plan_inputs=_verify_inputs(ri, ri.summary.inputs_sha256, "plan", root, issues),
            scan_inputs=_verify_inputs(ri, ri.findings.inputs, "scan", root, issues),
        ))

    frameworks: list[FrameworkSummary] = []
    for fw in catalogue.frameworks:
        own = [cr for cr in controls if cr.framework == fw.id]
        overall, cells = Counts(), Counts()
        for cr in own:
            overall.add(cr.overall)
            for r in cr.results:
                cells.add(r.status)
        frameworks.append(FrameworkSummary(id=fw.id, name=fw.name, version=fw.version,
                                           controls=len(own), overall=overall, results=cells))

    waivers_file = root / WAIVERS_PATH
    declared = load_waivers(waivers_file) if waivers_file.is_file() else []
    waivers = _waivers(inputs, today, declared)
    overall, cells = Counts(), Counts()
    for cr in controls:
        overall.add(cr.overall)
        for r in cr.results:
            cells.add(r.status)
    envs = sorted({ri.environment for ri in inputs})
    note = (
        f"{len(controls)} controls over {len(inputs)} region(s) of {', '.join(envs)}: "
        f"{overall.met} {STATUS_LABELS['met']}, {overall.met_with_exception} "
        f"{STATUS_LABELS['met_with_exception']}, {overall.not_met} {STATUS_LABELS['not_met']}, "
        f"{overall.not_applicable} {STATUS_LABELS['not_applicable']} (worst region counts). "
        f"No secret is attached: sensitive values show as {REDACTED}."
    )
    report = Report(
        title=f"Compliance report: {', '.join(envs)}",
        environments=envs,
        summary=Summary(controls=len(controls), regions=len(inputs), overall=overall,
                        results=cells, note=note),
        scopes=scopes, frameworks=frameworks, controls=controls, waivers=waivers, issues=issues,
        provenance=Provenance(
            generated_at=now.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            toolkit_version=toolkit.__version__,
            git=git_info(root),
            catalogue=_hash(cat_path, root),
            waivers_file=_hash(waivers_file, root) if waivers_file.is_file() else None,
            regions=region_prov,
        ),
    )
    secrets = sorted(set().union(*(ri.secrets for ri in inputs)), key=len, reverse=True)
    if secrets:
        report = Report.model_validate(_redact(report.model_dump(mode="json"), secrets))
    return report


def _state(expires: dt.date | None, today: dt.date) -> Literal["in_force", "expires_soon", "expired"]:
    if expires is None or expires < today:
        return "expired"
    if (expires - today).days <= EXPIRES_SOON_DAYS:
        return "expires_soon"
    return "in_force"


def _waivers(inputs: Sequence[RegionInputs], today: dt.date,
             declared: Sequence[Waiver]) -> list[WaiverInForce]:
    """Waivers used by the findings, plus declared ones for these scopes that matched nothing."""
    by_id: dict[str, dict[str, Any]] = {}
    for ri in inputs:
        f: Finding
        for f in ri.findings.findings:
            if f.waiver is None:
                continue
            w = by_id.setdefault(f.waiver.id, {
                "waiver": f.waiver, "checks": set(), "resources": set(), "scopes": set(),
            })
            w["checks"].add(f.check_id)
            w["resources"].add(f.resource)
            w["scopes"].add(ri.scope)
    out: list[WaiverInForce] = []
    for wid, w in sorted(by_id.items()):
        wv = w["waiver"]
        out.append(WaiverInForce(id=wid, reason=wv.reason, owner=wv.owner, expires=wv.expires,
                                 state=_state(_parse_date(wv.expires), today),
                                 checks=sorted(w["checks"]),
                                 resources=sorted(w["resources"]), scopes=sorted(w["scopes"])))
    for d in declared:
        if d.id in by_id:
            continue
        scopes = sorted(ri.scope for ri in inputs
                        if (not d.environments or ri.environment in d.environments)
                        and (not d.regions or ri.region in d.regions))
        if not scopes:
            continue
        state = _state(d.expires, today)
        out.append(WaiverInForce(id=d.id, reason=d.reason, owner=d.owner,
                                 expires=d.expires.isoformat(),
                                 state="expired" if state == "expired" else "unused",
                                 checks=[d.check_id], resources=[d.resource], scopes=scopes))
    return sorted(out, key=lambda w: w.id)

