"""Issue 11: what proves nothing is an error, never a pass; issue 17: inputs without bounds.

A plan of nothing of ours, an empty settings file, a misspelt key, a scan that ran no check,
a gate given nothing to judge; a FIFO or an oversized settings or policy file.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.robustness.helpers import ENV, REGION, cli_env, copy_project, infra_argv, plan_args, session_cache
from tests.support import REPO, SCHEMA
from toolkit.errors import UserError


@pytest.fixture(autouse=True)
def _sandbox(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setenv("INFRA_PROVIDER_SCHEMA", str(SCHEMA))
    monkeypatch.setenv("INFRA_CACHE_DIR", str(session_cache(tmp_path_factory)))


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "proj")


def _plan(infra: Callable[..., Result], proj: Path, *extra: str) -> Result:
    return infra("--project", str(proj), "--artifacts", str(proj / ".infra"), *plan_args("--no-scan", *extra))


def _one_error(result: Result) -> str:
    assert result.code == 1, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    return lines[0]


# ---------------------------------------------------------------- plans of nothing of ours


def _stub_stack(proj: Path, body: str) -> None:
    """Keep the stack's variables and provider; replace its resources with ``body``."""
    for name in ("main.tf", "karpenter.tf", "outputs.tf"):
        (proj / "terraform" / name).unlink()
    (proj / "modules" / "stub").mkdir()
    (proj / "modules" / "stub" / "main.tf").write_text('variable "x" {\n  default = 1\n}\n')
    (proj / "terraform" / "main.tf").write_text(body)


def _failed_region(result: Result, proj: Path, words: str) -> None:
    assert result.code == 1, result.err
    assert "matches the configuration" not in result.err and f"{ENV}/{REGION}: No changes" not in result.err
    assert f"{ENV}/{REGION} failed at show: " in result.err and words in result.err, result.err
    rdir = proj / ".infra" / ENV / REGION
    status = json.loads((rdir / "status.json").read_text())
    assert status["status"] == "failed" and words in status["error"]
    for name in ("tfplan", "plan.json", "plan.sha256", "summary.json"):  # nothing that passes for a plan
        assert not (rdir / name).exists(), name


def test_a_plan_without_resource_changes_is_an_error(infra: Callable[..., Result], proj: Path) -> None:
    _stub_stack(proj, 'module "stub" {\n  source = "../modules/stub"\n}\n')
    _failed_region(_plan(infra, proj), proj, "the plan has no resource_changes")


def test_a_plan_with_no_aws_resource_is_an_error(infra: Callable[..., Result], proj: Path) -> None:
    _stub_stack(proj, 'module "stub" {\n  source = "../modules/stub"\n}\n\nresource "terraform_data" "x" {}\n')
    _failed_region(_plan(infra, proj), proj, "resource change(s) include no aws_ resource")


def test_check_plan_rules() -> None:
    from toolkit.plan.pipeline import check_plan

    ok = {"resource_changes": [{"type": "aws_vpc", "mode": "managed", "change": {"actions": ["no-op"]}}]}
    check_plan(ok)  # unchanged resources of ours: a real "No changes"
    for bad in ({}, {"resource_changes": None}, {"resource_changes": []},
                {"resource_changes": [{"type": "aws_caller_identity", "mode": "data"}]},
                {"resource_changes": [{"type": "null_resource", "mode": "managed"}]}):
        with pytest.raises(UserError, match="refusing to report it as 'No changes'"):
            check_plan(bad)


# ---------------------------------------------------------------- settings files


@pytest.mark.parametrize("content", ["", "\n\n", "# only a comment\n", "---\n", "[]\n", "~\n", "just a string\n"])
@pytest.mark.parametrize("name", [f"{REGION}.yaml", "env.yaml"])
def test_an_empty_settings_file_is_one_line_naming_it(infra: Callable[..., Result], proj: Path, name: str,
                                                      content: str) -> None:
    path = proj / "environments" / ENV / name
    path.write_text(content)
    message = _one_error(_plan(infra, proj))
    assert message.startswith(f"error: {path}") and ("mapping" in message or "empty" in message), message
    assert not (proj / ".infra" / ENV / REGION).exists()


