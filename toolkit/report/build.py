"""Build the compliance report from the per-region artifacts and the control catalogue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import toolkit
from toolkit.policy.files import PolicyPaths
from toolkit.policy.settings import load_policy_settings
from toolkit.policy.waivers import declared_waivers
from toolkit.report.catalogue import CATALOGUE_PATH, Catalogue, load_catalogue
from toolkit.report.controls import evaluate, natural_key, overall_status
from toolkit.report.inputs import RegionInputs, discover, load_region
from toolkit.report.locate import Locator
from toolkit.report.models import (
    BASIS_STATEMENTS,
    STATUS_LABELS,
    Basis,
    BasisMode,
    ControlReport,
    Counts,
    FrameworkSummary,
    Issue,
    Provenance,
    RegionBasis,
    Report,
    Scope,
    Summary,
    WaivedWithoutControl,
)
from toolkit.report.provenance import consistency, git_info, hashed, region_provenance
from toolkit.report.waivers import waived_without_control, waivers_section

REDACTED = "(sensitive)"


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


def _scope(ri: RegionInputs, counts: Counts) -> Scope:
    return Scope(
        environment=ri.environment, region=ri.region, aws_region=ri.summary.aws_region, mode=ri.summary.mode,
        residency_zone=ri.tfvars.residency_zone, account_id=ri.tfvars.account_id, tags=dict(ri.tfvars.tags),
        counts=counts, planned_changes=ri.summary.counts.model_dump(),
        protected_changes=sorted(c.address for c in ri.summary.protected_changes),
    )


def basis(inputs: Sequence[RegionInputs]) -> Basis:
    """What the report rests on, from the mode each region was planned in (summary.json)."""
    regions = [RegionBasis(environment=ri.environment, region=ri.region, mode=ri.summary.mode,
                           statement=BASIS_STATEMENTS[ri.summary.mode]) for ri in inputs]
    modes = {r.mode for r in regions}
    mode: BasisMode = "mixed" if len(modes) > 1 else regions[0].mode
    if mode == "sandbox":
        statement = f"Sandbox: {BASIS_STATEMENTS['sandbox']}."
    elif mode == "cloud":
        statement = f"Cloud: {BASIS_STATEMENTS['cloud']}."
    else:
        sandbox = [f"{r.environment}/{r.region}" for r in regions if r.mode == "sandbox"]
        cloud = [f"{r.environment}/{r.region}" for r in regions if r.mode == "cloud"]
        statement = (f"Mixed: {', '.join(sandbox)} {BASIS_STATEMENTS['sandbox']}; "
                     f"{', '.join(cloud)} {BASIS_STATEMENTS['cloud']}.")
    return Basis(mode=mode, statement=statement, regions=regions)


def _waiver_sentence(waived: int, no_control: Sequence[WaivedWithoutControl], waivers: int) -> str:
    if not waived:
        return "No finding is waived."
    text = f"{waived} waived finding(s) under {waivers} waiver(s)"
    if no_control:
        n = sum(w.findings for w in no_control)
        checks = ", ".join(sorted({w.check_id for w in no_control}))
        text += f", {n} of them on checks that map to no control ({checks}): see Waivers"
    return text + "."


def _tally(controls: Sequence[ControlReport]) -> tuple[Counts, Counts]:
    """Controls by overall status, and control x region results by status."""
    overall, cells = Counts(), Counts()
    for cr in controls:
        overall.add(cr.overall)
        for r in cr.results:
            cells.add(r.status)
    return overall, cells


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
    ``plan.json``, ``terraform.tfvars.json`` when present) plus ``controls/catalogue.yaml``,
    ``policy/waivers.yaml`` and ``policy/policy.yaml``. Waivers are judged as the gate
    judges them. ``regions`` restricts (and requires) the regions; default: every region
    with artifacts. Raises ``UserError`` for missing or malformed inputs.
    """
    root = Path(project_root)
    artifacts_dir = Path(artifacts_dir)
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    today = now.date()
    cat_path = catalogue_path or root / CATALOGUE_PATH
    catalogue: Catalogue = load_catalogue(cat_path)
    policy = PolicyPaths.of(root)
    declared = declared_waivers(policy.waivers)
    within_days = load_policy_settings(policy.settings).expiring_within_days
    inputs = [load_region(e, r, d, bases=(root, artifacts_dir.parent))
              for e, r, d in discover(artifacts_dir, env, regions)]
    locators = [Locator(root, ri.plan) for ri in inputs]
    issues: list[Issue] = []

    order = {f.id: i for i, f in enumerate(catalogue.frameworks)}
    controls: list[ControlReport] = []
    for c in sorted(catalogue.controls, key=lambda c: (order[c.framework], natural_key(c.id))):
        results = [evaluate(c, ri, today, declared, loc) for ri, loc in zip(inputs, locators, strict=True)]
        controls.append(ControlReport(
            key=c.key, framework=c.framework, id=c.id, title=c.title, description=c.description,
            checks=list(c.checks), applies_to=list(c.applies_to),
            overall=overall_status(results), results=results,
        ))

    scopes = []
    region_prov = []
    for i, ri in enumerate(inputs):
        counts = Counts()
        for cr in controls:
            counts.add(cr.results[i].status)
        scopes.append(_scope(ri, counts))
        consistency(ri, issues)
        region_prov.append(region_provenance(ri, root, artifacts_dir, issues))

    frameworks: list[FrameworkSummary] = []
    for fw in catalogue.frameworks:
        own = [cr for cr in controls if cr.framework == fw.id]
        fw_overall, fw_cells = _tally(own)
        frameworks.append(FrameworkSummary(id=fw.id, name=fw.name, version=fw.version,
                                           controls=len(own), overall=fw_overall, results=fw_cells))

    waivers = waivers_section(inputs, today, declared, within_days, catalogue)
    no_control = waived_without_control(inputs, catalogue, waivers)
    waived = sum(1 for ri in inputs for f in ri.findings.findings if f.status == "waived")
    overall, cells = _tally(controls)
    envs = sorted({ri.environment for ri in inputs})
    note = (
        f"{len(controls)} controls over {len(inputs)} region(s) of {', '.join(envs)}: "
        f"{overall.met} {STATUS_LABELS['met']}, {overall.met_with_exception} "
        f"{STATUS_LABELS['met_with_exception']}, {overall.not_met} {STATUS_LABELS['not_met']}, "
        f"{overall.not_applicable} {STATUS_LABELS['not_applicable']} (worst region counts). "
        f"{_waiver_sentence(waived, no_control, len({w.id for w in waivers if w.findings}))} "
        f"No secret is attached: sensitive values show as {REDACTED}."
    )
    report = Report(
        title=f"Compliance report: {', '.join(envs)}",
        environments=envs,
        basis=basis(inputs),
        summary=Summary(controls=len(controls), regions=len(inputs), overall=overall,
                        results=cells, waived_findings=waived,
                        waived_without_control=sum(w.findings for w in no_control), note=note),
        scopes=scopes, frameworks=frameworks, controls=controls, waivers=waivers,
        waived_without_control=no_control, issues=issues,
        provenance=Provenance(
            generated_at=now.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            toolkit_version=toolkit.__version__,
            git=git_info(root),
            catalogue=hashed(cat_path, root),
            waivers_file=hashed(policy.waivers, root) if policy.waivers.is_file() else None,
            regions=region_prov,
        ),
    )
    secrets = sorted(set().union(*(ri.secrets for ri in inputs)), key=len, reverse=True)
    if secrets:
        report = Report.model_validate(_redact(report.model_dump(mode="json"), secrets))
    return report
