"""``infra gate``: the merge decision over the artifacts of every region of an environment.

The artifacts may come from other machines (a CI matrix whose jobs uploaded
``.infra/ENV/REGION/``): everything is read from ``artifacts_dir`` with relative
paths only. The gate fails when

- a failed finding at or above the threshold (default HIGH) has no live waiver;
- a residency check (CKV_INFRA_4/5/6) failed without a waiver, whatever its severity;
- summary.json lists a destroy/replace of a protected type without a waived
  ``INFRA_PROTECTED_CHANGE`` finding;
- a region planned but was not scanned, or its plan failed (status.json).

An expired waiver does not waive: its finding stays failed and the reason names it.
Outputs: JUnit XML, SARIF 2.1.0, JSON and one Markdown comment for every region.
"""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from toolkit.artifacts.findings import (
    PROTECTED_CHANGE_CHECK,
    RESIDENCY_CHECKS,
    SEVERITIES,
    Finding,
    FindingsDocument,
    at_or_above,
    severity_rank,
)
from toolkit.errors import UserError
from toolkit.fsutil import atomic_write_json, atomic_write_text
from toolkit.gate.sarif import to_sarif
from toolkit.plan.summary import plan_line
from toolkit.policy.waivers import Waiver, expiring_waivers, load_waivers, stale_waivers
from toolkit.settings import Project

MARKER = "<!-- infra-gate:{env} -->"
MAX_ROWS = 50


@dataclass
class RegionArtifacts:
    region: str
    path: Path
    summary: dict[str, Any] | None
    status: dict[str, Any] | None
    findings: FindingsDocument | None
    problems: list[str] = field(default_factory=list)

    @property
    def aws_region(self) -> str:
        return str((self.summary or {}).get("aws_region") or "")

    @property
    def mode(self) -> str:
        return str((self.summary or {}).get("mode") or (self.findings.mode if self.findings else "") or "")


@dataclass
class GateDecision:
    environment: str
    threshold: str
    passed: bool
    reason: str
    regions: list[RegionArtifacts]
    blocking: list[Finding]
    residency: list[Finding]
    protected: list[dict[str, Any]]
    expired: list[Finding]
    waived: list[Finding]
    stale_waivers: list[Waiver]
    expiring_waivers: list[Waiver]
    checkov_version: str = ""

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.regions if r.findings for f in r.findings.findings]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "environment": self.environment,
            "passed": self.passed,
            "exit_code": self.exit_code,
            "reason": self.reason,
            "threshold": self.threshold,
            "regions": [
                {
                    "region": r.region,
                    "aws_region": r.aws_region,
                    "mode": r.mode,
                    "plan_counts": (r.summary or {}).get("counts"),
                    "findings": dict(Counter(f.status for f in r.findings.findings)) if r.findings else None,
                    "problems": r.problems,
                }
                for r in self.regions
            ],
            "blocking": [f.to_dict() for f in self.blocking],
            "residency": [f.to_dict() for f in self.residency],
            "protected_changes_unwaived": self.protected,
            "expired_waivers": sorted({f.waiver.id for f in self.expired if f.waiver}),
            "waived": [f.to_dict() for f in self.waived],
            "stale_waivers": [w.model_dump(mode="json") for w in self.stale_waivers],
            "expiring_waivers": [w.model_dump(mode="json") for w in self.expiring_waivers],
        }


def _read_json(path: Path, what: str) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise UserError(f"{path}: {what} is not valid JSON") from None
    return data if isinstance(data, dict) else None


def load_environment(artifacts_dir: Path, env: str, regions: Sequence[str] | None = None) -> list[RegionArtifacts]:
    """Every region directory of ``artifacts_dir/env`` with a plan, summary or findings."""
    env_dir = artifacts_dir / env
    if not env_dir.is_dir():
        raise UserError(f"{env_dir}: no artifacts for environment {env!r} (expected {env}/REGION/findings.json)")
    names = sorted(
        p.name
        for p in env_dir.iterdir()
        if p.is_dir() and any((p / n).is_file() for n in ("findings.json", "summary.json", "plan.json", "status.json"))
    )
    if regions:
        missing = [r for r in regions if r not in names]
        if missing:
            raise UserError(f"{env_dir}: no artifacts for region(s) {', '.join(missing)}")
        names = [n for n in names if n in regions]
    if not names:
        raise UserError(f"{env_dir}: no region artifacts (expected REGION/findings.json)")
    out: list[RegionArtifacts] = []
    for name in names:
        rdir = env_dir / name
        summary = _read_json(rdir / "summary.json", "summary")
        status = _read_json(rdir / "status.json", "status")
        fpath = rdir / "findings.json"
        findings = FindingsDocument.load(fpath) if fpath.is_file() else None
        problems: list[str] = []
        if status and status.get("status") == "failed":
            problems.append(
                f"plan failed at {status.get('stage') or 'an unknown stage'}: {status.get('error') or 'no detail'}"
            )
        elif not status or status.get("status") != "ok":
            # An interrupted or still-running plan: whatever findings lie here are not of this plan.
            problems.append(f"plan did not finish (status.json: {(status or {}).get('status', 'missing')})")
        elif summary is None:
            problems.append("no summary.json (run `infra plan`)")
        if findings is None:
            problems.append("no findings.json (run `infra scan`)")
        elif findings.environment != env or findings.region != name:
            problems.append(f"findings.json is for {findings.environment}/{findings.region}")
        out.append(RegionArtifacts(name, rdir, summary, status, findings, problems))
    return out


