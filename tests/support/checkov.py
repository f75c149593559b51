"""checkov (offline, built-in checks only) over the repo's HCL, once per session.

One process per root directory, started together: ``modules/`` (every module with its
examples) and ``terraform/`` (the root stack). A module's own view is the part of the
``modules/`` run whose files lie under it (``checkov -d modules/karpenter`` gives the same).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
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


class CheckovJob:
    """``checkov -d DIR`` for each directory, started at once in the background (output to files).

    The session starts it as soon as collection shows a test needs it, so it runs while the
    first tests do; :meth:`results` waits for it.
    """

    def __init__(self, directories: Sequence[Path], workdir: Path) -> None:
        self.workdir = workdir
        checkov = shutil.which("checkov", path=str(Path(sys.executable).parent))
        self.error = None if checkov else f"checkov is not installed next to {sys.executable}"
        self.procs: dict[Path, tuple[subprocess.Popen[bytes], Path, Path]] = {}
        self._runs: dict[Path, CheckovRun] | None = None
        env = {**os.environ, "BC_SKIP_MAPPING": "TRUE"}  # no download of guideline mappings (offline)
        for i, d in enumerate(directories if checkov else ()):
            out, err = workdir / f"checkov-{i}.json", workdir / f"checkov-{i}.err"
            with open(out, "wb") as fo, open(err, "wb") as fe:
                proc = subprocess.Popen(
                    [str(checkov), "-d", str(d), "--framework", "terraform", "--skip-download", "--compact",
                     "-o", "json"], stdin=subprocess.DEVNULL, stdout=fo, stderr=fe, cwd=REPO, env=env,
                )
            self.procs[d] = (proc, out, err)

    def results(self, timeout: float = 600) -> dict[Path, CheckovRun]:
        if self.error:
            raise AssertionError(self.error)
        if self._runs is None:
            runs = {}
            for d, (proc, out, err) in self.procs.items():
                code = proc.wait(timeout=timeout)
                text = out.read_text()
                assert text.strip(), f"checkov -d {d} printed nothing (exit {code}): {err.read_text()[-2000:]}"
                data = json.loads(text)
                runs[d] = CheckovRun(d, data if isinstance(data, list) else [data])
            self._runs = runs
        return self._runs

    def close(self) -> None:
        for proc, _out, _err in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@functools.lru_cache(maxsize=1)
def builtin_list() -> str:
    """``checkov --list --framework terraform kubernetes secrets`` (offline): the table of built-in
    checks the scan runs (HCL and plans, the manifests' CKV_K8S_*, secrets), once per session."""
    proc = subprocess.run(
        [str(venv_tool("checkov")), "--list", "--framework", "terraform", "kubernetes", "secrets",
         "--skip-download"],
        capture_output=True, text=True, timeout=300, check=True, env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    return proc.stdout
