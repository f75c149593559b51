"""Every module's ``terraform test`` (sandbox provider), run once per session through ``infra test``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from tests.support import REPO
from tests.support.cli import Result, run_cli


def run_count(module_dir: Path, files: str = "*.tftest.hcl") -> int:
    """How many ``run`` blocks the module's tests declare."""
    return sum(len(re.findall(r'^run "', p.read_text(), flags=re.MULTILINE)) for p in (module_dir / "tests").glob(files))


@dataclass(frozen=True)
class ModuleTests:
    result: Result
    """``infra --json test`` over the repo: exit code, JSON on stdout, progress on stderr."""
    work: Path

    def passed(self) -> dict[str, bool]:
        return {r["module"]: r["passed"] for r in json.loads(self.result.out)}

    def output(self, module: str) -> str:
        """What Terraform printed for the module (init, then test), from the run's log."""
        return (self.work / f"test-{module}.log").read_text()


def run_module_tests(artifacts: Path) -> ModuleTests:
    result = run_cli("--project", str(REPO), "--artifacts", str(artifacts), "test", "--json")
    return ModuleTests(result, artifacts / "_test")
