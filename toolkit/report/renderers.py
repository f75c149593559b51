"""Renderers: one self-contained HTML page, Markdown for wikis and PRs, JSON for GRC tools.

All three take the same ``Report`` and show the same statuses. Every value from the
inputs is escaped for its target (jinja2 autoescape for HTML and the inline SVG,
``md()`` for Markdown); nothing is fetched from the network when the page is opened.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from toolkit.fsutil import atomic_write_json, atomic_write_text
from toolkit.report.models import (
    STATUS_LABELS,
    STATUSES,
    ControlReport,
    ControlResult,
    Counts,
    Evidence,
    HashedFile,
    Report,
)

Format = Literal["html", "md", "json"]
FORMATS: tuple[Format, ...] = ("html", "md", "json")

STATUS_COLOURS = {
    "met": "#2e7d32",
    "met_with_exception": "#b26a00",
    "not_met": "#c62828",
    "not_applicable": "#9e9e9e",
}
SANDBOX_NOTE = (
    "Sandbox mode: the plans were made offline against the real provider schema; provider-side "
    "checks, provider defaults and forced replacements are not known. A cloud-mode run is needed "
    "before the report can stand for what AWS will do."
)
STATUS_SYMBOLS = {"met": "✓", "met_with_exception": "!", "not_met": "✗", "not_applicable": "–"}


def slug(text: str) -> str:
    """An HTML id / Markdown anchor from a control key ("iso27001/A.8.24" -> "iso27001-a-8-24")."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


RESULT_ORDER = ("failed", "waived", "passed")


def check_counts(result: ControlResult) -> list[tuple[str, dict[str, int]]]:
    """Per check of one control x region: how many results were failed / waived / passed
    (effective results: a finding whose waiver expired counts as failed)."""
    counts: dict[str, Counter[str]] = {}
    for e in result.evidence:
        counts.setdefault(e.check_id, Counter())[e.effective_result] += 1
    return [(check, {r: c[r] for r in RESULT_ORDER if c[r]}) for check, c in sorted(counts.items())]


def counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {r}" for r, n in counts.items())


def exceptions(control: ControlReport) -> list[tuple[ControlResult, Evidence]]:
    """Every result that is not a plain pass: failed, waived, or waived with an expired waiver."""
    return [(r, e) for r in control.results for e in r.evidence
            if e.result != "passed" or e.effective_result != "passed"]


def passed(control: ControlReport) -> list[tuple[ControlResult, Evidence]]:
    return [(r, e) for r in control.results for e in r.evidence
            if e.result == "passed" and e.effective_result == "passed"]


def where(e: Evidence) -> str:
    """``file:line`` of the evidence (our module for plan results), or the file alone."""
    if e.line is not None:
        return f"{e.file or '-'}:{e.line}"
    return e.file or "-"


_TOKEN_END = {
    "address": re.compile(r"(?<=[./])(?=.)|(?<=.)(?=\[)"),
    "path": re.compile(r"(?<=/)(?=.)"),
}


def breakable(value: object, kind: Literal["address", "path"] = "address") -> Markup:
    """A resource address (or, ``kind="path"``, a file path) that may wrap only between its tokens:
    after '.' and '/' and before '[' (paths: after '/' only, "main.tf:14" stays whole). Each token
    is an unbreakable span (so "eu-central-1a" never splits at its hyphens), <wbr> between them."""
    parts = [p for p in _TOKEN_END[kind].split(str(value)) if p]
    if len(parts) <= 1:
        return Markup('<span class="tok">{}</span>').format(str(value))
    return Markup("<wbr>").join(Markup('<span class="tok">{}</span>').format(p) for p in parts)


