"""The gate's one pull-request comment: every region's plan and findings, the floors lowered, inline
skips, the waiver file's changes against the base, waiver rule violations, waivers used, stale/expiring."""

from __future__ import annotations

from collections.abc import Sequence

from toolkit.artifacts.findings import Finding, WaiverRef, at_or_above, severity_rank
from toolkit.artifacts.summary import Summary
from toolkit.gate.model import GateDecision, RegionArtifacts
from toolkit.plan.summary import plan_line

MARKER = "<!-- infra-gate:{env} -->"
MAX_ROWS = 50


def _md(text: object) -> str:
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
            f"| {f.severity} | `{_md(f.label)}` | `{_md(f.resource)}` | {region}"
            f"`{_md(f.location)}` | {_md(f.title)} |"
        )
    if len(ordered) > MAX_ROWS:
        rows.append(f"\n… and {len(ordered) - MAX_ROWS} more (see the SARIF / JUnit artifacts)")
    return rows


def _plan_line(summary: Summary | None) -> str:
    if not summary:
        return "no summary.json"
    c = summary.counts
    line = plan_line({"add": c.add, "change": c.change, "destroy": c.destroy})
    if c.replace:
        line += f" ({c.replace} replaced: `-/+`)"
    return line


def _overview_row(r: RegionArtifacts, threshold: str) -> str:
    fs = r.all_findings
    failed = [f for f in fs if f.status == "failed"]
    above = sum(1 for f in failed if at_or_above(f.severity, threshold))
    c = r.summary.counts if r.summary else None
    plan = f"+{c.add} ~{c.change} -{c.destroy} -/+{c.replace}" if c else "n/a"
    return (
        f"| {r.region} | {r.aws_region or 'n/a'} | {r.mode or 'n/a'} | {plan} | {above} | "
        f"{len(failed) - above} | {sum(f.status == 'waived' for f in fs)} | "
        f"{sum(f.status == 'passed' for f in fs)} |"
    )


def _region_section(decision: GateDecision, r: RegionArtifacts, hcl_done: set[tuple[str, str, str]]) -> list[str]:
    out = ["", f"### {r.region}" + (f" ({r.aws_region})" if r.aws_region else ""), "", _plan_line(r.summary)]
    base = r.summary.base if r.summary else None
    if base:
        out += ["", f"Planned against the sandbox state of `{_md(base.ref)}` (commit `{base.commit[:12]}`)"
                + ("" if base.exists else f": {_md(base.note or 'not there, all create')}")]
    digest = r.bundle_digest
    out += ["", f"Plan bundle: `sha256:{digest}` (`infra apply --approved` applies this bundle only)" if digest
            else "Plan bundle: none (nothing here can be applied)"]
    for problem in r.problems:
        out.append(f"- ⚠️ {_md(problem)}")
    protected = [c for c in decision.protected if c.region == r.region]
    if protected:
        out += ["", "**Protected changes without waiver:**"]
        out += [f"- `{_md(c.action)}` `{_md(c.address)}` ({_md(c.type)})" for c in protected]
    failed = []
    for f in r.all_findings:
        if f.status != "failed":
            continue
        if f.source == "hcl":  # the same HCL finding in every region: listed once
            key = (f.check_id, f.resource, f.location)
            if key in hcl_done:
                continue
            hcl_done.add(key)
        failed.append(f)
    if failed:
        out += ["", f"**Failed findings ({len(failed)}):**", "", *_finding_rows(failed, with_region=False)]
    else:
        out += ["", "No failed findings."]
    return out


def _policy_sections(decision: GateDecision) -> list[str]:
    out: list[str] = []
    if decision.policy_findings:
        out += ["", "### Floors lowered (policy/policy.yaml against the base)", "",
                *_finding_rows(decision.policy_findings, with_region=False)]
        waived = [f for f in decision.policy_findings if f.status == "waived" and f.waiver]
        out += [f"- `{_md(f.resource)}` waived by {_md(f.waiver.id)}" for f in waived if f.waiver]
    out += ["", "### Inline skips (`#checkov:skip`)", ""]
    if decision.skipped:
        unwaived = {id(s) for s in decision.unwaived_skips}
        out += ["| check | resource | location | reason | waiver |", "| --- | --- | --- | --- | --- |"]
        for sk in sorted(decision.skipped, key=lambda s: (s.check_id, s.resource, s.location)):
            waiver = "❌ none in force" if id(sk) in unwaived else _md(sk.waiver.id if sk.waiver else "")
            out.append(f"| `{_md(sk.check_id)}` | `{_md(sk.resource)}` | `{_md(sk.location)}` | {_md(sk.reason)} "
                       f"| {waiver} |")
    else:
        out.append("None.")
    if decision.rule_violations:
        out += ["", "### Waiver rule violations (policy/policy.yaml: waiver_rules)", ""]
        out += [f"- `{_md(v.waiver)}` breaks `{_md(v.rule)}`: {_md(v.detail)}" for v in decision.rule_violations]
    if decision.waiver_changes is not None:
        out += ["", "### Waiver file changes (policy/waivers.yaml against the base)", ""]
        if decision.waiver_changes:
            out += ["| change | waiver | check | resource | environments | owner | created | expires | reason |",
                    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
            for c in decision.waiver_changes:
                w = c.waiver
                what = c.kind + (f" ({', '.join(c.fields)})" if c.fields else "")
                out.append(
                    f"| {_md(what)} | {_md(w.id)} | `{_md(w.check_id)}` | `{_md(w.resource)}` | "
                    f"{_md(', '.join(w.environments) or 'all')} | {_md(w.owner)} | "
                    f"{w.created.isoformat() if w.created else 'n/a'} | {w.expires.isoformat()} | {_md(w.reason)} |"
                )
        else:
            out.append("No change.")
    return out


def _waiver_sections(decision: GateDecision) -> list[str]:
    out = ["", "### Waivers used", ""]
    used: dict[str, tuple[WaiverRef, list[Finding]]] = {}
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
    return out


def to_markdown(decision: GateDecision) -> str:
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
    out += [_overview_row(r, decision.threshold) for r in decision.regions]
    hcl_done: set[tuple[str, str, str]] = set()
    for r in decision.regions:
        out += _region_section(decision, r, hcl_done)
    out += _policy_sections(decision)
    out += _waiver_sections(decision)
    return "\n".join(out) + "\n"
