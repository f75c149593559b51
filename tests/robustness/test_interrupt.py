"""Issues 11 and 17: Ctrl-C stops a run cleanly; after SIGKILL the next run recovers by itself.

Real subprocesses, real Terraform, the real sandbox provider; the signal comes at a random
moment (``INFRA_TEST_SEED`` replays one) of a bounded number of short trials.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
from pathlib import Path

import pytest

from tests.robustness.helpers import (
    ENV,
    REGION,
    assert_consistent,
    copy_project,
    processes,
    run,
    session_cache,
    start,
    status,
    wait_for,
)
from toolkit.artifacts.layout import RegionLayout
from toolkit.artifacts.lock import acquire

PROD = ("eu-central", "eu-west", "us-east", "us-west")
KILL_STAGES = ("render", "init", "plan", "show")


def _seed() -> int:
    return int(os.environ.get("INFRA_TEST_SEED", time.time()))


def _running(rdir: Path, pid: int, stages: tuple[str, ...]) -> bool:
    st = status(rdir) or {}
    return st.get("pid") == pid and st.get("status") == "running" and st.get("stage") in stages


def _children_gone(art: Path, timeout: float = 15) -> list[str]:
    """Processes that still mention the artifacts tree (Terraform runs there) after ``timeout``."""
    wait_for(lambda: not processes(str(art)), timeout, step=0.2)
    return processes(str(art))


def _reattach_dirs(cache: Path, pid: int) -> list[Path]:
    found = []
    for base in {cache, Path(os.environ.get("TMPDIR", "/tmp")), Path("/tmp")}:
        for d in base.glob("reattach-*"):
            try:
                if int((d / "owner.pid").read_text()) == pid:
                    found.append(d)
            except (OSError, ValueError):
                pass
    return found


def _servers_of(dirs: list[Path]) -> list[str]:
    return [p for d in dirs for p in processes(str(d))]


@pytest.mark.slow
def test_ctrl_c_stops_plan_all(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    """SIGINT to `plan --all` (as a terminal sends it, to the toolkit's process group) at a random
    moment of the first region: queued regions never start, Terraform gets its own interrupt,
    every status.json says interrupted, the locks are free, exit 130 within seconds."""
    seed = _seed()
    rng = random.Random(seed)
    cache = session_cache(tmp_path_factory)
    project = copy_project(tmp_path / "proj")
    figures = []
    for trial in range(2):
        art = tmp_path / f"art{trial}"
        proc = start(project, art, cache, "plan", "--all", "--env", "prod", "--sandbox", "--no-scan",
                     "--parallelism", "1")
        first = art / "prod" / PROD[0]
        assert wait_for(lambda d=first, pid=proc.pid: _running(d, pid, ("init", "plan")), 120), f"seed {seed}"
        # A random moment of the first region's work (on an idle machine a region plans in a
        # few seconds, so the window is short; a region that finished first stays "ok").
        time.sleep(rng.uniform(0.0, 1.0))
        stage = (status(first) or {}).get("stage")
        sent = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)  # Terraform children are in their own sessions: only the toolkit gets it
        _out, err = proc.communicate(timeout=60)
        seconds = time.monotonic() - sent
        figures.append(f"exit {proc.returncode} {seconds:.1f}s after SIGINT at {stage}")
        assert proc.returncode == 130, f"seed {seed}: {err}"
        assert seconds < 20, figures
        states = {r: status(art / "prod" / r) for r in PROD}
        assert all(s is not None and s["status"] in ("interrupted", "ok") for s in states.values()), (seed, states)
        interrupted = [r for r in PROD if states[r]["status"] == "interrupted"]  # type: ignore[index]
        assert interrupted and interrupted == list(PROD[len(PROD) - len(interrupted):]), (seed, states)  # none after it ran
        running = states[interrupted[0]]
        assert running is not None
        if running["stage"] != "queued":
            assert running["stage"] in ("init", "plan", "show"), running
            # Terraform stopped by the signal exits 1 and says so; one that finished its step in
            # the same instant exits 0 or 2 (plan -detailed-exitcode) and the run stops after it.
            if running["error"].startswith("interrupted: terraform") and "(exit 1)" in running["error"]:
                log = art / "prod" / interrupted[0] / "plan.log"
                text = log.read_text()  # Terraform's own interrupt, in plan or during init
                assert any(m in text for m in ("Interrupt received.", "canceled by an interrupt signal",
                                               "interrupted before Terraform started")), text[-500:]
        for queued in interrupted[1:]:
            assert states[queued]["stage"] == "queued", states[queued]  # type: ignore[index]
            assert not (art / "prod" / queued / "plan.log").exists()  # never started
        assert not _children_gone(art), f"seed {seed}"
        for region in PROD:  # the locks were released
            acquire(RegionLayout.of(art, "prod", region), command="test").release()
        assert not list(first.glob(".*.tmp")) and not list((first / ".private").glob("*"))
    print("; ".join(figures), f"(seed {seed})")


@pytest.mark.slow
def test_sigkill_then_rerun_recovers(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    """SIGKILL `plan` and `plan --all` at a random moment: no Terraform or provider process is left,
    nothing is half-written, the gate fails the dead run, and a re-run succeeds without cleanup."""
    seed = _seed()
    rng = random.Random(seed)
    cache = session_cache(tmp_path_factory)
    project = copy_project(tmp_path / "proj")
    art = project / ".infra"
    figures = []
    for args in (("plan", REGION, "--env", ENV, "--sandbox", "--no-scan"),
                 ("plan", "--all", "--env", ENV, "--sandbox", "--no-scan", "--parallelism", "2")):
        rdir = art / ENV / REGION
        proc = start(project, art, cache, *args)
        assert wait_for(lambda d=rdir, pid=proc.pid: _running(d, pid, KILL_STAGES), 120), f"seed {seed}"
        time.sleep(rng.uniform(0.0, 1.0))
        stage = (status(rdir) or {}).get("stage")
        assert proc.poll() is None, f"seed {seed}: the run ended before the kill ({stage}): nothing tested"
        proc.kill()
        proc.communicate(timeout=30)
        figures.append(f"killed at {stage}")
        dead_dirs = _reattach_dirs(cache, proc.pid)
        assert not _children_gone(art), f"seed {seed}: Terraform outlived the toolkit"
        assert wait_for(lambda dirs=dead_dirs: not _servers_of(dirs), 15, step=0.2), f"seed {seed}: provider left running"
        for region_dir in (art / ENV).iterdir():  # whatever is there is whole
            for name in ("status.json", "summary.json", "plan.json", "findings.json"):
                if (region_dir / name).is_file():
                    json.loads((region_dir / name).read_text())
        st = status(rdir)
        if st is not None and st["status"] == "running":  # the gate fails a run that never finished
            gate = run(project, art, cache, "gate", "--env", ENV, "--region", REGION, "--out", str(tmp_path / "g"))
            assert gate.returncode == 1 and "plan did not finish (status.json: running" in gate.stderr, gate.stderr
        again = run(project, art, cache, *args)
        assert again.returncode == 0, f"seed {seed}, killed at {stage}: {again.stderr}"
        if st is not None and st["status"] == "running":
            assert "marked interrupted" in again.stderr, again.stderr
        assert "cleared a stale lock of pid" in again.stderr, again.stderr
        for region_dir in (art / ENV).iterdir():
            if region_dir.is_dir():
                assert_consistent(region_dir, findings=False)
        assert not _reattach_dirs(cache, proc.pid), "the dead run's socket directory is still there"
    print("; ".join(figures), f"(seed {seed})")
