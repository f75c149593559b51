"""Issue 11: `--json` gives JSON on stdout for `infra report --format md` and for a failing
`infra gate`; `infra report` takes `--artifacts DIR` as `gate` does."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.report.conftest import FIXTURES, REPO


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    from toolkit.cli import run

    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("INFRA_ENV", raising=False)

    def call(*args: str) -> Run:
        capsys.readouterr()
        code = run(["--project", str(REPO), *args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return call


@pytest.fixture
def downloaded(tmp_path: Path) -> Path:
    """Artifacts kept outside the project (as downloaded from CI matrix jobs)."""
    out = tmp_path / "downloaded"
    shutil.copytree(FIXTURES, out)
    return out


def test_report_takes_artifacts_and_prints_what_it_wrote_with_json(cli: Callable[..., Run], downloaded: Path) -> None:
    r = cli("report", "--env", "prod", "--artifacts", str(downloaded), "--format", "md", "--json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    written = downloaded / "prod" / "compliance-report.md"
    assert data["path"] == str(written) and data["format"] == "md" and written.is_file()
    assert data["environments"] == ["prod"] and data["basis"]["mode"] == "sandbox"
    assert data["summary"]["controls"] >= 40 and "issues" in data
    assert written.read_text().startswith("# Compliance report: prod")
    # The global --json works the same, and --out is honoured.
    out = downloaded / "r.html"
    r = cli("--json", "report", "--env", "prod", "--artifacts", str(downloaded), "--out", str(out))
    assert r.code == 0 and json.loads(r.out)["path"] == str(out) and out.read_text().startswith("<!DOCTYPE html>")


def test_report_json_stdout_is_the_report_document(cli: Callable[..., Run], downloaded: Path) -> None:
    r = cli("report", "--env", "prod", "--artifacts", str(downloaded), "--format", "md", "--json", "--stdout")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["kind"] == "infra-compliance-report" and doc["schema_version"] == 2
    assert not (downloaded / "prod" / "compliance-report.md").exists()
    md = cli("report", "--env", "prod", "--artifacts", str(downloaded), "--format", "md", "--stdout")
    assert md.out.startswith("# Compliance report: prod")


def test_report_error_is_json_on_stdout_with_json(cli: Callable[..., Run], tmp_path: Path) -> None:
    r = cli("report", "--env", "prod", "--artifacts", str(tmp_path / "none"), "--format", "md", "--json")
    assert r.code == 1
    assert "no artifacts directory" in json.loads(r.out)["error"]
    assert r.err.startswith("error: ")


def test_failing_gate_prints_its_decision_json_and_exits_1(cli: Callable[..., Run], downloaded: Path, tmp_path: Path) -> None:
    # eu-west fails CKV_AWS_338 (MEDIUM): at --fail-on MEDIUM the gate fails.
    r = cli("gate", "--env", "prod", "--artifacts", str(downloaded), "--fail-on", "MEDIUM", "--json",
            "--out", str(tmp_path / "gate"))
    assert r.code == 1
    decision = json.loads(r.out)
    assert decision["passed"] is False and decision["exit_code"] == 1
    assert any(f["check_id"] == "CKV_AWS_338" for f in decision["blocking"])
    assert r.err.strip().splitlines()[-1].startswith("FAIL prod")


def test_gate_that_cannot_judge_still_prints_json(cli: Callable[..., Run], tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    r = cli("--json", "gate", "--env", "prod", "--artifacts", str(empty))
    assert r.code == 1
    decision = json.loads(r.out)
    assert decision["passed"] is False and decision["exit_code"] == 1 and decision["environment"] == "prod"
    assert decision["error"] and decision["reason"] == f"error: {decision['error']}"
    assert r.err.startswith("error: ")
    # Without --json, stdout stays empty as before.
    plain = cli("gate", "--env", "prod", "--artifacts", str(empty))
    assert plain.code == 1 and plain.out == ""
