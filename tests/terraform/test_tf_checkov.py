"""checkov (offline) over modules/ and terraform/: no failed check.

Every remaining finding must carry an inline ``#checkov:skip=ID:reason`` next to the resource.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.checkov import CheckovRun
from tests.support.terraform import MODULES, ROOT_STACK


@pytest.mark.parametrize("directory", [MODULES, ROOT_STACK], ids=["modules", "root-stack"])
def test_checkov_reports_no_failed_check(directory: Path, checkov_hcl: dict[Path, CheckovRun]) -> None:
    reports = checkov_hcl[directory].reports
    summary = reports[0]["summary"]
    failed = [
        f"{f['check_id']} {f['resource']} ({f['file_path']}:{f['file_line_range'][0]})"
        for report in reports
        for f in report["results"]["failed_checks"]
    ]
    assert failed == []
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 100


def test_every_skip_gives_a_reason(checkov_hcl: dict[Path, CheckovRun]) -> None:
    reports = checkov_hcl[MODULES].reports
    skipped = [s for report in reports for s in report["results"].get("skipped_checks", [])]
    assert skipped, "expected the documented inline skips"
    for check in skipped:
        reason = (check.get("check_result") or {}).get("suppress_comment", "")
        assert len(reason) > 20, f"{check['check_id']} on {check['resource']} skipped without a real reason"
