"""JSON (schema), Markdown (same statuses) and static checks of the HTML."""

from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.report.conftest import HOSTILE, PROD_REGIONS, REPO, Project, inject_hostile
from toolkit.report import (
    STATUS_LABELS,
    Report,
    render,
    render_html,
    render_json,
    render_markdown,
    write_report,
)
from toolkit.report.markdown import md
from toolkit.report.schema import SCHEMA_PATH, json_schema


def test_committed_schema_matches_the_models() -> None:
    committed = json.loads(SCHEMA_PATH.read_text())
    assert committed == json_schema(), "run `.venv/bin/python -m toolkit.report.schema` and commit"
    assert committed["properties"]["schema_version"]["const"] == 2  # 2: basis, waiver controls, file:line of plans


def test_json_validates_against_schema(prod_report: Report) -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    data = render_json(prod_report)
    errors = sorted(validator.iter_errors(data), key=str)
    assert not errors, errors[0]
    # The JSON text round-trips, and the schema is not vacuous: it rejects what it should.
    assert json.loads(render(prod_report, "json")) == data
    for mutate in (
        lambda d: d["controls"][0]["results"][0].__setitem__("status", "partially_met"),
        lambda d: d.__setitem__("schema_version", 1),
        lambda d: d["provenance"].__setitem__("extra", 1),
        lambda d: d["waivers"][0].pop("owner"),
    ):
        bad = copy.deepcopy(data)
        mutate(bad)
        assert not validator.is_valid(bad)


def test_schema_doc_describes_every_top_level_key() -> None:
    doc = (REPO / "docs" / "report-schema.md").read_text()
    for key in json_schema()["properties"]:
        assert f"`{key}`" in doc, key
    for status in STATUS_LABELS:
        assert f"`{status}`" in doc, status


def markdown_matrix(text: str) -> tuple[list[str], dict[str, list[str]]]:
    section = text.split("\n## Matrix\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    header = [c.strip() for c in rows[0].strip("|").split(" | ")]
    matrix: dict[str, list[str]] = {}
    for row in rows[2:]:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", row.strip())[1:-1]]
        matrix[cells[0].replace("\\", "")] = cells[2:]
    return header[2:], matrix


def test_markdown_has_the_same_statuses_as_json(prod_report: Report) -> None:
    data = render_json(prod_report)
    text = render_markdown(prod_report)
    scopes, matrix = markdown_matrix(text)
    assert scopes == [f"prod/{r}" for r in PROD_REGIONS]
    assert len(matrix) == len(data["controls"]) >= 40
    for control in data["controls"]:
        assert matrix[control["key"]] == [STATUS_LABELS[r["status"]] for r in control["results"]], control["key"]
    # Per-control sections repeat the same statuses, with reasons.
    for control in data["controls"]:
        for r in control["results"]:
            assert f"| {r['environment']}/{r['region']} | {STATUS_LABELS[r['status']]} |" in text
    assert f"**{md(data['summary']['note'])}**" in text
    # The short form for pull requests keeps the statuses and the exceptions' evidence.
    short = render_markdown(prod_report, evidence="exceptions")
    assert markdown_matrix(short)[1] == matrix and len(short) < len(text)
    assert "W-001" in short and "CKV_AWS_338" in short
    evidence_rows = [line for line in short.splitlines() if re.match(r"\| [a-z-]+ \| `CKV", line)]
    assert evidence_rows and not [row for row in evidence_rows if "| passed |" in row]
    assert "scan inputs match" in short


def test_markdown_escapes_hostile_values(project: Project) -> None:
    inject_hostile(project, HOSTILE + " | extra | cells")
    text = render_markdown(project.build())
    assert "<script>" not in text and "<img" not in text
    assert "&lt;script&gt;" in text
    waiver_rows = [line for line in text.splitlines() if line.startswith("| W-001 |")]
    assert len(waiver_rows) == 1
    assert len(re.split(r"(?<!\\)\|", waiver_rows[0])) == 11  # 9 cells: the pipes did not add columns


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def external_references(html: str) -> list[str]:
    """Everything in the page that could make a browser fetch something."""
    parser = Elements()
    parser.feed(html)
    found = []
    for tag, attrs in parser.tags:
        if tag in ("script", "link", "img", "iframe", "object", "embed", "source", "video", "audio", "base", "image"):
            found.append(f"<{tag}>")
        for name, value in attrs.items():
            if name in ("src", "srcset", "data", "poster", "background", "xlink:href", "action"):
                found.append(f"{tag}[{name}]={value}")
            if name == "href" and not (value or "").startswith("#"):
                found.append(f"{tag}[href]={value}")
            if name.startswith("on"):
                found.append(f"{tag}[{name}]")
    found += re.findall(r"url\(|@import", html)
    return found


def test_html_is_self_contained_and_complete(prod_report: Report) -> None:
    html = render_html(prod_report)
    assert external_references(html) == []
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert html.count("<svg") == 1 and "@media print" in html
    for anchor in ("summary", "chart", "matrix", "scope", "controls", "waivers", "provenance"):
        assert f'href="#{anchor}"' in html and f'id="{anchor}"' in html
    for control in prod_report.controls:
        assert control.title in html
    for rp in prod_report.provenance.regions:
        assert rp.plan_sha256 in html
        for f in rp.artifacts + rp.scan_inputs:
            assert f.sha256 in html
    assert prod_report.summary.note in html


def test_html_escapes_hostile_values_in_text_and_svg(project: Project) -> None:
    inject_hostile(project)
    catalogue = project.root / "controls" / "catalogue.yaml"
    catalogue.write_text(catalogue.read_text().replace(
        "name: SOC 2 Trust Services Criteria", "name: SOC 2 </text><script>alert(1)</script>"))
    html = render_html(project.build())
    assert external_references(html) == []
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" in html
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert "SOC 2 &lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in svg


def test_write_report_writes_each_format_atomically(prod_report: Report, tmp_path: Path) -> None:
    for fmt in ("html", "md", "json"):
        out = write_report(prod_report, fmt, tmp_path / "out" / f"report.{fmt}")
        assert out.read_text() == render(prod_report, fmt)
    assert [p.name for p in (tmp_path / "out").iterdir() if p.name.startswith(".")] == []
    with pytest.raises(ValueError, match="unknown report format 'pdf'"):
        render(prod_report, "pdf")  # type: ignore[arg-type]


def _walk_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _walk_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _walk_strings(v)]
    return []


def test_json_holds_no_absolute_paths(prod_report: Report, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Artifacts move between machines: the report refers to files by relative paths only."""
    strings = _walk_strings(render_json(prod_report))
    assert not [s for s in strings if s.startswith("/")]
