"""checkov (offline, built-in checks only) over the repo's HCL, once per session.

One process per root directory, started together: ``modules/`` (every module with its
examples) and ``terraform/`` (the root stack). A module's own view is the part of the
``modules/`` run whose files lie under it (``checkov -d modules/karpenter`` gives the same).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support import REPO, venv_tool

Report = dict[str, Any]
KINDS = ("passed_checks", "failed_checks", "skipped_checks")


@dataclass(frozen=True)
class CheckovRun:
    directory: Path
    reports: list[Report]

    @property
    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = self.reports[0]["summary"]
        return summary

    def results(self, kind: str, under: str | None = None) -> list[dict[str, Any]]:
        """``kind`` results (passed_checks, failed_checks, skipped_checks), optionally of files under ``under``."""
        prefix = f"/{under.strip('/')}/" if under else "/"
        return [c for r in self.reports for c in r["results"].get(kind, []) if c["file_path"].startswith(prefix)]


def run_checkov(directories: Sequence[Path]) -> dict[Path, CheckovRun]:
    checkov = venv_tool("checkov")
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE"}  # no download of guideline mappings (offline)
    procs = {
        d: subprocess.Popen(
            [str(checkov), "-d", str(d), "--framework", "terraform", "--skip-download", "--compact", "-o", "json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=env,
        )
        for d in directories
    }
    runs = {}
    for d, proc in procs.items():
        out, err = proc.communicate(timeout=600)
        assert out.strip(), f"checkov -d {d} printed nothing (exit {proc.returncode}): {err[-2000:]}"
        data = json.loads(out)
        runs[d] = CheckovRun(d, data if isinstance(data, list) else [data])
    return runs


@functools.lru_cache(maxsize=1)
def builtin_list() -> str:
    """``checkov --list --framework terraform`` (offline): the table of built-in checks, once per session."""
    proc = subprocess.run(
        [str(venv_tool("checkov")), "--list", "--framework", "terraform", "--skip-download"],
        capture_output=True, text=True, timeout=300, check=True, env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    return proc.stdout
