"""``infra gate``: the merge decision over the artifacts of every region of an environment.

The artifacts may come from other machines (a CI matrix whose jobs uploaded
``.infra/ENV/REGION/``): everything is read from ``artifacts_dir`` with relative
paths only. The gate fails when

- a failed finding at or above the threshold (default HIGH) has no live waiver;
- a residency check (CKV_INFRA_4/5/6/32) failed without a waiver, whatever its severity;
- the Karpenter objects of a plan differ from the rendered manifests (``INFRA_MANIFEST_DRIFT``)
  or a floor of ``policy/policy.yaml`` is lower than in the base (``INFRA_FLOOR_LOWERED``)
  without a waiver, whatever the threshold;
- summary.json lists a destroy/replace of a protected type without a waived
  ``INFRA_PROTECTED_CHANGE`` finding;
- an inline ``#checkov:skip`` has no live waiver in ``policy/waivers.yaml``;
- a waiver breaks a rule of ``policy.yaml: waiver_rules`` (owner, lifetime, wildcards);
- a region planned but was not scanned, or its plan failed (status.json).

Findings that ``severity.yaml: same_as`` names as one violation are merged first
(:mod:`toolkit.gate.duplicates`). With the base's ``policy/`` folder (``--base-policy``, CI
passes the merge base's) the gate also compares the floors and lists the waiver file's changes.

Waivers are judged again against today's date and today's ``policy/waivers.yaml``, by the
rule the report uses too (:func:`toolkit.policy.waivers.effective_status`): an expired or
removed waiver does not waive, its finding stays failed and the reason names it.
Outputs (:mod:`toolkit.gate.outputs`): JUnit XML, SARIF 2.1.0, JSON and one Markdown comment
for every region.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from toolkit.artifacts.findings import (
    FLOOR_LOWERED_CHECK,
    MANIFEST_DRIFT_CHECK,
    PROTECTED_CHANGE_CHECK,
    SEVERITIES,
    Finding,
    FindingsDocument,
    InlineSkip,
    at_or_above,
)
from toolkit.artifacts.io import check_dir, read_artifact_if_present
from toolkit.artifacts.layout import RegionLayout, gate_dir, region_dirs
from toolkit.artifacts.summary import Status, Summary
from toolkit.errors import UserError
from toolkit.gate.duplicates import merge_duplicates
from toolkit.gate.model import GateDecision, ProtectedChange, RegionArtifacts
from toolkit.gate.outputs import GateOutputs, write_outputs
from toolkit.policy.files import PolicyPaths
from toolkit.policy.settings import PolicySettings, load_policy_settings, lowered_floors
from toolkit.policy.severity import SeverityMap, load_severity_map
from toolkit.policy.waivers import (
    Waiver,
    apply_waivers,
    declared_waivers,
    expiring_waivers,
    recheck_waivers,
    rule_violations,
    skip_is_waived,
    stale_waivers,
    waiver_changes,
)
from toolkit.settings import Project

# Checks whose failure always blocks the gate, whatever the threshold.
RESIDENCY_CHECKS: frozenset[str] = frozenset({"CKV_INFRA_4", "CKV_INFRA_5", "CKV_INFRA_6", "CKV_INFRA_32"})
# Not checkov checks, and blocking whatever the threshold too (a waiver can still cover them).
ALWAYS_BLOCKING: frozenset[str] = frozenset({MANIFEST_DRIFT_CHECK, FLOOR_LOWERED_CHECK})
FLOOR_LOWERED_TITLE = "A floor of policy/policy.yaml is not lowered by the change"


@dataclass(frozen=True)
class BasePolicy:
    """The base's ``policy/`` folder (``--base-policy DIR``): its waivers and settings."""

    waivers: dict[str, Waiver]
    settings: PolicySettings

    @classmethod
    def load(cls, directory: Path) -> BasePolicy:
        if not directory.is_dir():
            raise UserError(f"{directory}: base policy folder not found (expected the base's policy/, "
                            "e.g. `git archive $(git merge-base HEAD origin/main) policy | tar -x -C base`)")
        paths = PolicyPaths.of(directory.parent, directory)
        return cls(declared_waivers(paths.waivers) or {}, load_policy_settings(paths.settings))


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
    return f"{f.label} on {f.resource} in {f.region}"


def _skip_short(s: InlineSkip) -> str:
    return f"{s.check_id} on {s.resource} ({s.location})"


def _dedupe_skips(regions: Sequence[RegionArtifacts]) -> list[InlineSkip]:
    """Inline skips once each: an HCL skip is recorded in every region."""
    seen: dict[tuple[str, ...], InlineSkip] = {}
    for r in regions:
        for s in r.skipped:
            key = (s.check_id, s.resource, s.file or "", str(s.line or ""), "" if s.source == "hcl" else s.region)
            seen.setdefault(key, s)
    return list(seen.values())


