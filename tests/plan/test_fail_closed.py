"""A missing or empty stack, missing modules or an unwritable artifacts folder stop the plan at once."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.support import REPO


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    dst = tmp_path / "proj"
    for sub in ("environments", "terraform", "modules", "policy"):
        shutil.copytree(REPO / sub, dst / sub, ignore=shutil.ignore_patterns(".terraform", "tests", "examples"))
    return dst


def _plan(infra: Callable[..., Result], proj: Path, *extra: str) -> Result:
    return infra("--project", str(proj), "--artifacts", str(proj / ".infra"), "plan", "us-east", "--sandbox",
                 "--no-scan", *extra)


def _one_error(result: Result) -> str:
    assert result.code == 1, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "No changes" not in result.err
    return lines[0]


def test_a_missing_stack_is_an_error(infra: Callable[..., Result], proj: Path) -> None:
    shutil.rmtree(proj / "terraform")
    assert "terraform: no root stack here (no *.tf files); nothing to plan" in _one_error(_plan(infra, proj))
    assert not (proj / ".infra" / "staging" / "us-east" / "summary.json").exists()


def test_a_stack_without_resources_or_modules_is_an_error(infra: Callable[..., Result], proj: Path) -> None:
    for tf in (proj / "terraform").glob("*.tf"):
        if tf.name not in ("versions.tf", "variables.tf", "providers.tf"):
            tf.unlink()
    assert "declares no resource or module" in _one_error(_plan(infra, proj))


def test_missing_modules_are_an_error(infra: Callable[..., Result], proj: Path) -> None:
    shutil.rmtree(proj / "modules")
    assert "module source '../modules/" in _one_error(_plan(infra, proj))


def test_an_unwritable_artifacts_folder_is_named_up_front(infra: Callable[..., Result], proj: Path) -> None:
    blocker = proj / "not-a-dir"
    blocker.write_text("a file where the artifacts folder should be\n")
    result = infra("--project", str(proj), "--artifacts", str(blocker / "art"), "plan", "us-east", "--sandbox",
                   "--no-scan")
    message = _one_error(result)
    assert f"{blocker / 'art' / 'staging'}: cannot write artifacts here" in message and "--artifacts DIR" in message
