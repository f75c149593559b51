"""Shared fixtures: the repo, a copy of it to break, and an in-process CLI runner."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import REPO, SCHEMA

__all__ = ["REPO", "SCHEMA"]


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def infra(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Call the CLI in-process: ``infra("render", "us-east", ...) -> Result``."""
    from toolkit.cli import run

    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("INFRA_ENV", raising=False)

    def call(*args: str) -> Result:
        capsys.readouterr()
        code = run(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    yield call


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A private copy of environments/ (enough for config and render tests)."""
    dst = tmp_path / "proj"
    shutil.copytree(REPO / "environments", dst / "environments")
    return dst