def test_a_misspelt_top_level_key_is_unknown_where_it_is(infra: Callable[..., Result], proj: Path) -> None:
    path = proj / "environments" / ENV / f"{REGION}.yaml"
    lines = path.read_text().splitlines(keepends=True)
    line = next(i for i, text in enumerate(lines, 1) if text.startswith("network:"))
    path.write_text("".join(lines).replace("\nnetwork:", "\nnetwrok:"))
    message = _one_error(_plan(infra, proj))
    assert message.startswith(f"error: {path}:{line}: netwrok: unknown key"), message
    assert "env.yaml" not in message and "missing" not in message


def _bounded(argv: list[str], env: dict[str, str], timeout: float = 60) -> tuple[subprocess.CompletedProcess[str],
                                                                                  float]:
    started = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"{' '.join(argv[3:])} still running after {timeout}s (blocked on a FIFO?)")
    return subprocess.CompletedProcess(argv, proc.returncode, out, err), time.monotonic() - started


@pytest.fixture
def fifo_project(proj: Path) -> Iterator[Path]:
    path = proj / "environments" / ENV / f"{REGION}.yaml"
    path.unlink()
    os.mkfifo(path)
    yield proj


def test_a_fifo_settings_file_fails_at_once(fifo_project: Path, tmp_path: Path) -> None:
    path = fifo_project / "environments" / ENV / f"{REGION}.yaml"
    result, seconds = _bounded(infra_argv(fifo_project, fifo_project / ".infra", *plan_args("--no-scan")),
                               cli_env(tmp_path / "cache"))
    assert result.returncode == 1, result.stderr
    assert f"error: {path}: a FIFO, not a regular file" in result.stderr, result.stderr
    assert seconds < 30, seconds  # the CLI's start-up on a loaded machine; a blocking open never returns


