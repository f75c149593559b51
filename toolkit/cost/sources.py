"""Where the pools to price come from: a project checkout, a git ref of it, or artifacts.

``--base REF`` renders the pools of REF from a temporary ``git worktree`` of the project's
repository (detached, read-only use) and removes the worktree afterwards; the toolkit code
that prices them is the current one. ``--against DIR`` reads rendered inputs
(``terraform.tfvars.json``) from another artifacts directory (``DIR/ENV/REGION/``) or from DIR
itself.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from toolkit.errors import ToolError, UserError

TFVARS = "terraform.tfvars.json"


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    git = shutil.which("git")
    if git is None:
        raise UserError("--base needs git on PATH")
    return subprocess.run([git, "-C", str(root), *args], capture_output=True, text=True, timeout=120, check=False)


def _first_line(text: str) -> str:
    return " ".join((text.strip().splitlines() or [""])[-1].split())


@contextmanager
def worktree(root: Path, ref: str) -> Iterator[Path]:
    """A detached worktree of ``ref`` of the repository holding ``root``; removed on exit."""
    top = _git(root, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise UserError(f"--base {ref}: {root} is not in a git repository ({_first_line(top.stderr)})")
    commit = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if commit.returncode != 0:
        raise UserError(f"--base {ref}: not a commit in {top.stdout.strip()}")
    repo = Path(top.stdout.strip())
    rel = root.resolve().relative_to(repo.resolve()) if root.resolve() != repo.resolve() else Path()
    tmp = Path(tempfile.mkdtemp(prefix="infra-cost-base-"))
    path = tmp / "tree"
    added = _git(repo, "worktree", "add", "--detach", "--quiet", str(path), commit.stdout.strip())
    if added.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ToolError(f"--base {ref}: git worktree add failed: {_first_line(added.stderr)}")
    try:
        yield path / rel
    finally:
        removed = _git(repo, "worktree", "remove", "--force", str(path))
        if removed.returncode != 0:
            shutil.rmtree(path, ignore_errors=True)
            _git(repo, "worktree", "prune")
        shutil.rmtree(tmp, ignore_errors=True)


def read_inputs(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: cannot read rendered inputs: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("karpenter"), dict):
        raise UserError(f"{path}: not rendered stack inputs (no karpenter object)")
    return data


def artifact_inputs(directory: Path, env: str, regions: list[str]) -> dict[str, dict[str, Any]]:
    """Rendered inputs per region from ``DIR/ENV/REGION/terraform.tfvars.json`` or ``DIR/terraform.tfvars.json``.

    Regions without inputs in DIR are left out (they then show as added or removed NodePools).
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise UserError(f"--against {directory}: not a directory")
    found: dict[str, dict[str, Any]] = {}
    single = directory / TFVARS
    if single.is_file():
        data = read_inputs(single)
        found[str(data.get("region_key") or data.get("region"))] = data
        return found
    for region in regions:
        path = directory / env / region / TFVARS
        if path.is_file():
            found[region] = read_inputs(path)
    if not found:
        raise UserError(f"--against {directory}: no {TFVARS} for environment {env!r} "
                        f"(looked for {directory / env}/REGION/{TFVARS} and {single})")
    return found
