"""Issue 11: a readable report. Passed results are counted per control and check and collapsed
(HTML <details>, counts in Markdown); exceptions stay listed; ids never wrap inside a token."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

from toolkit.report import render_html, render_markdown
from toolkit.report.models import Report
from toolkit.report.present import breakable, check_counts


class Rows(HTMLParser):
    """Evidence rows (tables of class "evidence"), each with whether it sits in a <details>."""

    def __init__(self) -> None:
        super().__init__()
        self.details = 0
        self.in_evidence = False
        self.rows: list[tuple[bool, list[str]]] = []
        self.cell: list[str] | None = None
        self.nowrap_cells: list[str] = []
        self._classes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "details":
            self.details += 1
        if tag == "table" and "evidence" in (a.get("class") or "").split():
            self.in_evidence = True
        if self.in_evidence and tag == "tr":
            self.rows.append((self.details > 0, []))
        if self.in_evidence and tag == "td":
            self.cell = []
            self._classes = (a.get("class") or "").split()

    def handle_endtag(self, tag: str) -> None:
        if tag == "details":
            self.details -= 1
        if tag == "table":
            self.in_evidence = False
        if tag == "td" and self.cell is not None:
            text = "".join(self.cell).strip()
            self.rows[-1][1].append(text)
            if "nowrap" in self._classes:
                self.nowrap_cells.append(text)
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def test_html_lists_exceptions_and_collapses_passed_results(prod_report: Report) -> None:
    parser = Rows()
    parser.feed(render_html(prod_report))
    rows = [(hidden, cells) for hidden, cells in parser.rows if cells]
    passed = [cells for hidden, cells in rows if cells[2] == "passed"]
    shown = [cells for hidden, cells in rows if not hidden]
    # Every passed result is still in the page, but inside a <details>; what is shown is exceptions.
    total_passed = sum(1 for c in prod_report.controls for r in c.results for e in r.evidence
                       if e.result == e.effective_result == "passed")
    assert len(passed) == total_passed > 400
    assert all(hidden for hidden, cells in rows if cells[2] == "passed")
    assert shown and all(cells[2] != "passed" for cells in shown)
    assert {cells[1] for cells in shown} >= {"CKV_AWS_39", "CKV_INFRA_7", "CKV_AWS_338", "CKV2_AWS_57"}
    # Region, check and waiver cells never wrap.
    assert {"us-east", "CKV_AWS_39", "W-001"} <= set(parser.nowrap_cells)


def test_html_counts_passed_results_per_control_and_check(prod_report: Report) -> None:
    html = render_html(prod_report)
    control = next(c for c in prod_report.controls if c.key == "cis-eks/5.3.1")
    result = control.results[0]
    assert check_counts(result) == [("CKV_AWS_58", {"passed": 1}), ("CKV_INFRA_20", {"passed": 1})]
    section = html[html.index('id="c-cis-eks-5-3-1"'):]
    section = section[:section.index('<div class="control"')]
    assert '<span class="nowrap"><code>CKV_AWS_58</code> 1 passed</span>' in section
    n = sum(len(r.evidence) for r in control.results)
    assert f"<details class=\"passed\"><summary>{n} passed result(s) on 1 resource(s)</summary>" in section
    # Waived results are counted as such where they are.
    r = next(r for c in prod_report.controls if c.key == "cis-eks/5.4.2" for r in c.results if r.region == "us-east")
    assert dict(check_counts(r))["CKV_AWS_39"] == {"waived": 1}


def test_markdown_counts_passed_results_instead_of_listing_them(prod_report: Report) -> None:
    text = render_markdown(prod_report)
    evidence_rows = [line for line in text.splitlines() if re.match(r"\| [a-z-]+ \| `C", line)]
    assert evidence_rows and not [row for row in evidence_rows if "| passed |" in row]
    assert "| prod/eu-central | met | 2 passed result(s) on 1 resource(s) | `CKV_AWS_58` 1 passed; " \
           "`CKV_INFRA_20` 1 passed |" in text
    full = render_markdown(prod_report, evidence="all")
    listed = [line for line in full.splitlines() if re.match(r"\| [a-z-]+ \| `C", line) and "| passed |" in line]
    total_passed = sum(1 for c in prod_report.controls for r in c.results for e in r.evidence
                       if e.result == e.effective_result == "passed")
    assert len(listed) == total_passed
    assert len(text) * 2 < len(full)


def test_ids_and_addresses_break_only_between_tokens() -> None:
    address = 'module.network.aws_route.private_nat["eu-central-1a"]'
    html = str(breakable(address))
    tokens = re.findall(r'<span class="tok">(.*?)</span>', html)
    assert tokens == ["module.", "network.", "aws_route.", "private_nat", "[&#34;eu-central-1a&#34;]"]
    assert html.count("<wbr>") == len(tokens) - 1
    assert str(breakable("<b>")) == '<span class="tok">&lt;b&gt;</span>'


def test_css_keeps_ids_on_one_line(prod_report: Report) -> None:
    html = render_html(prod_report)
    css = html[html.index("<style>"):html.index("</style>")]
    assert "overflow-wrap: anywhere" not in css and "word-break: break-all; }" in css  # hashes only
    assert ".tok { white-space: nowrap; }" in css
    matrix = html[html.index('<table class="matrix">'):]
    matrix = matrix[:matrix.index("</table>")]
    keys = re.findall(r'<td class="nowrap"><a href="#c-[^"]+">([^<]+)</a>', matrix)
    assert len(keys) == len(prod_report.controls) and "gdpr/Art. 32(1)(a)" in keys
    assert Counter(re.findall(r'<th class="nowrap">prod/[a-z-]+</th>', matrix)).total() == 4
