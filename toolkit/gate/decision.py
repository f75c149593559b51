"""``infra gate``: the merge decision over the artifacts of every region of an environment.

The artifacts may come from other machines (a CI matrix whose jobs uploaded
``.infra/ENV/REGION/``): everything is read from ``artifacts_dir`` with relative
paths only. The gate fails when

- a failed finding at or above the threshold (default HIGH) has no live waiver;
- a residency check (CKV_INFRA_4/5/6) failed without a waiver, whatever its severity;
- summary.json lists a destroy/replace of a protected type without a waived
  ``INFRA_PROTECTED_CHANGE`` finding;
- a region planned but was not scanned, or its plan failed (status.json).

Waivers are judged again against today's date and today's ``policy/waivers.yaml``, by the
rule the report uses too (:func:`toolkit.policy.waivers.effective_status`): an expired or
removed waiver does not waive, its finding stays failed and the reason names it.
Outputs (:mod:`toolkit.gate.outputs`): JUnit XML, SARIF 2.1.0, JSON and one Markdown comment
for every region.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from toolkit.artifacts.findings import PROTECTED_CHANGE_CHECK, SEVERITIES, Finding, FindingsDocument, at_or_above
from toolkit.artifacts.io import check_dir, read_artifact_if_present
from toolkit.artifacts.layout import RegionLayout, gate_dir, region_dirs
from toolkit.artifacts.summary import Status, Summary
from toolkit.errors import UserError
from toolkit.gate.model import GateDecision, ProtectedChange, RegionArtifacts
from toolkit.gate.outputs import GateOutputs, write_outputs
from toolkit.policy.files import PolicyPaths
from toolkit.policy.settings import PolicySettings, load_policy_settings
from toolkit.policy.waivers import declared_waivers, expiring_waivers, recheck_waivers, stale_waivers
from toolkit.settings import Project

# Checks whose failure always blocks the gate, whatever the threshold.
RESIDENCY_CHECKS: frozenset[str] = frozenset({"CKV_INFRA_4", "CKV_INFRA_5", "CKV_INFRA_6"})


def _problems(env: str, region: str, summary: Summary | None, status: Status | None,
              findings: FindingsDocument | None) -> list[str]:
    problems: list[str] = []
    if status and status.status == "failed":
        problems.append(f"plan failed at {status.stage or 'an unknown stage'}: {status.error or 'no detail'}")
    elif not status or status.status != "ok":
        # An interrupted or still-running plan: whatever findings lie here are not of this plan.
        detail = f": {status.error}" if status and status.error else ""
        problems.append(f"plan did not finish (status.json: {status.status if status else 'missing'}{detail})")
    elif summary is None:
        problems.append("no summary.json (run `infra plan`)")
    if findings is None:
        problems.append("no findings.json (run `infra scan`)")
    elif findings.environment != env or findings.region != region:
        problems.append(f"findings.json is for {findings.environment}/{findings.region}")
    return problems


def load_environment(artifacts_dir: Path, env: str, regions: Sequence[str] | None = None) -> list[RegionArtifacts]:
    """Every region directory of ``artifacts_dir/env`` with a plan, summary or findings."""
    env_dir = artifacts_dir / env
    if not artifacts_dir.is_dir():
        raise UserError(f"{artifacts_dir}: no artifacts directory (expected {env}/REGION/findings.json from "
                        "`infra plan` and `infra scan`)")
    if not check_dir(env_dir, root=artifacts_dir):  # a link there is refused
        present = sorted(p.name for p in artifacts_dir.iterdir() if p.is_dir() and not p.is_symlink())
        raise UserError(f"{env_dir}: no artifacts for environment {env!r} (expected {env}/REGION/findings.json; "
                        f"{artifacts_dir} has {', '.join(present) or 'nothing'})")
    names = region_dirs(artifacts_dir, env)  # a region directory that is a link is refused
    if regions:
        missing = [r for r in regions if r not in names]
        if missing:
            raise UserError(f"{env_dir}: no artifacts for region(s) {', '.join(missing)}")
        names = [n for n in names if n in regions]
    if not names:
        raise UserError(f"{env_dir}: no region artifacts (expected REGION/findings.json)")
    out: list[RegionArtifacts] = []
    for name in names:
        layout = RegionLayout.of(artifacts_dir, env, name)
        summary = read_artifact_if_present(layout.summary, Summary, root=artifacts_dir)
        status = read_artifact_if_present(layout.status, Status, root=artifacts_dir)
        findings = read_artifact_if_present(layout.findings, FindingsDocument, root=artifacts_dir)
        problems = _problems(env, name, summary, status, findings)
        out.append(RegionArtifacts(name, layout.root, summary, status, findings, problems))
    return out


def _short(f: Finding) -> str:
    return f"{f.check_id} on {f.resource} in {f.region}"


def _list(items: Sequence[str], limit: int = 3) -> str:
    head = ", ".join(items[:limit])
    return head + (f", +{len(items) - limit} more" if len(items) > limit else "")


def evaluate(
    artifacts_dir: Path,
    env: str,
    *,
    fail_on: str = "HIGH",
    waivers_path: Path | None = None,
    regions: Sequence[str] | None = None,
    today: date | None = None,
    settings: PolicySettings | None = None,
) -> GateDecision:
    """Decide. ``waivers_path`` (``policy/waivers.yaml``): the waivers in force now (without
    it, or without the file, a waiver counts until the expiry the scan recorded) and the
    stale/expiring lists; ``settings`` (``policy/policy.yaml``): how soon is "expiring"."""
    threshold = fail_on.upper()
    if threshold not in SEVERITIES:
        raise UserError(f"--fail-on: expected one of {', '.join(SEVERITIES)}, got {fail_on!r}")
    today = today or date.today()
    within_days = (settings or PolicySettings()).expiring_within_days
    loaded = load_environment(artifacts_dir, env, regions)
    declared = declared_waivers(waivers_path) if waivers_path is not None else None
    waivers = list((declared or {}).values())
    for r in loaded:  # the outputs show findings as judged today, not as stored
        if r.findings is not None:
            r.findings = r.findings.model_copy(
                update={"findings": recheck_waivers(r.findings.findings, declared, today)})
    findings = [f for r in loaded for f in r.all_findings]
    failed = [f for f in findings if f.status == "failed"]
    residency = [f for f in failed if f.check_id in RESIDENCY_CHECKS]
    blocking = [
        f
        for f in failed
        if at_or_above(f.severity, threshold)
        and f.check_id not in RESIDENCY_CHECKS
        and f.check_id != PROTECTED_CHANGE_CHECK
    ]
    expired = [f for f in failed if f.waiver is not None]
    waived_protected = {
        (f.region, f.resource) for f in findings if f.check_id == PROTECTED_CHANGE_CHECK and f.status == "waived"
    }
    protected = [
        ProtectedChange(region=r.region, **change.model_dump())
        for r in loaded
        for change in (r.summary.protected_changes if r.summary else [])
        if (r.region, change.address) not in waived_protected
    ]
    stale = stale_waivers(waivers, findings, env, [r.region for r in loaded]) if waivers else []
    expiring = expiring_waivers([w for w in waivers if not w.environments or env in w.environments], today,
                                within_days)

    parts: list[str] = []
    if blocking:
        parts.append(
            f"{len(blocking)} unwaived finding(s) at or above {threshold} ({_list([_short(f) for f in blocking])})"
        )
    if residency:
        parts.append(f"{len(residency)} residency violation(s) ({_list([_short(f) for f in residency])})")
    if protected:
        described = [f"{c.action} {c.address} in {c.region}" for c in protected]
        parts.append(f"{len(protected)} protected change(s) without waiver ({_list(described)})")
    expired_ids = sorted({f"{f.waiver.id} (expired {f.waiver.expires})" for f in expired if f.waiver})
    if expired_ids:
        parts.append(f"expired waiver(s): {_list(expired_ids)}")
    for r in loaded:
        parts.extend(f"{r.region}: {p}" for p in r.problems)
    versions = {r.findings.checkov_version for r in loaded if r.findings}
    waived = [f for f in findings if f.status == "waived"]
    if parts:
        reason = f"FAIL {env}: " + "; ".join(parts)
    else:
        reason = (
            f"PASS {env}: {len(loaded)} region(s), 0 unwaived findings at or above {threshold}, "
            f"{len(waived)} waived, {len(failed)} below threshold"
        )
    return GateDecision(
        environment=env,
        threshold=threshold,
        passed=not parts,
        reason=reason,
        regions=loaded,
        blocking=blocking,
        residency=residency,
        protected=protected,
        expired=expired,
        waived=waived,
        stale_waivers=stale,
        expiring_waivers=expiring,
        checkov_version=", ".join(sorted(versions)),
    )


def run_gate(
    artifacts_dir: Path,
    env: str,
    *,
    out_dir: Path | None = None,
    fail_on: str = "HIGH",
    policy: PolicyPaths | None = None,
    regions: Sequence[str] | None = None,
    today: date | None = None,
) -> tuple[GateDecision, GateOutputs]:
    """Evaluate (with the waivers and knobs of ``policy``) and write all outputs
    (default ``<artifacts_dir>/gate/<env>/``)."""
    decision = evaluate(
        artifacts_dir, env, fail_on=fail_on, regions=regions, today=today,
        waivers_path=policy.waivers if policy else None,
        settings=load_policy_settings(policy.settings) if policy else None,
    )
    outputs = write_outputs(decision, out_dir or gate_dir(artifacts_dir, env))
    return decision, outputs


def judge(project: Project, artifacts_dir: Path, env: str, *, regions: Sequence[str] = (), fail_on: str = "HIGH",
          out_dir: Path | None = None) -> tuple[GateDecision, GateOutputs]:
    """The merge decision for ``env``: every region of the environment (or those named) must have artifacts.

    A CI matrix job that uploaded nothing fails the gate instead of vanishing from it.
    """
    for region in regions:
        project.region(env, region)  # names an unknown region with the valid ones
    expected = list(dict.fromkeys(regions)) or sorted(project.environment(env).regions)
    return run_gate(artifacts_dir, env, out_dir=out_dir, fail_on=fail_on, policy=PolicyPaths.of(project.root),
                    regions=expected)
