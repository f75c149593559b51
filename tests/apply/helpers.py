"""A git checkout of the project in a temp dir, and a sandbox environment, for apply and drift tests.

The bundle records the project's commit and tree, so these tests plan from a real git repository
(a copy of this one's project files, committed once) instead of the working tree of the repo.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support import REPO, SCHEMA

PROJECT_DIRS = ("environments", "terraform", "modules", "policy", "controls")


def git(root: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-C", str(root), "-c", "user.name=infra tests", "-c", "user.email=tests@invalid",
                           "-c", "commit.gpgsign=false", *args], capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def git_project(dst: Path) -> Path:
    """A committed copy of the project (settings, stack, modules, policy) at ``dst``."""
    dst.mkdir(parents=True)
    for name in PROJECT_DIRS:
        shutil.copytree(REPO / name, dst / name, ignore=shutil.ignore_patterns(".terraform", "__pycache__"))
    (dst / ".gitignore").write_text(".infra/\n.terraform/\n*.tfstate\n")
    git(dst, "init", "-q")
    git(dst, "add", "-A")
    git(dst, "commit", "-q", "-m", "project")
    return dst


def copy_tree(src: Path, dst: Path) -> Path:
    """A copy of a project or an artifacts directory (without the staged work dirs)."""
    shutil.copytree(src, dst, symlinks=True, ignore=shutil.ignore_patterns("work"))
    return dst


@contextmanager
def sandbox_environment(cache: Path) -> Iterator[None]:
    """The bundled provider schema, a cache, no AWS credentials (module-scoped fixtures use it)."""
    keys = ("INFRA_PROVIDER_SCHEMA", "INFRA_CACHE_DIR", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE",
            "AWS_ENDPOINT_URL", "INFRA_ENV", "NO_COLOR")
    saved = {k: os.environ.get(k) for k in keys}
    for key in keys:
        os.environ.pop(key, None)
    os.environ["INFRA_PROVIDER_SCHEMA"] = str(SCHEMA)
    os.environ["INFRA_CACHE_DIR"] = saved["INFRA_CACHE_DIR"] or str(cache)
    os.environ["NO_COLOR"] = "1"
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
