"""Summaries of ``--base`` plans: attribute names of updates (never values), the base line, the banner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from toolkit.errors import UserError
from toolkit.plan.base import resolve_ref
from toolkit.plan.mode import sandbox_banner
from toolkit.plan.summary import changed_attributes, markdown, summarise

SECRET = "s3cr3t-value"


def _plan() -> dict[str, Any]:
    return {"resource_changes": [
        {"address": "aws_eks_cluster.this", "type": "aws_eks_cluster", "mode": "managed",
         "change": {"actions": ["update"], "before": {"version": "1.33", "name": "x", "tags": {"a": "1"}},
                    "after": {"version": "1.34", "name": "x", "tags": {"a": "1"}}, "after_unknown": {}}},
        {"address": "aws_secretsmanager_secret_version.v", "type": "aws_secretsmanager_secret_version",
         "mode": "managed",
         "change": {"actions": ["update"], "before": {"secret_string": "old"}, "after": {"secret_string": SECRET},
                    "after_unknown": {}}},
        {"address": "aws_subnet.a", "type": "aws_subnet", "mode": "managed",
         "change": {"actions": ["delete", "create"], "before": {"cidr_block": "10.0.0.0/24", "id": "subnet-1"},
                    "after": {"cidr_block": "10.1.0.0/24"}, "after_unknown": {"id": True},
                    "replace_paths": [["cidr_block"]]}},
        {"address": "aws_kms_key.k", "type": "aws_kms_key", "mode": "managed",
         "change": {"actions": ["delete"], "before": {"id": "k"}, "after": None}},
    ]}


def test_updates_and_replaces_name_their_changed_attributes() -> None:
    changes = {c["address"]: c for c in summarise(_plan())["changes"]}
    assert changes["aws_eks_cluster.this"]["attributes"] == ["version"]
    assert changes["aws_subnet.a"]["attributes"] == ["cidr_block", "id"]
    assert changes["aws_kms_key.k"]["attributes"] == []
    assert changed_attributes({"before": None, "after": {"a": 1}}) == []


def test_markdown_lists_attribute_names_and_never_values() -> None:
    s = dict(summarise(_plan()))
    base = {"ref": "origin/main", "commit": "a" * 40, "tree": "b" * 40, "exists": True, "note": None}
    md = markdown({**s, "environment": "prod", "region": "us-east", "aws_region": "us-east-1", "mode": "sandbox",
                   "base": base})
    assert "| `aws_secretsmanager_secret_version.v` | update | `secret_string` |" in md
    assert SECRET not in md
    assert "| `aws_kms_key.k` | delete |" in md
    assert "sandbox state of `origin/main` (commit `aaaaaaaaaaaa`, tree `bbbbbbbbbbbb`)" in md


def test_without_base_the_banner_says_local_sandbox_state() -> None:
    assert "local sandbox state" in sandbox_banner(None)
    assert "--base REF" in sandbox_banner(None)
    assert "sandbox state of main (commit cccccccccccc" in sandbox_banner(
        {"ref": "main", "commit": "c" * 40, "tree": "d" * 40})


@pytest.mark.parametrize("ref", ["no-such-ref", "--all", ""])
def test_a_bad_ref_is_one_line_naming_it(tmp_path: Path, ref: str) -> None:
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    with pytest.raises(UserError) as info:
        resolve_ref(tmp_path, ref)
    assert "--base" in str(info.value) and "\n" not in str(info.value)
    if ref:
        assert ref in str(info.value)


def test_outside_git_the_error_says_so(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not a git checkout"):
        resolve_ref(tmp_path, "HEAD")
