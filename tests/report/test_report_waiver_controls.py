"""Issue 11: waivers in force show which controls they touch; a waived finding whose check maps to
no control is listed as such, so "0 met with exception" cannot hide a waiver."""

from __future__ import annotations

from typing import Any

from tests.report.conftest import Project
from toolkit.report import render_html, render_json, render_markdown
from toolkit.report.models import Report

UNMAPPED = "CKV2_AWS_35"  # NAT route graph check: in no control of the catalogue


def _add_uncontrolled_waiver(project: Project, region: str = "us-east", waiver_id: str = "W-003") -> None:
    def add(d: dict[str, Any]) -> None:
        d["findings"].append({
            "check_id": UNMAPPED, "title": "AWS NAT Gateways should be utilized for the default route",
            "severity": "MEDIUM", "environment": "prod", "region": region,
            "resource": "module.network.aws_route.public_internet", "file": "modules/network/main.tf",
            "line": 101, "status": "waived", "source": "plan",
            "waiver": {"id": waiver_id, "reason": "public subnets route to the internet gateway",
                       "owner": "platform-team", "expires": "2027-05-31"}})

    project.edit(region, "findings.json", add)


def test_waivers_name_the_controls_they_touch(prod_report: Report) -> None:
    by_id = {w.id: w for w in prod_report.waivers}
    assert {"cis-eks/5.4.2", "soc2/CC6.6", "gdpr/Art. 25", "iso27001/A.5.15"} <= set(by_id["W-001"].controls)
    assert by_id["W-001"].findings == 2
    assert "iso27001/A.8.5" in by_id["W-002"].controls
    assert prod_report.waived_without_control == []
    assert prod_report.summary.waived_findings == 3 and prod_report.summary.waived_without_control == 0
    html = render_html(prod_report)
    row = html[html.index('<tr id="w-w-001">'):]
    row = row[:row.index("</tr>")]
    assert '<a class="id" href="#c-cis-eks-5-4-2">cis-eks/5.4.2</a>' in row
    assert "cis-eks/5.4.2" in render_markdown(prod_report).split("## Waivers", 1)[1]


def test_waived_finding_without_control_is_listed_everywhere(project: Project) -> None:
    _add_uncontrolled_waiver(project)
    report = project.build()
    [entry] = report.waived_without_control
    assert (entry.check_id, entry.waiver_id, entry.findings, entry.scopes) == (
        UNMAPPED, "W-003", 1, ["prod/us-east"])
    assert entry.resources == ["module.network.aws_route.public_internet"]
    w3 = {w.id: w for w in report.waivers}["W-003"]
    assert w3.controls == [] and w3.checks == [UNMAPPED]
    assert report.summary.waived_without_control == 1 and report.summary.waived_findings == 4
    assert f"1 of them on checks that map to no control ({UNMAPPED})" in report.summary.note

    data = render_json(report)
    assert data["waived_without_control"][0]["check_id"] == UNMAPPED
    html = render_html(report)
    top = html[:html.index('id="summary"')]
    assert f'waived, no control: <code class="id">{UNMAPPED}</code>' in top
    row = html[html.index('<tr id="w-w-003">'):]
    assert "<strong class=\"id\">no control</strong>" in row[:row.index("</tr>")]
    md = render_markdown(report)
    head = md[:md.index("## Summary")]
    assert f"- waived, no control: `{UNMAPPED}` AWS NAT Gateways" in head
    assert "W-003 (in force)" in head
    assert "| W-003 |" in md and "**no control**" in md


def test_only_uncontrolled_waivers_do_not_read_as_no_waiver(project: Project) -> None:
    """The regression of the issue: every control met, 0 met with exception, yet a waiver in force."""
    for region in ("us-east", "us-west"):
        project.edit(region, "findings.json", lambda d: d.__setitem__(
            "findings", [dict(f, status="passed", waiver=None) if f["status"] == "waived" else f
                         for f in d["findings"]]))
    _add_uncontrolled_waiver(project, "us-west", "W-009")
    report = project.build()
    assert report.summary.overall.met_with_exception == 0
    assert report.summary.waived_findings == 1
    assert "1 waived finding(s) under 1 waiver(s), 1 of them on checks that map to no control" in report.summary.note
    assert [w.waiver_id for w in report.waived_without_control] == ["W-009"]
