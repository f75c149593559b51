"""Issue 11: one lock per region run, whole; a conflict is named at once; dead runs are recovered."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.robustness.helpers import (
    ENV,
    REGION,
    assert_consistent,
    copy_case,
    plan_args,
    planned_project,
    session_cache,
    start,
    status,
    wait_for,
)
from tests.support import REPO, SCHEMA
from toolkit.artifacts.layout import RegionLayout
from toolkit.artifacts.lock import Holder, LockHeld, acquire, parse_duration


@pytest.fixture(autouse=True)
def _sandbox(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setenv("INFRA_PROVIDER_SCHEMA", str(SCHEMA))
    monkeypatch.setenv("INFRA_CACHE_DIR", str(session_cache(tmp_path_factory)))


def _layout(artifacts: Path, region: str = REGION) -> RegionLayout:
    return RegionLayout.of(artifacts, ENV, region)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_durations() -> None:
    assert parse_duration("0s") == 0 and parse_duration("1m30s") == 90 and parse_duration("500ms") == 0.5
    assert parse_duration(None) == 0 and parse_duration("2h") == 7200


def test_a_held_lock_is_named_at_once(tmp_path: Path) -> None:
    held = acquire(_layout(tmp_path), command="infra plan")
    try:
        started = time.monotonic()
        with pytest.raises(LockHeld) as err:
            acquire(_layout(tmp_path), command="infra plan")
        assert time.monotonic() - started < 0.5
        message = str(err.value)
        assert message.startswith(f"{ENV}/{REGION}: locked by another infra run: pid {os.getpid()} on host "
                                  f"{socket.gethostname()} since {held.holder.started} (infra plan)"), message
        assert "--lock-timeout DURATION" in message and "\n" not in message
    finally:
        held.release()
    acquire(_layout(tmp_path), command="infra plan").release()  # released: free again


def test_lock_timeout_waits_for_the_holder(tmp_path: Path) -> None:
    held = acquire(_layout(tmp_path), command="infra plan")
    timer = threading.Timer(0.6, held.release)
    timer.start()
    notes: list[str] = []
    started = time.monotonic()
    lock = acquire(_layout(tmp_path), command="infra scan", wait=30, note=notes.append)
    waited = time.monotonic() - started
    lock.release()
    assert 0.5 <= waited < 5, waited
    assert notes and notes[0].startswith(f"{ENV}/{REGION}: waiting up to 30s for the lock held by pid {os.getpid()}")
    with pytest.raises(LockHeld, match=r"still held after waiting 0\.[0-9]s"):
        other = acquire(_layout(tmp_path), command="infra plan")
        try:
            acquire(_layout(tmp_path), command="infra plan", wait=0.3)
        finally:
            other.release()


def test_a_stale_lock_of_a_dead_run_clears_itself_and_recovers_its_directory(tmp_path: Path) -> None:
    layout = _layout(tmp_path)
    layout.private.mkdir(parents=True)
    dead = _dead_pid()
    stale = Holder(dead, socket.gethostname(), "2026-01-01T00:00:00+00:00", "infra plan")
    layout.lock.write_bytes(stale.dump())
    (layout.private / "tfplan.tmp").write_bytes(b"half a plan")
    (layout.root / ".plan.json.1a2b3c4d.tmp").write_text("{")
    (layout.stack).mkdir(parents=True)
    (layout.stack / ".backend_override.tf.x1.tmp").write_text("")
    layout.status.write_text(json.dumps({"schema_version": 1, "status": "running", "stage": "plan", "pid": dead,
                                         "host": socket.gethostname()}))
    notes: list[str] = []
    lock = acquire(layout, command="infra plan", note=notes.append)
    try:
        assert any(f"cleared a stale lock of pid {dead} on host {socket.gethostname()} since "
                   "2026-01-01T00:00:00+00:00 (infra plan) (process gone)" in n for n in notes), notes
        assert any(f"status.json said running at plan, but pid {dead} on host {socket.gethostname()} is gone: "
                   "marked interrupted" in n for n in notes), notes
        assert any("removed 3 temp file(s)" in n for n in notes), notes
        st = json.loads(layout.status.read_text())
        assert st["status"] == "interrupted" and "the run died at stage plan" in st["error"]
        assert not list(layout.private.iterdir()) and not list(layout.root.glob(".*.tmp"))
        assert not list(layout.stack.glob(".*.tmp"))
        assert Holder.parse(layout.lock.read_bytes()) == lock.holder  # the lock file names its holder
    finally:
        lock.release()
    assert layout.lock.read_bytes() == b""  # released cleanly: nothing stale for the next run


def test_plan_scan_and_render_report_a_held_lock_at_once(tmp_path: Path, infra: Callable[..., Result]) -> None:
    from tests.policy import builders

    art = tmp_path / "art"
    builders.write_region(art, ENV, REGION)
    before = (art / ENV / REGION / "status.json").read_text()
    held = acquire(_layout(art), command="infra plan")
    try:
        manifests = {p: p.read_bytes() for p in (art / ENV / REGION).rglob("*") if p.is_file()}
        for args in (("scan", REGION, "--env", ENV), plan_args("--no-scan"), ("render", REGION, "--env", ENV)):
            started = time.monotonic()
            result = infra("--project", str(REPO), "--artifacts", str(art), *args)
            seconds = time.monotonic() - started
            assert result.code == 1, result.err
            assert f"locked by another infra run: pid {os.getpid()}" in result.err, result.err
            assert seconds < 10, seconds  # nothing ran: no sandbox, no checkov, no Terraform
    finally:
        held.release()
    assert (art / ENV / REGION / "status.json").read_text() == before  # the losers touched nothing
    assert {p: p.read_bytes() for p in (art / ENV / REGION).rglob("*") if p.is_file() and p.name != ".lock"} == \
        {p: b for p, b in manifests.items() if p.name != ".lock"}
    rendered = infra("--project", str(REPO), "--artifacts", str(art), "render", REGION, "--env", ENV)
    assert rendered.code == 0, rendered.err  # released: render runs, and rewrites the inputs


# ---------------------------------------------------------------- two real runs at once


def _wait(proc: subprocess.Popen[str], timeout: float = 300) -> tuple[int, str]:
    _out, err = proc.communicate(timeout=timeout)
    return proc.returncode, err


@pytest.mark.slow
def test_two_plans_of_one_region_at_once(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    """N=3 trials with real plans: the second run fails at once naming the first (during its plan, during
    its scan), or waits with --lock-timeout; afterwards every artifact is whole and of one plan."""
    seed = int(os.environ.get("INFRA_TEST_SEED", time.time()))
    rng = random.Random(seed)
    cache = session_cache(tmp_path_factory)
    project = copy_case(planned_project(tmp_path_factory), tmp_path / "proj")
    art = project / ".infra"
    rdir = art / ENV / REGION
    lock_file = rdir / ".lock"
    figures: list[str] = []
    for trial in ("during-scan", "during-plan", "waits"):
        scan = trial == "during-scan"
        if scan:  # the first run's plan is done and its scan runs: the case that lost findings.json
            first = start(project, art, cache, *plan_args())
            assert wait_for(lambda pid=first.pid: (status(rdir) or {}).get("pid") == pid
                            and (status(rdir) or {}).get("status") == "ok", 240), f"seed {seed}"
        else:  # `--all` locks us-east for both regions' plans
            first = start(project, art, cache, "plan", "--all", "--env", ENV, "--sandbox", "--no-scan",
                          "--parallelism", "1")
            assert wait_for(lambda pid=first.pid: lock_file.is_file()
                            and f'"pid": {pid}'.encode() in lock_file.read_bytes(), 120), f"seed {seed}"
            time.sleep(rng.uniform(0.0, 0.5))
        # The first run is frozen while it holds the lock, so the second surely meets it however fast this
        # machine plans (a fast CI runner once finished both regions inside a random sleep).
        os.killpg(first.pid, signal.SIGSTOP)
        assert first.poll() is None and f'"pid": {first.pid}'.encode() in lock_file.read_bytes(), \
            f"seed {seed}, {trial}: the first run no longer held the lock when it was paused"
        extra = ("--no-scan", "--lock-timeout", "5m") if trial == "waits" else ("--no-scan",)
        started = time.monotonic()
        second = start(project, art, cache, *plan_args(*extra))
        if trial == "waits":
            err_lines: list[str] = []
            reader = threading.Thread(target=err_lines.extend, args=(second.stderr or [],), daemon=True)
            reader.start()
            waiting = wait_for(lambda lines=err_lines: any("waiting up to" in line for line in lines), 120)
            os.killpg(first.pid, signal.SIGCONT)
            assert waiting, f"seed {seed}: the second run never waited: {err_lines}"
            code2 = second.wait(timeout=300)
            reader.join(30)
            err2 = "".join(err_lines)
        else:
            try:
                code2, err2 = _wait(second)
            finally:
                os.killpg(first.pid, signal.SIGCONT)
        seconds = time.monotonic() - started
        code1, err1 = _wait(first)
        assert code1 == 0, f"seed {seed}, {trial}: {err1}"
        if trial == "waits":
            assert code2 == 0, f"seed {seed}: {err2}"
            assert f"waiting up to 300s for the lock held by pid {first.pid}" in err2, err2
            st = status(rdir)
            assert st is not None and st["pid"] == second.pid  # the artifacts are the second plan's
            assert_consistent(rdir, findings=False)  # the second plan's, whole
            assert_consistent(art / ENV / "eu-central", findings=False)  # the first run's other region
        else:
            assert code2 == 1, f"seed {seed}, {trial}: {err2}"
            assert f"locked by another infra run: pid {first.pid} on host {socket.gethostname()}" in err2, err2
            figures.append(f"{trial}: conflict reported in {seconds:.1f}s (process start to exit)")
            assert seconds < 30, figures  # CLI start-up on a loaded machine; the lock itself is instant
            assert_consistent(rdir, findings=scan)
            if not scan:
                assert_consistent(art / ENV / "eu-central", findings=False)
    print("; ".join(figures))
