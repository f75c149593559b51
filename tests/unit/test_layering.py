"""The layering contract of pyproject.toml ([tool.importlinter]) holds: commands -> core -> adapters."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.support import REPO


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe, "import-linter is a test dependency (pip install -e '.[test]')"
    return subprocess.run([exe, "--no-cache"], cwd=root, capture_output=True, text=True, timeout=300)


def test_import_contracts_are_kept() -> None:
    result = _lint_imports(REPO)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "5 kept, 0 broken" in result.stdout, result.stdout[-2000:]


def test_a_core_module_importing_click_breaks_the_contract(tmp_path: Path) -> None:
    """The contract can fail: a copy of the package whose settings import click is refused."""
    copy = tmp_path / "repo"
    shutil.copytree(REPO / "toolkit", copy / "toolkit", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "infra_sandbox", copy / "infra_sandbox", ignore=shutil.ignore_patterns("__pycache__", "data"))
    shutil.copy(REPO / "pyproject.toml", copy / "pyproject.toml")
    views = copy / "toolkit" / "settings" / "views.py"
    views.write_text("import click  # a mistake\n" + views.read_text())
    env_path = f"{copy}"
    result = subprocess.run([shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports",
                             "--no-cache"], cwd=copy, capture_output=True, text=True, timeout=300,
                            env={"PYTHONPATH": env_path, "PATH": str(Path(sys.executable).parent)})
    assert result.returncode != 0
    assert "Only the CLI imports click BROKEN" in result.stdout
    assert "toolkit.settings.views -> click" in result.stdout
