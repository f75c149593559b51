"""The report as Markdown, for wikis and pull requests: every value escaped (:func:`md`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from toolkit.report.models import (
    STATUS_LABELS,
    STATUSES,
    Report,
)
from toolkit.report.present import (
    SANDBOX_NOTE,
    by_framework,
    check_counts,
    counts_text,
    exceptions,
    passed,
    split_inputs,
    where,
)

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md(value: object) -> str:
    """Escape a value for a Markdown table cell or paragraph.

    HTML-significant characters become entities (wikis render inline HTML), Markdown
    punctuation is backslash-escaped, and newlines become spaces so a value cannot
    break out of its table row.
    """
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    # A leading "# ", "+ ", "- " or "1. " would start a heading or a list.
    text = re.sub(r"^(\d+)\.(?=\s|$)", r"\1\\.", text)
    return re.sub(r"^([#+-])(?=\s|$)", r"\\\1", text)


def md_code(value: object) -> str:
    """An inline code span that survives any content (backticks, pipes)."""
    text = " ".join(str(value).split()).replace("|", "¦")
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _md_waived_without_control(report: Report) -> list[str]:
    out = []
    for w in report.waived_without_control:
        resources = (", ".join(md_code(r) for r in w.resources) if len(w.resources) <= 3
                     else f"{len(w.resources)} resources (see Waivers)")
        out.append(f"- waived, no control: {md_code(w.check_id)} {md(w.title)}: {w.findings} finding(s) on "
                   f"{resources}, waiver {md(w.waiver_id)} ({md(w.state.replace('_', ' '))}), "
                   f"in {md(', '.join(w.scopes))}")
    return out


def render_markdown(report: Report, *, evidence: Literal["counts", "all", "exceptions"] = "counts") -> str:
    """Markdown with the same statuses as the JSON.

    Every form lists the failed and waived results and counts the passed ones per check.
    ``"counts"`` (the default) stops there; ``"all"`` also lists each passed result;
    ``"exceptions"`` is the short form for a pull-request comment (inputs whose hashes still
    match are counted, not listed).
    """
    out: list[str] = []
    w = out.append
    scopes = [f"{s.environment}/{s.region}" for s in report.scopes]
    prov = report.provenance
    w(f"# {md(report.title)}")
    w("")
    w(f"Generated {md(prov.generated_at)} by infra {md(prov.toolkit_version)} from commit "
      f"{md_code(prov.git.commit or 'unknown')}"
      f"{' (working tree dirty)' if prov.git.dirty else ' (clean)' if prov.git.dirty is False else ''}.")
    w("")
    w(f"> **{md(report.basis.statement)}**")
    if report.basis.mode == "mixed":
        for rb in report.basis.regions:
            w(f"> - {md(f'{rb.environment}/{rb.region}')}: {md(rb.mode)}: {md(rb.statement)}")
    w("")
    w(f"**{md(report.summary.note)}**")
    w("")
    if report.waived_without_control:
        out.extend(_md_waived_without_control(report))
        w("")
    if report.issues:
        w("> **Integrity issues**")
        for issue in report.issues:
            w(f"> - {md(issue.scope)}: {md(issue.message)}")
        w("")
    w("## Contents")
    w("")
    for title in ("Summary", "Matrix", "Scope", "Controls", "Waivers", "Provenance"):
        w(f"- [{title}](#{title.lower()})")
    w("")
    w("## Summary")
    w("")
    w(_row(["", *(STATUS_LABELS[s] for s in STATUSES)]))
    w(_row(["---"] * (len(STATUSES) + 1)))
    w(_row(["controls (worst region)", *(str(getattr(report.summary.overall, s)) for s in STATUSES)]))
    for s in report.scopes:
        w(_row([md(f"{s.environment}/{s.region}"), *(str(getattr(s.counts, st)) for st in STATUSES)]))
    for fw in report.frameworks:
        w(_row([md(fw.name) + " (results)", *(str(getattr(fw.results, st)) for st in STATUSES)]))
    w("")
    w("## Matrix")
    w("")
    w(_row(["Control", "Title", *(md(s) for s in scopes)]))
    w(_row(["---"] * (len(scopes) + 2)))
    for c in report.controls:
        w(_row([md(c.key), md(c.title), *(STATUS_LABELS[r.status] for r in c.results)]))
    w("")
    w("## Scope")
    w("")
    w(_row(["Environment", "Region", "AWS region", "Mode", "Residency zone", "Account",
            "Planned changes", "Tags"]))
    w(_row(["---"] * 8))
    for s in report.scopes:
        changes = ", ".join(f"{k} {v}" for k, v in sorted(s.planned_changes.items()))
        tags = ", ".join(f"{k}={v}" for k, v in sorted(s.tags.items()))
        w(_row([md(s.environment), md(s.region), md(s.aws_region), md(s.mode),
                md(s.residency_zone or "-"), md(s.account_id or "-"), md(changes), md(tags)]))
    w("")
    w("## Controls")
    for fw, controls in by_framework(report):
        w("")
        w(f"### {md(fw.name)} {md(fw.version)}")
        for c in controls:
            w("")
            w(f"#### {md(c.key)}: {md(c.title)}")
            w("")
            w(md(c.description))
            w("")
            w(f"Checks: {', '.join(md_code(x) for x in c.checks)}."
              + (f" Applies to: {', '.join(md_code(x) for x in c.applies_to)}." if c.applies_to else ""))
            w("")
            w(_row(["Region", "Status", "Reason", "Results per check"]))
            w(_row(["---"] * 4))
            for r in c.results:
                results = "; ".join(f"{md_code(check)} {counts_text(n)}" for check, n in check_counts(r))
                w(_row([md(f"{r.environment}/{r.region}"), STATUS_LABELS[r.status], md(r.reason),
                        results or "-"]))
            rows = exceptions(c) + (passed(c) if evidence == "all" else [])
            if rows:
                w("")
                w(_row(["Region", "Check", "Result", "Resource", "File:line", "Waiver"]))
                w(_row(["---"] * 6))
                for r, e in rows:
                    result = e.result if e.result == e.effective_result else f"{e.result} (expired: failed)"
                    resource = md_code(e.resource) + (f" ({md(e.detail)})" if e.detail else "")
                    w(_row([md(r.region), md_code(e.check_id), md(result), resource,
                            md_code(where(e)), md(e.waiver_id or "")]))
    w("")
    w("## Waivers")
    w("")
    if report.waivers:
        w(_row(["Waiver", "Owner", "Expires", "State", "Reason", "Checks", "Controls", "Findings", "Scopes"]))
        w(_row(["---"] * 9))
        for wv in report.waivers:
            controls_cell = ", ".join(md(k) for k in wv.controls) or "**no control**"
            w(_row([md(wv.id), md(wv.owner), md(wv.expires), md(wv.state.replace("_", " ")),
                    md(wv.reason), md(", ".join(wv.checks)), controls_cell, str(wv.findings),
                    md(", ".join(wv.scopes))]))
    else:
        w("No waiver is used by any finding.")
    if report.waived_without_control:
        w("")
        w("Waived findings whose check maps to no control (no control shows them as an exception):")
        w("")
        out.extend(_md_waived_without_control(report))
    w("")
    w("## Provenance")
    w("")
    w(f"- Generated at: {md(prov.generated_at)}")
    w(f"- Toolkit version: {md(prov.toolkit_version)}")
    w(f"- Git commit: {md_code(prov.git.commit or 'unknown')}, dirty: "
      f"{md('unknown' if prov.git.dirty is None else str(prov.git.dirty).lower())}")
    w(f"- Control catalogue: {md_code(prov.catalogue.path)} sha256 {md_code(prov.catalogue.sha256)}")
    if prov.waivers_file:
        w(f"- Waivers file: {md_code(prov.waivers_file.path)} sha256 {md_code(prov.waivers_file.sha256)}")
    if any(rp.mode == "sandbox" for rp in prov.regions):
        w(f"- {md(SANDBOX_NOTE)}")
    w("")
    w(_row(["Scope", "Mode", "Terraform", "checkov", "Provider", "Schema sha256", "Plan sha256"]))
    w(_row(["---"] * 7))
    for rp in prov.regions:
        w(_row([md(f"{rp.environment}/{rp.region}"), md(rp.mode), md(rp.terraform_version or "unknown"),
                md(rp.checkov_version), md(f"{rp.provider_source} {rp.provider_version or 'unknown'}"),
                md_code(rp.provider_schema_sha256 or "-"), md_code(rp.plan_sha256)]))
    w("")
    w(_row(["Scope", "Kind", "File", "sha256", "Verified"]))
    w(_row(["---"] * 5))
    summarised: list[str] = []
    for rp in prov.regions:
        for kind, files in (("artifact", rp.artifacts), ("plan input", rp.plan_inputs),
                            ("scan input", rp.scan_inputs)):
            if evidence == "exceptions" and kind != "artifact":
                # Short form: inputs that still match are counted, not listed.
                matching, files = split_inputs(files)
                if matching:
                    summarised.append(f"{rp.environment}/{rp.region}: {len(matching)} {kind}s match")
            for f in files:
                w(_row([md(f"{rp.environment}/{rp.region}"), kind, md_code(f.path), md_code(f.sha256),
                        md(f.verified)]))
    if summarised:
        w("")
        w(md("; ".join(summarised)) + " (hashes in the full report).")
    w("")
    w(f"_{md(report.summary.note)}_")
    w("")
    return "\n".join(out)