def test_an_oversized_settings_file_fails_at_once(proj: Path, tmp_path: Path) -> None:
    path = proj / "environments" / ENV / f"{REGION}.yaml"
    with path.open("a") as fh:
        fh.write(("# padding " + "x" * 90 + "\n") * (2 * 1024 * 1024 // 100 + 1))  # 2 MiB
    assert path.stat().st_size > 2 * 1024 * 1024
    result, seconds = _bounded(infra_argv(proj, proj / ".infra", *plan_args("--no-scan")), cli_env(tmp_path / "c"))
    assert result.returncode == 1 and f"error: {path}: {path.stat().st_size} bytes, over the 1 MiB limit" \
        in result.stderr, result.stderr
    assert seconds < 30, seconds


def test_policy_files_have_the_same_bounds(tmp_path: Path) -> None:
    from toolkit.policy.files import read_policy_file
    from toolkit.policy.waivers import WaiverFile

    fifo = tmp_path / "waivers.yaml"
    os.mkfifo(fifo)
    signal.alarm(20)  # a blocking open would hang the suite: fail it instead
    try:
        with pytest.raises(UserError, match=r"waivers\.yaml: a FIFO, not a regular file"):
            read_policy_file(fifo, WaiverFile)
    finally:
        signal.alarm(0)
    big = tmp_path / "severity.yaml"
    big.write_text("severity: {}\n" + "#" * (1 << 20))
    with pytest.raises(UserError, match=r"severity\.yaml: \d+ bytes, over the 1 MiB limit"):
        read_policy_file(big, WaiverFile)


# ---------------------------------------------------------------- scan and gate


def _checks_on_all_but_plans(_root: Path, files: list[Path], *_a: object, **_k: object) -> list[dict[str, object]]:
    """checkov as if it checked the HCL and the manifests, and could not read the plans."""
    passed = [{"check_id": "CKV_AWS_1", "check_name": "a check", "resource": "r", "file_path": f"/{f.name}",
               "file_abs_path": str(f), "file_line_range": [1, 2]} for f in files if f.name != "plan.json"]
    return [{"check_type": "terraform", "results": {"passed_checks": passed}}]


@pytest.mark.parametrize("checked", ["nothing", "all-but-the-plan"])
def test_a_scan_that_ran_no_check_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, checked: str) -> None:
    from tests.policy import builders
    from toolkit.adapters import checkov
    from toolkit.scan.run import scan_regions

    art = tmp_path / "art"
    builders.write_region(art, ENV, REGION)
    (art / ENV / REGION / "findings.json").write_text("{}")  # an older one must not survive
    fake = (lambda *a, **k: []) if checked == "nothing" else _checks_on_all_but_plans
    monkeypatch.setattr(checkov, "run_checkov", fake)  # checkov ran, and checked nothing (of the plan)
    with pytest.raises(UserError) as err:
        scan_regions(REPO, art, ENV, [REGION], cache_dir=tmp_path / "cache")
    message = str(err.value)
    assert f"{art / ENV / REGION / 'plan.json'}: checkov ran no checks on this plan ({ENV}/{REGION})" in message
    assert "not a pass" in message
    assert not (art / ENV / REGION / "findings.json").exists()
    for entry in (tmp_path / "cache").glob("*.json"):  # the empty result of a plan is never cached
        data = json.loads(entry.read_text())
        assert data["kind"] != "plan" or data["records"], entry


def test_a_plan_without_planned_resources_rests_on_its_other_checks(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan.json with nothing checkov can check (e.g. the report fixtures, resource_changes only):
    the region's HCL and manifests were checked, so the scan stands (the plan itself fails closed
    at plan time, :func:`toolkit.plan.pipeline.check_plan`)."""
    from tests.policy import builders
    from toolkit.adapters import checkov
    from toolkit.scan.run import scan_regions

    art = tmp_path / "art"
    rdir = builders.write_region(art, ENV, REGION)
    plan = json.loads((rdir / "plan.json").read_text())
    plan["planned_values"] = {"root_module": {}}
    (rdir / "plan.json").write_text(json.dumps(plan))
    monkeypatch.setattr(checkov, "run_checkov", _checks_on_all_but_plans)
    result = scan_regions(REPO, art, ENV, [REGION], cache_dir=tmp_path / "cache")[REGION]
    assert result.passed and (rdir / "findings.json").is_file()


def _gate(infra: Callable[..., Result], artifacts: Path) -> Result:
    return infra("--project", str(REPO), "gate", "--env", ENV, "--artifacts", str(artifacts),
                 "--out", str(artifacts.parent / "gate-out"))


def test_a_gate_given_nothing_fails_naming_what_is_missing(infra: Callable[..., Result], tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    message = _one_error(_gate(infra, empty))
    assert f"{empty / ENV}: no artifacts for environment {ENV!r}" in message and "has nothing" in message
    missing = tmp_path / "missing"
    assert f"{missing}: no artifacts directory" in _one_error(_gate(infra, missing))
    other = tmp_path / "other"
    (other / "prod" / "us-east").mkdir(parents=True)
    assert f"{other} has prod" in _one_error(_gate(infra, other))
    (other / ENV / "eu-central").mkdir(parents=True)  # an empty region directory is not artifacts
    message = _one_error(_gate(infra, other))
    assert f"{other / ENV}: no artifacts for region(s) eu-central, us-east" in message, message


def test_a_gate_fails_a_running_or_interrupted_plan(infra: Callable[..., Result], tmp_path: Path) -> None:
    from tests.robustness.test_artifact_links import _scanned_region

    art = tmp_path / "art"
    for region in ("eu-central", "us-east"):
        _scanned_region(art, region)
    assert _gate(infra, art).code == 0
    status = art / ENV / REGION / "status.json"
    for state in ("running", "interrupted"):
        status.write_text(json.dumps({"schema_version": 1, "status": state, "stage": "plan", "pid": 1,
                                      "error": "the run died" if state == "interrupted" else None}))
        result = _gate(infra, art)
        assert result.code == 1 and f"{REGION}: plan did not finish (status.json: {state}" in result.err, result.err
    shutil.rmtree(art / ENV / REGION)
    assert "no artifacts for region(s) us-east" in _gate(infra, art).err
