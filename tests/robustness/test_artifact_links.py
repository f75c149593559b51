"""Issue 17: artifacts that cannot be pointed elsewhere, and private modes.

Every case plants a link in a copy of one planned region and plans again (real Terraform,
sandbox): the plan is refused for that region with one line naming the path, and nothing
outside the artifacts tree is written, created or chmod-ed. On the read side, a linked
``summary.json`` or region directory never reaches a passing gate or a report.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.policy import builders
from tests.robustness.helpers import ENV, REGION, copy_case, planned_project, session_cache
from tests.support import SCHEMA
from toolkit.artifacts.findings import Finding, FindingsDocument
from toolkit.artifacts.io import write_artifact

pytestmark = pytest.mark.slow  # real plans and Terraform runs in every test

@pytest.fixture(autouse=True)
def _sandbox(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setenv("INFRA_PROVIDER_SCHEMA", str(SCHEMA))
    monkeypatch.setenv("INFRA_CACHE_DIR", str(session_cache(tmp_path_factory)))


@pytest.fixture
def case(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    """A copy of the session's planned project, its region directory included."""
    return copy_case(planned_project(tmp_path_factory), tmp_path / "proj")


def _plan(infra: Callable[..., Result], project: Path) -> Result:
    return infra("--project", str(project), "--artifacts", str(project / ".infra"), "plan", REGION, "--env", ENV,
                 "--sandbox", "--no-scan")


def _refused(result: Result, path: Path, stage: str) -> str:
    """The region failed at ``stage`` with one line naming ``path`` as refused."""
    assert result.code == 1, result.err
    lines = [line for line in result.err.splitlines() if f"failed at {stage}:" in line]
    assert len(lines) == 1, result.err
    assert f"{path}: refused: a symbolic link inside the artifacts tree" in lines[0], lines[0]
    assert "No changes" not in result.err
    return lines[0]


def _region(project: Path) -> Path:
    return project / ".infra" / ENV / REGION


def test_a_plan_writes_private_modes(case: Path, infra: Callable[..., Result]) -> None:
    rdir = _region(case)
    state = rdir / "sandbox.tfstate"
    state.write_text("")
    state.chmod(0o644)
    rdir.chmod(0o755)
    assert _plan(infra, case).code == 0
    mode = {p.name: stat.S_IMODE(p.stat().st_mode) for p in rdir.iterdir()}
    for name in ("tfplan", "plan.json", "plan.log", "terraform.tfvars.json", "sandbox.tfstate", ".lock"):
        assert mode[name] == 0o600, (name, oct(mode[name]))
    for name in (".private", "work"):
        assert mode[name] == 0o700, (name, oct(mode[name]))
    assert stat.S_IMODE(rdir.stat().st_mode) == 0o700
    assert stat.S_IMODE((rdir / "work" / "terraform").stat().st_mode) == 0o700


