"""Issue 11: the report says what it rests on, above the summary, in HTML, Markdown and JSON."""

from __future__ import annotations

from typing import Any

from tests.report.conftest import PROD_REGIONS, Project
from toolkit.report import render_html, render_json, render_markdown
from toolkit.report.models import Report

SANDBOX = "planned without cloud state: this proves the configuration, not the account"


def _set_mode(project: Project, region: str, mode: str) -> None:
    project.edit(region, "summary.json", lambda d: d.__setitem__("mode", mode))
    project.edit(region, "findings.json", lambda d: d.__setitem__("mode", mode))


def test_sandbox_report_says_so_above_the_summary_in_every_format(prod_report: Report) -> None:
    data = render_json(prod_report)
    assert data["basis"]["mode"] == "sandbox"
    assert SANDBOX in data["basis"]["statement"]
    assert [(b["region"], b["mode"]) for b in data["basis"]["regions"]] == [(r, "sandbox") for r in PROD_REGIONS]
    assert list(data).index("basis") < list(data).index("summary")

    html = render_html(prod_report)
    basis_at = html.index('id="basis"')
    assert basis_at < html.index('id="closing-note"') < html.index('id="summary"')
    assert SANDBOX in html[basis_at:html.index("</div>", basis_at)]

    md = render_markdown(prod_report)
    first = md.index(SANDBOX)
    assert first < md.index(prod_report.summary.note.split(":")[0]) < md.index("## Summary")
    assert md.splitlines()[4].startswith("> **Sandbox: " + SANDBOX)


def test_mixed_modes_are_stated_per_region(project: Project) -> None:
    _set_mode(project, "us-east", "cloud")
    _set_mode(project, "us-west", "cloud")
    report = project.build()
    assert not report.issues, report.issues
    basis = report.basis
    assert basis.mode == "mixed"
    assert {b.region: b.mode for b in basis.regions} == {
        "eu-central": "sandbox", "eu-west": "sandbox", "us-east": "cloud", "us-west": "cloud"}
    assert "prod/eu-central, prod/eu-west " + SANDBOX in basis.statement
    assert "prod/us-east, prod/us-west planned against the AWS account" in basis.statement

    html = render_html(report)
    top = html[html.index('id="basis"'):html.index('id="closing-note"')]
    for region, mode in (("eu-central", "sandbox"), ("us-east", "cloud")):
        assert f'<span class="id">prod/{region}</span>: <strong>{mode}</strong>' in top
    md = render_markdown(report)
    head = md[:md.index("## Summary")]
    assert "> - prod/us-west: cloud: planned against the AWS account" in head
    assert f"> - prod/eu-west: sandbox: {SANDBOX}" in head


def test_cloud_report_has_no_sandbox_statement(project: Project) -> None:
    for region in PROD_REGIONS:
        _set_mode(project, region, "cloud")
    report = project.build()
    data: dict[str, Any] = render_json(report)
    assert data["basis"]["mode"] == "cloud" and SANDBOX not in data["basis"]["statement"]
    html = render_html(report)
    assert 'class="note basis cloud"' in html and SANDBOX not in html