def _recheck_waivers(findings: list[Finding], waivers: Sequence[Waiver], today: date) -> list[Finding]:
    """Re-judge findings stored as waived against today's date and today's waivers file.

    Artifacts may come from another machine or an older run: a waiver that has expired
    since, or was removed from policy/waivers.yaml, no longer waives. Such a finding is
    failed again; it keeps its waiver reference so the reason can name it.
    """
    live = {w.id: w for w in waivers}
    out: list[Finding] = []
    for f in findings:
        if f.status == "waived" and f.waiver is not None:
            current = live.get(f.waiver.id)
            if current is None or current.expires < today:
                f = dataclasses.replace(f, status="failed")
        out.append(f)
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
    expiring_within_days: int = 30,
) -> GateDecision:
    """Decide; ``waivers_path`` (``policy/waivers.yaml``) is only needed for stale/expiring lists."""
    threshold = fail_on.upper()
    severity_rank(threshold)  # validates
    today = today or date.today()
    loaded = load_environment(artifacts_dir, env, regions)
    waivers: list[Waiver] = load_waivers(waivers_path) if waivers_path is not None else []
    findings = [f for r in loaded if r.findings for f in r.findings.findings]
    if waivers_path is not None:
        findings = _recheck_waivers(findings, waivers, today)
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
    protected: list[dict[str, Any]] = []
    for r in loaded:
        for change in (r.summary or {}).get("protected_changes") or []:
            if (r.region, str(change.get("address"))) not in waived_protected:
                protected.append({"region": r.region, **change})

    stale = stale_waivers(waivers, findings, env, [r.region for r in loaded]) if waivers else []
    expiring = expiring_waivers(
        [w for w in waivers if not w.environments or env in w.environments], today, expiring_within_days
    )

    parts: list[str] = []
    if blocking:
        parts.append(
            f"{len(blocking)} unwaived finding(s) at or above {threshold} ({_list([_short(f) for f in blocking])})"
        )
    if residency:
        parts.append(f"{len(residency)} residency violation(s) ({_list([_short(f) for f in residency])})")
    if protected:
        described = [f"{c.get('action')} {c.get('address')} in {c['region']}" for c in protected]
        parts.append(f"{len(protected)} protected change(s) without waiver ({_list(described)})")
    expired_ids = sorted({f"{f.waiver.id} (expired {f.waiver.expires})" for f in expired if f.waiver})
    if expired_ids:
        parts.append(f"expired waiver(s): {_list(expired_ids)}")
    for r in loaded:
        parts.extend(f"{r.region}: {p}" for p in r.problems)
    versions = {r.findings.checkov_version for r in loaded if r.findings}
    if parts:
        reason = f"FAIL {env}: " + "; ".join(parts)
    else:
        below = len(failed)
        waived_n = sum(1 for f in findings if f.status == "waived")
        reason = (
            f"PASS {env}: {len(loaded)} region(s), 0 unwaived findings at or above {threshold}, "
            f"{waived_n} waived, {below} below threshold"
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
        waived=[f for f in findings if f.status == "waived"],
        stale_waivers=stale,
        expiring_waivers=expiring,
        checkov_version=", ".join(sorted(versions)),
    )


# --------------------------------------------------------------------------- outputs


