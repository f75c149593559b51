"""Fixtures for the sandbox provider: one planned stack per module (the install is the session's)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra_sandbox.install import SandboxInstall, prepare_workdir
from tests.support.sandbox import FIXTURES, Planned
from toolkit.adapters.terraform.runner import Terraform


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
