"""Renderers: one self-contained HTML page, Markdown for wikis and PRs, JSON for GRC tools.

All three take the same ``Report`` and show the same statuses. Every value from the
inputs is escaped for its target (jinja2 autoescape for HTML and the inline SVG,
``md()`` of :mod:`toolkit.report.markdown`); nothing is fetched from the network when the page is opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from toolkit.fsutil import atomic_write_json, atomic_write_text
from toolkit.report.markdown import render_markdown
from toolkit.report.models import (
    STATUS_LABELS,
    STATUSES,
    Counts,
    Report,
)
from toolkit.report.present import (
    SANDBOX_NOTE,
    STATUS_COLOURS,
    STATUS_SYMBOLS,
    breakable,
    by_framework,
    check_counts,
    counts_text,
    exceptions,
    passed,
    slug,
    split_inputs,
    where,
)

Format = Literal["html", "md", "json"]
FORMATS: tuple[Format, ...] = ("html", "md", "json")

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


def render_html(report: Report) -> str:
    """One self-contained, printable HTML page (inline CSS and SVG, no script, no fetch)."""
    template = _environment().get_template("report.html.j2")
    return template.render(report=report, chart=build_chart(report), groups=by_framework(report))


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