def to_junit(decision: GateDecision) -> str:
    """One testsuite per region, one testcase per (check, resource); failed -> failure, waived -> skipped."""
    suites = ET.Element("testsuites", name=f"infra gate {decision.environment}")
    total = failures = skipped = 0
    gate_suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"{decision.environment}/gate",
        tests="1",
        failures="0" if decision.passed else "1",
        skipped="0",
        errors="0",
    )
    case = ET.SubElement(gate_suite, "testcase", classname=f"{decision.environment}.gate", name="merge gate")
    if not decision.passed:
        ET.SubElement(case, "failure", message=decision.reason, type="gate").text = decision.reason
    total, failures = 1, (0 if decision.passed else 1)
    for r in decision.regions:
        fs = r.findings.findings if r.findings else []
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=f"{decision.environment}/{r.region}",
            tests=str(len(fs)),
            failures=str(sum(f.status == "failed" for f in fs)),
            skipped=str(sum(f.status == "waived" for f in fs)),
            errors=str(len(r.problems)),
        )
        for problem in r.problems:
            err = ET.SubElement(
                suite, "testcase", classname=f"{decision.environment}.{r.region}.artifacts", name="artifacts"
            )
            ET.SubElement(err, "error", message=problem, type="artifacts")
        for f in fs:
            tc = ET.SubElement(
                suite,
                "testcase",
                classname=f"{decision.environment}.{r.region}.{f.check_id}",
                name=f.resource,
                file=f.file or "",
            )
            if f.line:
                tc.set("line", str(f.line))
            if f.status == "failed":
                msg = f"[{f.severity}] {f.title}" + (
                    f" (waiver {f.waiver.id} expired {f.waiver.expires})" if f.waiver else ""
                )
                ET.SubElement(tc, "failure", message=msg, type=f.severity).text = f"{msg}\n{f.location}"
            elif f.status == "waived" and f.waiver:
                ET.SubElement(tc, "skipped", message=f"waived by {f.waiver.id}: {f.waiver.reason}")
        total += len(fs)
        failures += sum(f.status == "failed" for f in fs)
        skipped += sum(f.status == "waived" for f in fs)
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    suites.set("skipped", str(skipped))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _finding_rows(findings: Sequence[Finding], with_region: bool = True) -> list[str]:
    rows = [
        "| severity | check | resource | " + ("region | " if with_region else "") + "location | title |",
        "| --- | --- | --- | " + ("--- | " if with_region else "") + "--- | --- |",
    ]
    ordered = sorted(findings, key=lambda f: (severity_rank(f.severity), f.check_id, f.region, f.resource))
    for f in ordered[:MAX_ROWS]:
        region = f"{_md(f.region)} | " if with_region else ""
        rows.append(
            f"| {f.severity} | `{_md(f.check_id)}` | `{_md(f.resource)}` | {region}"
            f"`{_md(f.location)}` | {_md(f.title)} |"
        )
    if len(ordered) > MAX_ROWS:
        rows.append(f"\n… and {len(ordered) - MAX_ROWS} more (see the SARIF / JUnit artifacts)")
    return rows


def _plan_line(summary: dict[str, Any] | None) -> str:
    if not summary:
        return "no summary.json"
    c = summary.get("counts") or {}
    line = plan_line({k: int(c.get(k, 0)) for k in ("add", "change", "destroy")})
    if c.get("replace"):
        line += f" ({c['replace']} replaced: `-/+`)"
    return line