def floor_findings(env: str, current: PolicySettings, base: PolicySettings, waivers: Sequence[Waiver],
                   today: date, severity: SeverityMap | None = None) -> list[Finding]:
    """One ``INFRA_FLOOR_LOWERED`` finding per floor of ``env`` that the change lowers, waivers applied."""
    sev = (severity.checks.get(FLOOR_LOWERED_CHECK) if severity else None) or "CRITICAL"
    found = [
        Finding(
            check_id=FLOOR_LOWERED_CHECK,
            title=(f"{FLOOR_LOWERED_TITLE}: floors.{env}.{key} "
                   + (f"lowered from {before:g} to {after:g}" if after is not None else f"({before:g}) removed")),
            severity=sev,
            environment=env,
            region="all",
            resource=f"floors.{env}.{key}",
            file="policy/policy.yaml",
            status="failed",
            source="policy",
        )
        for key, before, after in lowered_floors(base.floors, current.floors, env)
    ]
    return apply_waivers(found, waivers, today)


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
    severity: SeverityMap | None = None,
    base: BasePolicy | None = None,
) -> GateDecision:
    """Decide. ``waivers_path`` (``policy/waivers.yaml``): the waivers in force now (without
    it, or without the file, a waiver counts until the expiry the scan recorded) and the
    stale/expiring lists; ``settings`` (``policy/policy.yaml``): how soon is "expiring", the
    waiver rules, the floors; ``severity`` (``policy/severity.yaml``): the ``same_as`` pairs to
    merge; ``base``: the base's policy folder (floors lowered, waiver file changes)."""
    threshold = fail_on.upper()
    if threshold not in SEVERITIES:
        raise UserError(f"--fail-on: expected one of {', '.join(SEVERITIES)}, got {fail_on!r}")
    today = today or date.today()
    settings = settings or PolicySettings()
    within_days = settings.expiring_within_days
    loaded = load_environment(artifacts_dir, env, regions)
    declared = declared_waivers(waivers_path) if waivers_path is not None else None
    waivers = list((declared or {}).values())
    groups = severity.groups() if severity else {}
    for r in loaded:  # the outputs show findings as judged today, not as stored, duplicates merged
        if r.findings is not None:
            rechecked = recheck_waivers(r.findings.findings, declared, today)
            r.findings = r.findings.model_copy(update={"findings": merge_duplicates(rechecked, groups)})
    policy_findings = (floor_findings(env, settings, base.settings, waivers, today, severity)
                       if base is not None else [])
    findings = [f for r in loaded for f in r.all_findings] + policy_findings
    skipped = _dedupe_skips(loaded)
    unwaived_skips = [s for s in skipped if not skip_is_waived(s, declared, today)]
    violations = rule_violations(waivers, settings.waiver_rules, settings.strict_environments, today,
                                 base.waivers if base is not None else None)
    changes = waiver_changes(base.waivers, declared or {}) if base is not None else None
    failed = [f for f in findings if f.status == "failed"]
    residency = [f for f in failed if RESIDENCY_CHECKS & set(f.check_ids)]
    blocking = [
        f
        for f in failed
        if (at_or_above(f.severity, threshold) or f.check_id in ALWAYS_BLOCKING)
        and not RESIDENCY_CHECKS & set(f.check_ids)
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
    stale = stale_waivers(waivers, [*findings, *skipped], env, [r.region for r in loaded]) if waivers else []
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
    if unwaived_skips:
        parts.append(f"{len(unwaived_skips)} inline skip(s) without a live waiver "
                     f"({_list([_skip_short(s) for s in unwaived_skips])})")
    if violations:
        parts.append(f"{len(violations)} waiver rule violation(s) ({_list([str(v) for v in violations])})")
    for r in loaded:
        parts.extend(f"{r.region}: {p}" for p in r.problems)
    versions = {r.findings.checkov_version for r in loaded if r.findings}
    waived = [f for f in findings if f.status == "waived"]
    if parts:
        reason = f"FAIL {env}: " + "; ".join(parts)
    else:
        reason = (
            f"PASS {env}: {len(loaded)} region(s), 0 unwaived findings at or above {threshold}, "
            f"{len(waived)} waived, {len(failed)} below threshold, {len(skipped)} inline skip(s) waived"
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
        skipped=skipped,
        unwaived_skips=unwaived_skips,
        rule_violations=violations,
        waiver_changes=changes,
        policy_findings=policy_findings,
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
    base_policy: Path | None = None,
) -> tuple[GateDecision, GateOutputs]:
    """Evaluate (with the waivers, knobs and severities of ``policy``, against the base's policy
    folder ``base_policy`` when given) and write all outputs (default ``<artifacts_dir>/gate/<env>/``)."""
    decision = evaluate(
        artifacts_dir, env, fail_on=fail_on, regions=regions, today=today,
        waivers_path=policy.waivers if policy else None,
        settings=load_policy_settings(policy.settings) if policy else None,
        severity=load_severity_map(policy.severity) if policy else None,
        base=BasePolicy.load(base_policy) if base_policy is not None else None,
    )
    outputs = write_outputs(decision, out_dir or gate_dir(artifacts_dir, env))
    return decision, outputs


def judge(project: Project, artifacts_dir: Path, env: str, *, regions: Sequence[str] = (), fail_on: str = "HIGH",
          out_dir: Path | None = None, base_policy: Path | None = None) -> tuple[GateDecision, GateOutputs]:
    """The merge decision for ``env``: every region of the environment (or those named) must have artifacts.

    A CI matrix job that uploaded nothing fails the gate instead of vanishing from it.
    """
    for region in regions:
        project.region(env, region)  # names an unknown region with the valid ones
    expected = list(dict.fromkeys(regions)) or sorted(project.environment(env).regions)
    return run_gate(artifacts_dir, env, out_dir=out_dir, fail_on=fail_on, policy=PolicyPaths.of(project.root),
                    regions=expected, base_policy=base_policy)
