"""Layering contract: commands -> core -> adapters; only the CLI knows click."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "toolkit"
CLI_MODULES = {PACKAGE / "cli.py", PACKAGE / "__main__.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_the_cli_imports_click() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path in CLI_MODULES:
            continue
        bad = {n for n in _imports(path) if n == "click" or n.startswith("click.") or n == "toolkit.cli"}
        if bad:
            offenders.append(f"{path.relative_to(REPO)}: {sorted(bad)}")
    assert not offenders, offenders


def test_config_core_does_not_import_adapters() -> None:
    adapters = ("boto3", "toolkit.adapters.terraform.runner", "infra_sandbox", "toolkit.adapters.aws", "checkov", "toolkit.scan.run")
    for path in sorted((PACKAGE / "config").rglob("*.py")) + [PACKAGE / "render.py"]:
        bad = {n for n in _imports(path) if n.startswith(adapters)}
        assert not bad, f"{path.relative_to(REPO)} imports adapters {sorted(bad)}"