def to_markdown(decision: GateDecision) -> str:
    """The one pull-request comment: every region's plan and findings, waivers used, stale/expiring."""
    env = decision.environment
    verdict = "✅ PASS" if decision.passed else "❌ FAIL"
    out = [
        MARKER.format(env=env),
        f"## infra gate `{env}`: {verdict}",
        "",
        f"> {_md(decision.reason)}",
        "",
        f"Threshold: **{decision.threshold}** · checkov {decision.checkov_version or 'n/a'}",
        "",
        "| region | AWS region | mode | plan | failed ≥ threshold | failed below | waived | passed |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in decision.regions:
        fs = r.findings.findings if r.findings else []
        failed = [f for f in fs if f.status == "failed"]
        above = sum(1 for f in failed if at_or_above(f.severity, decision.threshold))
        c = (r.summary or {}).get("counts") or {}
        plan = (
            f"+{c.get('add', 0)} ~{c.get('change', 0)} -{c.get('destroy', 0)} -/+{c.get('replace', 0)}" if c else "n/a"
        )
        out.append(
            f"| {r.region} | {r.aws_region or 'n/a'} | {r.mode or 'n/a'} | {plan} | {above} | "
            f"{len(failed) - above} | {sum(f.status == 'waived' for f in fs)} | "
            f"{sum(f.status == 'passed' for f in fs)} |"
        )
    hcl_done: set[tuple[str, str, str]] = set()
    for r in decision.regions:
        out += ["", f"### {r.region}" + (f" ({r.aws_region})" if r.aws_region else ""), "", _plan_line(r.summary)]
        for problem in r.problems:
            out.append(f"- ⚠️ {_md(problem)}")
        protected = [c for c in decision.protected if c["region"] == r.region]
        if protected:
            out += ["", "**Protected changes without waiver:**"]
            out += [f"- `{_md(c.get('action'))}` `{_md(c.get('address'))}` ({_md(c.get('type'))})" for c in protected]
        fs = r.findings.findings if r.findings else []
        failed = []
        for f in fs:
            if f.status != "failed":
                continue
            if f.source == "hcl":
                key = (f.check_id, f.resource, f.location)
                if key in hcl_done:
                    continue
                hcl_done.add(key)
            failed.append(f)
        if failed:
            out += ["", f"**Failed findings ({len(failed)}):**", "", *_finding_rows(failed, with_region=False)]
        else:
            out += ["", "No failed findings."]
    out += ["", "### Waivers used", ""]
    used: dict[str, tuple[Any, list[Finding]]] = {}
    for f in decision.waived:
        if f.waiver:
            used.setdefault(f.waiver.id, (f.waiver, []))[1].append(f)
    if used:
        out += ["| waiver | owner | expires | reason | findings |", "| --- | --- | --- | --- | --- |"]
        for wid, (w, fs) in sorted(used.items()):
            out.append(f"| {_md(wid)} | {_md(w.owner)} | {w.expires} | {_md(w.reason)} | {len(fs)} |")
    else:
        out.append("None.")
    if decision.expired:
        out += ["", "### Expired waivers (not applied)", ""]
        for wid in sorted({f.waiver.id for f in decision.expired if f.waiver}):
            out.append(f"- {_md(wid)}")
    out += ["", "### Stale waivers (matched nothing)", ""]
    out += [
        f"- `{_md(w.id)}` {_md(w.check_id)} `{_md(w.resource)}` (owner {_md(w.owner)})" for w in decision.stale_waivers
    ] or ["None."]
    out += ["", "### Waivers expiring soon", ""]
    out += [f"- `{_md(w.id)}` expires {w.expires} (owner {_md(w.owner)})" for w in decision.expiring_waivers] or [
        "None."
    ]
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class GateOutputs:
    junit: Path
    sarif: Path
    json: Path
    markdown: Path


def write_outputs(decision: GateDecision, out_dir: Path, *, tool_version: str = "0.1.0") -> GateOutputs:
    env = decision.environment
    outputs = GateOutputs(
        out_dir / f"gate-{env}.junit.xml",
        out_dir / f"gate-{env}.sarif",
        out_dir / f"gate-{env}.json",
        out_dir / f"gate-{env}.md",
    )
    atomic_write_text(outputs.junit, to_junit(decision))
    atomic_write_json(
        outputs.sarif, to_sarif(decision.findings, tool_version=tool_version, checkov_version=decision.checkov_version)
    )
    atomic_write_json(outputs.json, decision.to_dict())
    atomic_write_text(outputs.markdown, to_markdown(decision))
    return outputs


def run_gate(
    artifacts_dir: Path,
    env: str,
    *,
    out_dir: Path | None = None,
    fail_on: str = "HIGH",
    waivers_path: Path | None = None,
    regions: Sequence[str] | None = None,
    today: date | None = None,
) -> tuple[GateDecision, GateOutputs]:
    """Evaluate and write all outputs (default ``<artifacts_dir>/gate/<env>/``)."""
    if fail_on.upper() not in SEVERITIES:
        raise UserError(f"--fail-on: expected one of {', '.join(SEVERITIES)}, got {fail_on!r}")
    decision = evaluate(artifacts_dir, env, fail_on=fail_on, waivers_path=waivers_path, regions=regions, today=today)
    outputs = write_outputs(decision, out_dir or artifacts_dir / "gate" / env)
    return decision, outputs


def judge(project: Project, artifacts_dir: Path, env: str, *, regions: Sequence[str] = (), fail_on: str = "HIGH",
          out_dir: Path | None = None) -> tuple[GateDecision, GateOutputs]:
    """The merge decision for ``env``: every region of the environment (or those named) must have artifacts.

    A CI matrix job that uploaded nothing fails the gate instead of vanishing from it.
    """
    for region in regions:
        project.region(env, region)  # names an unknown region with the valid ones
    expected = list(dict.fromkeys(regions)) or sorted(project.environment(env).regions)
    return run_gate(artifacts_dir, env, out_dir=out_dir, fail_on=fail_on,
                    waivers_path=project.root / "policy" / "waivers.yaml", regions=expected)
