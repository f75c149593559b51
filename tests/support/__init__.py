"""Paths and small helpers every test package shares (import from here, never from a conftest)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from toolkit.paths import BUNDLED_SCHEMA_DIR

REPO = Path(__file__).resolve().parents[2]
# The AWS provider schema bundled with the package: the tests use what a user's install uses.
SCHEMA = BUNDLED_SCHEMA_DIR / "hashicorp-aws-6.47.0.json.gz"
# What a private copy of the project needs for render, plan, scan, gate and report.
PROJECT_DIRS = ("environments", "modules", "terraform", "policy", "controls")


def load_aws_schema() -> dict[str, Any]:
    """The bundled `terraform providers schema -json` document, decompressed."""
    from infra_sandbox.schema import read_document

    doc: dict[str, Any] = json.loads(read_document(SCHEMA))
    return doc


def venv_tool(name: str) -> Path:
    """A console script installed next to the running interpreter (checkov, lint-imports...).

    The test extras install them; a missing one is a broken setup, so this fails, never skips.
    """
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        import pytest

        pytest.fail(f"{name} is not installed next to {sys.executable} (pip install -e '.[test,dev]')")
    return Path(found)


def copy_project(dest: Path, dirs: tuple[str, ...] = PROJECT_DIRS) -> Path:
    """A private copy of the repo's project directories (no .terraform, caches or artifacts)."""
    ignore = shutil.ignore_patterns(".terraform", "__pycache__", ".infra", "terraform.tfstate*")
    for sub in dirs:
        shutil.copytree(REPO / sub, dest / sub, ignore=ignore)
    return dest
