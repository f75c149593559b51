"""What every rendering shows the same way: status symbols and colours, check counts, the
exceptions and passed results of a control, where a result points, breakable ids."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any, Literal

from markupsafe import Markup

from toolkit.report.models import ControlReport, ControlResult, Evidence, HashedFile, Report

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


def split_inputs(files: Sequence[HashedFile]) -> tuple[list[HashedFile], list[HashedFile]]:
    """(inputs that still match the hash the plan or scan recorded, every other one)."""
    return [f for f in files if f.verified == "match"], [f for f in files if f.verified != "match"]


def by_framework(report: Report) -> list[tuple[Any, list[ControlReport]]]:
    return [(fw, [c for c in report.controls if c.framework == fw.id]) for fw in report.frameworks]
