"""What the robustness tests share: a private project copy, the CLI as a real subprocess,
one planned region copied for each case, and checks that a region directory is consistent.

The test modules wrap these in their own fixtures (no conftest: the suite's fixtures are
another area's). The planned region is made once per session and copied for each case.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support import REPO, SCHEMA

ENV, REGION = "staging", "us-east"
_PLANNED: dict[str, Path] = {}


def copy_project(dst: Path) -> Path:
    """The parts of the repository that a plan reads, in a private copy."""
    for sub in ("environments", "terraform", "modules", "policy"):
        shutil.copytree(REPO / sub, dst / sub, ignore=shutil.ignore_patterns(".terraform", "tests", "examples"))
    return dst


def cli_env(cache: Path) -> dict[str, str]:
    """A child environment: sandbox schema, a cache of the session, no AWS credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "INFRA_"))}
    env.update(NO_COLOR="1", INFRA_PROVIDER_SCHEMA=str(SCHEMA), INFRA_CACHE_DIR=str(cache),
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true")
    return env


def infra_argv(project: Path, artifacts: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "toolkit", "--project", str(project), "--artifacts", str(artifacts), *args]


def plan_args(*extra: str, region: str = REGION, env: str = ENV) -> tuple[str, ...]:
    return ("plan", region, "--env", env, "--sandbox", *extra)


def start(project: Path, artifacts: Path, cache: Path, *args: str) -> subprocess.Popen[str]:
    """``infra ARGS`` in its own session (as a terminal would run it), output captured."""
    return subprocess.Popen(infra_argv(project, artifacts, *args), env=cli_env(cache), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True, cwd=project)


def run(project: Path, artifacts: Path, cache: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(infra_argv(project, artifacts, *args), env=cli_env(cache), capture_output=True, text=True,
                          timeout=timeout, cwd=project)


def status(region_dir: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads((region_dir / "status.json").read_text())
    except (OSError, ValueError):
        return None
    return data


def wait_for(what: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        if what():
            return True
        time.sleep(step)
    return what()


def processes(needle: str) -> list[str]:
    """Command lines of running processes that mention ``needle`` (``ps``)."""
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True, check=True).stdout
    return [line.strip() for line in out.splitlines() if needle in line and "ps -eo" not in line]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_consistent(region_dir: Path, *, findings: bool | None = None) -> dict[str, Any]:
    """Every artifact of a finished region run is complete and belongs to the same plan."""
    from toolkit.plan.summary import summarise

    st = status(region_dir)
    assert st is not None and st["status"] == "ok" and st["stage"] == "done", st
    digest = sha256(region_dir / "tfplan")
    assert (region_dir / "plan.sha256").read_text() == f"{digest}  tfplan\n"
    plan = json.loads((region_dir / "plan.json").read_text())
    summary = json.loads((region_dir / "summary.json").read_text())
    assert summary["plan_sha256"] == digest
    expected = summarise(plan)
    assert summary["counts"] == expected["counts"] and summary["changes"] == expected["changes"]
    leftovers = [p.name for p in region_dir.iterdir() if p.name.endswith(".tmp")]
    leftovers += [p.name for p in (region_dir / ".private").iterdir()] if (region_dir / ".private").is_dir() else []
    assert not leftovers, leftovers
    doc = region_dir / "findings.json"
    if findings is not None:
        assert doc.is_file() == findings, f"findings.json present: {doc.is_file()}"
    if doc.is_file():  # findings of this plan, never of an earlier one
        assert json.loads(doc.read_text())["inputs"]["plan.json"] == sha256(region_dir / "plan.json")
    return summary


def session_cache(factory: pytest.TempPathFactory) -> Path:
    """One infra cache (sandbox mirror, scan cache) for the robustness tests of the session."""
    if "cache" not in _PLANNED:
        _PLANNED["cache"] = factory.mktemp("robust-cache")
    return _PLANNED["cache"]


def planned_project(factory: pytest.TempPathFactory) -> Path:
    """A project copy with ``.infra/staging/us-east`` planned once (sandbox, no scan); copy it per case."""
    if "root" not in _PLANNED:
        project = copy_project(factory.mktemp("planned") / "proj")
        result = run(project, project / ".infra", session_cache(factory), *plan_args("--no-scan"))
        assert result.returncode == 0, result.stderr
        _PLANNED["root"] = project
    return _PLANNED["root"]


def copy_case(planned: Path, dst: Path) -> Path:
    """A private copy of the planned project (its region directory included)."""
    shutil.copytree(planned, dst, symlinks=True)
    work = dst / ".infra" / ENV / REGION / "work"
    (work / "modules").unlink()
    (work / "modules").symlink_to(dst / "modules", target_is_directory=True)
    return dst
