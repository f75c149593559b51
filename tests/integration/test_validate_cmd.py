"""`infra validate` and `infra test` over the real repo (embedded Terraform + sandbox provider)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from tests.support import REPO
from tests.support.module_tests import ModuleTests


def _copy_repo(dst: Path) -> Path:
    for sub in ("environments", "modules", "terraform"):
        shutil.copytree(REPO / sub, dst / sub, ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl"))
    return dst


def test_validate_passes_on_the_repo(infra: Callable[..., object], tmp_path: Path) -> None:
    result = infra("--project", str(REPO), "--artifacts", str(tmp_path), "validate", "--json")
    assert result.code == 0, result.out + result.err
    checks = json.loads(result.out)["checks"]
    names = {c["check"] for c in checks}
    assert {"terraform fmt", "settings", "karpenter manifests vs CRDs", "terraform validate terraform"} <= names
    assert sum(1 for n in names if n.startswith("terraform validate modules/")) >= 5
    assert all(c["ok"] for c in checks)


def test_validate_reports_schema_errors_with_file_and_line(infra: Callable[..., object], tmp_path: Path) -> None:
    proj = _copy_repo(tmp_path / "proj")
    main = proj / "modules" / "kms" / "main.tf"
    text = main.read_text()
    anchor = 'resource "aws_kms_key" '
    assert anchor in text
    head, tail = text.split(anchor, 1)
    first_line_end = tail.index("\n") + 1
    main.write_text(head + anchor + tail[:first_line_end] + "  enable_key_rotatoin = true\n" + tail[first_line_end:])
    line = (head + anchor).count("\n") + 2
    result = infra("--project", str(proj), "--artifacts", str(tmp_path / "a"), "validate", "--json")
    assert result.code == 1
    assert "validate: " in result.err and "checks failed" in result.err
    problems = [p for c in json.loads(result.out)["checks"] for p in c["problems"]]
    assert any("Unsupported argument" in p and f"main.tf:{line}" in p for p in problems), problems


def test_module_tests_pass(module_tests: ModuleTests) -> None:
    result = module_tests.result  # the session's one `infra --project REPO test --json` run
    assert result.code == 0, result.err[-2000:]
    modules = {r["module"]: r["passed"] for r in json.loads(result.out)}
    assert set(modules) == {"eks-cluster", "karpenter", "kms", "network", "secrets"}
    assert all(modules.values())


def test_unknown_module_is_a_user_error(infra: Callable[..., object], tmp_path: Path) -> None:
    result = infra("--project", str(REPO), "--artifacts", str(tmp_path), "test", "nope")
    assert result.code == 1 and "unknown module 'nope'" in result.err
