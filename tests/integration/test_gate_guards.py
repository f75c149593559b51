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

from tests.support import REPO
from tests.support.baseline import ProdPlans


@pytest.fixture
def scanned(prod_plans: ProdPlans, infra: Callable[..., object], tmp_path: Path) -> Path:
    """A private copy of the session's prod artifacts, scanned (scan results are cached)."""
    copy = prod_plans.copy_artifacts(tmp_path / "art", ignore=("work", "tfplan", ".lock", ".private"))
    result = infra("--project", str(prod_plans.root), "--artifacts", str(copy), "scan", "--all", "--env", "prod")
    assert result.code == 0, result.err
    return copy


def _gate(infra: Callable[..., object], artifacts: Path, project: Path) -> object:
    return infra("--project", str(project), "gate", "--env", "prod", "--artifacts", str(artifacts),
                 "--out", str(artifacts / "gate-out"))


def test_clean_copy_passes(scanned: Path, prod_plans: ProdPlans, infra: Callable[..., object]) -> None:
    assert _gate(infra, scanned, prod_plans.root).code == 0  # type: ignore[attr-defined]


def test_missing_region_fails(scanned: Path, prod_plans: ProdPlans, infra: Callable[..., object]) -> None:
    shutil.rmtree(scanned / "prod" / "us-west")
    result = _gate(infra, scanned, prod_plans.root)
    assert result.code == 1 and "no artifacts for region(s) us-west" in result.err  # type: ignore[attr-defined]


def test_unfinished_plan_fails(scanned: Path, prod_plans: ProdPlans, infra: Callable[..., object]) -> None:
    status = scanned / "prod" / "eu-west" / "status.json"
    status.write_text(json.dumps({"status": "running", "stage": "plan"}))
    result = _gate(infra, scanned, prod_plans.root)
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


def test_new_plan_drops_old_findings(prod_plans: ProdPlans, infra: Callable[..., object], tmp_path: Path) -> None:
    """A re-plan never leaves findings of the previous plan: they go before Terraform even starts
    (here it cannot start: the engine is missing, so the region fails at init)."""
    art = prod_plans.copy_artifacts(tmp_path / "art", ["us-east"])
    region = art / "prod" / "us-east"
    assert (region / "findings.json").is_file() and (region / "plan.json").is_file()
    result = infra("--project", str(prod_plans.root), "--artifacts", str(art), "plan", "us-east", "--env", "prod",
                   "--sandbox", "--no-scan", "--terraform", str(tmp_path / "no-terraform"))
    assert result.code == 1, result.err  # type: ignore[attr-defined]
    status = json.loads((region / "status.json").read_text())
    assert status["status"] == "failed" and status["stage"] == "init", status
    assert not (region / "findings.json").exists() and not (region / "plan.json").exists()


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
    # The first region (--all plans in name order, here one at a time) has started.
    status = tmp_path / "prod" / "eu-central" / "status.json"
    while time.monotonic() < deadline and not status.exists():
        time.sleep(0.1)
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
