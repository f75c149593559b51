"""Fixtures for the sandbox provider: one install per session, one planned stack per module."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from toolkit.sandbox.install import SandboxInstall, install, prepare_workdir
from toolkit.terraform import Terraform

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
REPO = HERE.parents[1]
SHARED = Path(os.environ.get("INFRA_SHARED_DIR", REPO.parent / "shared")).resolve()
SCHEMA = Path(os.environ.get("INFRA_PROVIDER_SCHEMA") or SHARED / "schemas" / "terraform" / "hashicorp-aws-6.47.0.json")


@pytest.fixture(scope="session")
def schema_path() -> Path:
    if not SCHEMA.is_file():
        pytest.skip(f"provider schema document not found at {SCHEMA} (set INFRA_PROVIDER_SCHEMA)")
    return SCHEMA


@pytest.fixture(scope="session")
def sandbox(schema_path: Path, tmp_path_factory: pytest.TempPathFactory) -> SandboxInstall:
    """The sandbox provider installed in a private cache (built once per session)."""
    return install(schema_path, tmp_path_factory.mktemp("infra-cache"))


@dataclass
class Planned:
    tf: Terraform
    workdir: Path
    plan_file: Path
    has_changes: bool
    plan: dict[str, Any]
    log: list[str]

    def change(self, address: str) -> dict[str, Any]:
        for rc in self.plan["resource_changes"]:
            if rc["address"] == address:
                change: dict[str, Any] = rc["change"]
                return change
        raise AssertionError(f"{address} not in plan")


@pytest.fixture(scope="module")
def planned(sandbox: SandboxInstall, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Planned]:
    """The fixture stack initialised, validated and planned with the real embedded Terraform."""
    workdir = prepare_workdir(FIXTURES / "stack", tmp_path_factory.mktemp("stack") / "work")
    log: list[str] = []
    tf = Terraform(workdir, env=sandbox.env(), log=log.append)
    tf.init(backend=False)
    result = tf.validate()
    assert result.valid, [d.one_line() for d in result.diagnostics]
    plan = tf.plan(workdir / "tfplan", var_files=[workdir / "sandbox.tfvars.json"])
    yield Planned(tf, workdir, plan.plan_file, plan.has_changes, tf.show_json(plan.plan_file), log)
