"""The real sandbox plan of every prod region, built once per session and shared read-only.

``infra plan --all --env prod --sandbox`` (embedded Terraform, sandbox provider, the run's one
checkov scan) in a private copy of the repo, with its own artifacts directory, under the
session's private cache. Tests read it, or take a private copy (:meth:`ProdPlans.copy_artifacts`,
a cheap copytree) before they change anything; :meth:`ProdPlans.assert_untouched` (run when the
session ends) fails if some test wrote into the shared one.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support import copy_project
from tests.support.cli import Result, run_cli

ENV = "prod"
# Private to the region directory that made them: Terraform's work dir (its modules/ symlink
# and backend settings point into the baseline), the plan lock and the temp dir.
PRIVATE = ("work", ".lock", ".private")


def _fingerprint(root: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = Path(dirpath) / name
            if path.is_symlink():
                continue
            st = path.stat()
            out[str(path.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return out


@dataclass
class ProdPlans:
    root: Path
    """The private project copy the plans were made from (use it as ``--project``)."""
    artifacts: Path
    """``ARTIFACTS`` of the run: ``artifacts/prod/<region>/``."""
    result: Result
    """The CLI run (``result.err`` holds the scan's progress lines)."""
    regions: list[str]
    _prints: dict[str, tuple[int, int]] = field(default_factory=dict, repr=False)

    def region_dir(self, region: str) -> Path:
        return self.artifacts / ENV / region

    def status(self, region: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.region_dir(region) / "status.json").read_text())
        return data

    def copy_artifacts(self, dest: Path, regions: list[str] | None = None, *,
                       ignore: tuple[str, ...] = PRIVATE) -> Path:
        """A private copy of ``ARTIFACTS/prod/<region>`` for ``regions`` (default all) under ``dest``."""
        for region in regions or self.regions:
            shutil.copytree(self.region_dir(region), dest / ENV / region, symlinks=True,
                            ignore=shutil.ignore_patterns(*ignore))
        return dest

    def copy_project(self, dest: Path) -> Path:
        """A private copy of the project the plans were made from."""
        shutil.copytree(self.root, dest, symlinks=True)
        return dest

    def seal(self) -> None:
        self._prints = {**_fingerprint(self.root), **{f"@{k}": v for k, v in _fingerprint(self.artifacts).items()}}

    def assert_untouched(self) -> None:
        now = {**_fingerprint(self.root), **{f"@{k}": v for k, v in _fingerprint(self.artifacts).items()}}
        changed = sorted(k for k in self._prints.keys() | now.keys() if self._prints.get(k) != now.get(k))
        assert not changed, f"a test changed the shared prod plans (take a copy first): {changed[:10]}"


def build_prod_plans(base: Path) -> ProdPlans:
    root = copy_project(base / "project")
    artifacts = base / "artifacts"
    result = run_cli("--project", str(root), "--artifacts", str(artifacts), "plan", "--all", "--env", ENV,
                     "--sandbox", "--parallelism", "2")
    regions = sorted(p.name for p in (artifacts / ENV).iterdir() if p.is_dir())
    plans = ProdPlans(root, artifacts, result, regions)
    statuses = {r: plans.status(r) for r in regions}
    # Exit 0 (no changes) or 2 (changes) are fine; the scan's findings are for the gate to judge.
    assert result.code in (0, 2) and all(s["status"] == "ok" for s in statuses.values()), (
        result.code, statuses, result.err[-3000:])
    assert "policy scan:" in result.err, result.err[-3000:]
    plans.seal()
    return plans
