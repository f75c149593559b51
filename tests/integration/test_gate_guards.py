"""The gate refuses artifacts it cannot trust; Ctrl-C exits 130; broken policy files stop the scan."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.fixture
def scanned(prod_artifacts: Path, infra: Callable[..., object], tmp_path: Path) -> Path:
    """A private copy of the session's prod artifacts, scanned (scan results are cached)."""
    result = infra("--project", str(REPO), "--artifacts", str(prod_artifacts), "scan", "--all", "--env", "prod")
    assert result.code == 0, result.err
    copy = tmp_path / "art"
    shutil.copytree(prod_artifacts, copy, ignore=shutil.ignore_patterns("work", "tfplan", ".lock", ".private"))
    return copy


def _gate(infra: Callable[..., object], artifacts: Path, project: Path = REPO) -> object:
    return infra("--project", str(project), "gate", "--env", "prod", "--artifacts", str(artifacts),
                 "--out", str(artifacts / "gate-out"))


def test_clean_copy_passes(scanned: Path, infra: Callable[..., object]) -> None:
    assert _gate(infra, scanned).code == 0  # type: ignore[attr-defined]


def test_missing_region_fails(scanned: Path, infra: Callable[..., object]) -> None:
    shutil.rmtree(scanned / "prod" / "us-west")
    result = _gate(infra, scanned)
    assert result.code == 1 and "no artifacts for region(s) us-west" in result.err  # type: ignore[attr-defined]


def test_unfinished_plan_fails(scanned: Path, infra: Callable[..., object]) -> None:
    status = scanned / "prod" / "eu-west" / "status.json"
    status.write_text(json.dumps({"status": "running", "stage": "plan"}))
    result = _gate(infra, scanned)
    assert result.code == 1 and "plan did not finish" in result.err  # type: ignore[attr-defined]


def test_waiver_expired_since_the_scan_fails(scanned: Path, infra: Callable[..., object], tmp_path: Path) -> None:
    project = tmp_path / "proj"
    shutil.copytree(REPO / "environments", project / "environments")
    shutil.copytree(REPO / "policy", project / "policy")
    waivers = project / "policy" / "waivers.yaml"
    text, n = re.subn(r"expires: \d{4}-\d\d-\d\d", "expires: 2026-01-01", waivers.read_text())
    assert n >= 3
    waivers.write_text(text)
    result = _gate(infra, scanned, project)
    assert result.code == 1, result.err  # type: ignore[attr-defined]
    assert "expired" in result.err.lower()  # type: ignore[attr-defined]


def test_new_plan_drops_old_findings(scanned: Path) -> None:
    from toolkit.plan.pipeline import PLAN_OUTPUTS

    assert "findings.json" in PLAN_OUTPUTS  # a re-plan never leaves findings of the previous plan


def test_broken_policy_file_stops_the_scan(tmp_path: Path) -> None:
    from toolkit.errors import UserError
    from toolkit.scan.run import _compile_checks

    checks = tmp_path / "checks"
    shutil.copytree(REPO / "policy" / "checks", checks)
    (checks / "infra_residency.py").write_text((checks / "infra_residency.py").read_text() + "\ndef broken(:\n")
    with pytest.raises(UserError, match=r"infra_residency\.py:.*does not compile"):
        _compile_checks(sorted(checks.glob("*.py")))


def test_ctrl_c_exits_130(tmp_path: Path) -> None:
    env = dict(os.environ, NO_COLOR="1")
    proc = subprocess.Popen([sys.executable, "-m", "toolkit", "--project", str(REPO), "--artifacts",
                             str(tmp_path), "plan", "--all", "--env", "prod", "--sandbox", "--no-scan",
                             "--parallelism", "1"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    status = tmp_path / "prod" / "us-east" / "status.json"
    while time.monotonic() < deadline and not status.exists():
        time.sleep(0.1)
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