def render_json(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data, valid against ``report.schema.json``."""
    return report.model_dump(mode="json")


# --------------------------------------------------------------------------- SVG chart

@dataclass(frozen=True)
class Segment:
    status: str
    label: str
    colour: str
    count: int
    x: float
    width: float


@dataclass(frozen=True)
class Bar:
    label: str
    y: float
    total: int
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class BarGroup:
    title: str
    y: float
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    label_width: int
    bar_width: int
    bar_height: int
    groups: tuple[BarGroup, ...]
    legend_y: float


def _bar(label: str, counts: Counts, y: float, x0: int, width: int, scale_total: int) -> Bar:
    segments: list[Segment] = []
    x = float(x0)
    for status in STATUSES:
        n = getattr(counts, status)
        if n == 0:
            continue
        w = width * n / scale_total if scale_total else 0.0
        segments.append(Segment(status, STATUS_LABELS[status], STATUS_COLOURS[status], n,
                                round(x, 2), round(w, 2)))
        x += w
    return Bar(label=label, y=y, total=counts.total, segments=tuple(segments))


def build_chart(report: Report) -> Chart:
    """Geometry of the stacked-bar chart: one bar per region and one per framework."""
    label_width, bar_width, bar_height, gap, title_h = 230, 560, 22, 8, 30
    y = 10.0
    groups: list[BarGroup] = []
    region_rows = [(f"{s.environment}/{s.region}", s.counts) for s in report.scopes]
    framework_rows = [(f.name, f.results) for f in report.frameworks]
    for title, rows in (("Controls per region", region_rows),
                        ("Control results per framework (all regions)", framework_rows)):
        group_y = y
        y += title_h
        scale = max((c.total for _, c in rows), default=1) or 1
        bars = []
        for label, counts in rows:
            bars.append(_bar(label, counts, y, label_width, bar_width, scale))
            y += bar_height + gap
        groups.append(BarGroup(title=title, y=group_y, bars=tuple(bars)))
        y += 12
    return Chart(width=label_width + bar_width + 60, height=int(y + 30), label_width=label_width,
                 bar_width=bar_width, bar_height=bar_height, groups=tuple(groups), legend_y=y + 8)


# --------------------------------------------------------------------------- HTML

def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("toolkit.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["slug"] = slug
    env.filters["status_label"] = lambda s: STATUS_LABELS[s]
    env.filters["breakable"] = breakable
    env.filters["where"] = where
    env.filters["counts_text"] = counts_text
    env.filters["unbroken_words"] = unbroken_words
    env.globals.update(SANDBOX_NOTE=SANDBOX_NOTE, STATUSES=STATUSES, STATUS_LABELS=STATUS_LABELS,
                       STATUS_COLOURS=STATUS_COLOURS, STATUS_SYMBOLS=STATUS_SYMBOLS,
                       check_counts=check_counts, exceptions=exceptions, passed=passed,
                       split_inputs=split_inputs)
    return env


def unbroken_words(value: object) -> Markup:
    """Prose that wraps only at spaces: each word (an ARN, a device, a size) is one unbreakable span."""
    return Markup(" ").join(Markup('<span class="tok">{}</span>').format(w) for w in str(value).split())


def split_inputs(files: Sequence[HashedFile]) -> tuple[list[HashedFile], list[HashedFile]]:
    """(inputs that still match the hash the plan or scan recorded, every other one)."""
    return [f for f in files if f.verified == "match"], [f for f in files if f.verified != "match"]


def _by_framework(report: Report) -> list[tuple[Any, list[ControlReport]]]:
    return [(fw, [c for c in report.controls if c.framework == fw.id]) for fw in report.frameworks]


def render_html(report: Report) -> str:
    """One self-contained, printable HTML page (inline CSS and SVG, no script, no fetch)."""
    template = _environment().get_template("report.html.j2")
    return template.render(report=report, chart=build_chart(report), groups=_by_framework(report))


# --------------------------------------------------------------------------- Markdown

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
    for fw, controls in _by_framework(report):
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


# --------------------------------------------------------------------------- files

def render(report: Report, fmt: Format) -> str:
    """The report as text in ``fmt`` (``json`` is the deterministic dump of ``render_json``)."""
    if fmt == "html":
        return render_html(report)
    if fmt == "md":
        return render_markdown(report)
    if fmt == "json":
        from toolkit.fsutil import dump_json

        return dump_json(render_json(report))
    raise ValueError(f"unknown report format {fmt!r} (expected one of {', '.join(FORMATS)})")


def write_report(report: Report, fmt: Format, out: Path) -> Path:
    """Write the report atomically to ``out`` and return the path."""
    out = Path(out)
    if fmt == "json":
        atomic_write_json(out, render_json(report))
    else:
        atomic_write_text(out, render(report, fmt))
    return out