def test_a_linked_plan_log_is_refused_and_its_target_untouched(case: Path, infra: Callable[..., Result],
                                                               tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("not yours\n")
    log = _region(case) / "plan.log"
    log.unlink()
    log.symlink_to(outside)
    _refused(_plan(infra, case), log, "render")
    assert outside.read_text() == "not yours\n"


def test_a_linked_lock_is_refused_and_creates_nothing(case: Path, infra: Callable[..., Result],
                                                      tmp_path: Path) -> None:
    outside = tmp_path / "created-outside"
    lock = _region(case) / ".lock"
    lock.unlink()
    lock.symlink_to(outside)
    _refused(_plan(infra, case), lock, "lock")
    assert not outside.exists()


def test_a_linked_private_dir_is_refused_and_not_chmodded(case: Path, infra: Callable[..., Result],
                                                          tmp_path: Path) -> None:
    outside = tmp_path / "outside-dir"
    outside.mkdir()
    outside.chmod(0o755)
    private = _region(case) / ".private"
    private.rmdir()
    private.symlink_to(outside, target_is_directory=True)
    _refused(_plan(infra, case), private, "lock")  # recovery (stale temp files) looks there first
    assert stat.S_IMODE(outside.stat().st_mode) == 0o755 and not list(outside.iterdir())


def test_a_linked_work_dir_is_refused_and_nothing_is_staged_outside(case: Path, infra: Callable[..., Result],
                                                                    tmp_path: Path) -> None:
    outside = tmp_path / "outside-work"
    outside.mkdir()
    work = _region(case) / "work"
    shutil.rmtree(work)
    work.symlink_to(outside, target_is_directory=True)
    _refused(_plan(infra, case), work, "lock")  # recovery (stale temp files) looks there first
    assert not list(outside.iterdir())


def test_a_linked_state_file_is_refused(case: Path, infra: Callable[..., Result], tmp_path: Path) -> None:
    outside = tmp_path / "outside.tfstate"
    outside.write_text("")
    state = _region(case) / "sandbox.tfstate"
    state.symlink_to(outside)
    _refused(_plan(infra, case), state, "init")
    assert outside.read_text() == "" and stat.S_IMODE(outside.stat().st_mode) == 0o644


def test_a_linked_region_dir_is_refused_for_a_plan(case: Path, infra: Callable[..., Result],
                                                   tmp_path: Path) -> None:
    outside = tmp_path / "outside-region"
    rdir = _region(case)
    shutil.move(rdir, outside)
    rdir.symlink_to(outside, target_is_directory=True)
    before = {p.name: p.stat().st_mtime_ns for p in outside.iterdir()}
    _refused(_plan(infra, case), rdir, "lock")
    assert {p.name: p.stat().st_mtime_ns for p in outside.iterdir()} == before


def test_a_stale_output_link_is_removed_not_followed(case: Path, infra: Callable[..., Result],
                                                     tmp_path: Path) -> None:
    """A link where a plan output goes (removed at the start of every plan) is unlinked, never written through."""
    outside = tmp_path / "outside-summary.json"
    outside.write_text("{}\n")
    summary = _region(case) / "summary.json"
    summary.unlink()
    summary.symlink_to(outside)
    assert _plan(infra, case).code == 0
    assert outside.read_text() == "{}\n" and not summary.is_symlink() and summary.is_file()


# ---------------------------------------------------------------- the read side


MARKER = "OUTSIDE-DATA-7f3a"


def _scanned_region(artifacts: Path, region: str) -> Path:
    rdir = artifacts / ENV / region
    rdir.mkdir(parents=True)
    (rdir / "summary.json").write_text(json.dumps(builders.summary(ENV, region)))
    (rdir / "status.json").write_text(json.dumps(builders.status()))
    (rdir / "plan.sha256").write_text("0" * 64 + "  tfplan\n")
    finding = Finding(check_id="CKV_INFRA_1", title="tags", severity="HIGH", environment=ENV, region=region,
                      resource="module.kms.aws_kms_key.this", file="modules/kms/main.tf", line=1, status="passed",
                      source="plan")
    write_artifact(rdir / "findings.json", FindingsDocument(environment=ENV, region=region, mode="sandbox",
                                                            checkov_version="3.3.30", findings=[finding]))
    return rdir


@pytest.fixture
def scanned(tmp_path: Path) -> Path:
    art = tmp_path / "art"
    for region in ("eu-central", "us-east"):
        _scanned_region(art, region)
    return art


def _gate(infra: Callable[..., Result], artifacts: Path) -> Result:
    from tests.support import REPO

    return infra("--project", str(REPO), "gate", "--env", ENV, "--artifacts", str(artifacts), "--out",
                 str(artifacts.parent / "gate-out"))


def _report(infra: Callable[..., Result], artifacts: Path) -> Result:
    from tests.support import REPO

    return infra("--project", str(REPO), "--artifacts", str(artifacts), "report", "--env", ENV, "--format", "json",
                 "--stdout")


def test_the_read_side_passes_on_plain_artifacts(scanned: Path, infra: Callable[..., Result]) -> None:
    assert _gate(infra, scanned).code == 0


def test_a_linked_summary_never_passes_the_gate_nor_reaches_the_report(scanned: Path, tmp_path: Path,
                                                                        infra: Callable[..., Result]) -> None:
    fake = builders.summary(ENV, REGION)
    fake["changes"] = [{"address": f"aws_s3_bucket.{MARKER}", "type": "aws_s3_bucket", "action": "create"}]
    outside = tmp_path / "fake-summary.json"
    outside.write_text(json.dumps(fake))
    summary = scanned / ENV / REGION / "summary.json"
    summary.unlink()
    summary.symlink_to(outside)
    gate = _gate(infra, scanned)
    assert gate.code == 1 and f"{summary}: cannot read (refused: a symbolic link" in gate.err, gate.err
    report = _report(infra, scanned)
    assert report.code == 1 and f"{summary}: cannot read (refused: a symbolic link" in report.err, report.err
    assert MARKER not in report.out + report.err + gate.out
    assert not any(MARKER in p.read_text(errors="replace") for p in (tmp_path / "gate-out").glob("*")
                   if p.is_file())


def test_a_linked_region_dir_is_refused_by_gate_and_report(scanned: Path, tmp_path: Path,
                                                           infra: Callable[..., Result]) -> None:
    rdir = scanned / ENV / REGION
    outside = tmp_path / "elsewhere"
    shutil.move(rdir, outside)
    rdir.symlink_to(outside, target_is_directory=True)
    gate = _gate(infra, scanned)
    assert gate.code == 1 and f"{rdir}: refused: a symbolic link inside the artifacts tree" in gate.err, gate.err
    assert "PASS" not in gate.err + gate.out
    report = _report(infra, scanned)
    assert report.code == 1 and str(rdir) in report.err and "refused" in report.err, report.err


def test_a_linked_environment_dir_is_refused_by_the_gate(scanned: Path, tmp_path: Path,
                                                         infra: Callable[..., Result]) -> None:
    env_dir = scanned / ENV
    outside = tmp_path / "env-elsewhere"
    shutil.move(env_dir, outside)
    env_dir.symlink_to(outside, target_is_directory=True)
    gate = _gate(infra, scanned)
    assert gate.code == 1 and f"{env_dir}: refused: a symbolic link" in gate.err, gate.err


def test_a_fifo_artifact_is_refused_at_once(scanned: Path, infra: Callable[..., Result]) -> None:
    status_file = scanned / ENV / REGION / "status.json"
    status_file.unlink()
    os.mkfifo(status_file)
    gate = _gate(infra, scanned)  # would block forever on a blocking open
    assert gate.code == 1 and f"{status_file}: cannot read (refused: a FIFO" in gate.err, gate.err
