"""`infra sandbox terraform` and `infra sandbox env`: any Terraform directory against the sandbox provider."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

CONFIG = """\
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.0" }
  }
}

provider "aws" {
  region = "eu-west-1"
}

resource "aws_sqs_queue" "q" {
  name                    = "sandbox-cli"
  sqs_managed_sse_enabled = true
}
"""



pytestmark = pytest.mark.slow  # real plans and Terraform runs in every test

@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("INFRA_CACHE_DIR", str(tmp_path / "cache"))
    d = tmp_path / "stack"
    d.mkdir()
    (d / "main.tf").write_text(CONFIG)
    return d


def test_init_plan_show_on_any_directory(infra: Callable[..., Result], workdir: Path) -> None:
    chdir = f"-chdir={workdir}"
    init = infra("sandbox", "terraform", chdir, "init", "-no-color")
    assert init.code == 0, init.err
    assert "Installed hashicorp/aws v6.47.0" in init.out
    plan = infra("sandbox", "terraform", chdir, "plan", "-no-color", "-out=p")
    assert plan.code == 0, plan.err
    assert "Plan: 1 to add, 0 to change, 0 to destroy." in plan.out
    show = infra("sandbox", "terraform", chdir, "show", "-json", "p")
    assert show.code == 0
    doc = json.loads(show.out.strip().splitlines()[-1])
    assert [rc["address"] for rc in doc["resource_changes"]] == ["aws_sqs_queue.q"]
    apply = infra("sandbox", "terraform", chdir, "apply", "-no-color", "p")
    assert apply.code == 0 and (workdir / "terraform.tfstate").is_file()  # state local to the directory


def test_a_provider_that_cannot_be_downloaded_is_named_in_one_line(infra: Callable[..., Result],
                                                                   workdir: Path) -> None:
    (workdir / "main.tf").write_text(CONFIG.replace(
        'aws = { source = "hashicorp/aws", version = ">= 5.0" }',
        'aws = { source = "hashicorp/aws" }\n    time = { source = "hashicorp/time", version = ">= 0.9" }'))
    result = infra("sandbox", "terraform", f"-chdir={workdir}", "init", "-no-color")
    assert result.code == 1
    assert result.err.strip().splitlines()[-1] == (
        "error: terraform init: provider hashicorp/time cannot be installed: there is no registry access here; "
        "the sandbox serves only hashicorp/aws (remove the dependency, or run where the registry or a provider "
        "mirror with hashicorp/time is reachable)")


def test_bad_chdir_and_missing_command(infra: Callable[..., Result], tmp_path: Path) -> None:
    assert "-chdir is not a directory" in infra("sandbox", "terraform", f"-chdir={tmp_path}/nope", "init").err
    assert "name a terraform command" in infra("sandbox", "terraform").err


REAL_TERRAFORM = shutil.which("terraform")


@pytest.mark.skipif(REAL_TERRAFORM is None, reason="no terraform binary on PATH (the machine image has 1.11.4)")
def test_env_lines_make_a_users_own_terraform_use_the_sandbox(infra: Callable[..., Result], workdir: Path) -> None:
    assert REAL_TERRAFORM is not None
    lines = infra("sandbox", "env").out.strip().splitlines()
    env = dict(os.environ)
    for line in lines:
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = shlex.split(value)[0]
    assert {"TF_CLI_CONFIG_FILE", "INFRA_SANDBOX_SCHEMA", "INFRA_SANDBOX_CACHE"} <= set(env)
    run = lambda *a: subprocess.run([REAL_TERRAFORM, f"-chdir={workdir}", *a], env=env, capture_output=True,  # noqa: E731
                                    text=True, timeout=300)
    init = run("init", "-no-color")
    assert init.returncode == 0, init.stderr
    plan = run("plan", "-no-color")
    assert plan.returncode == 0, plan.stderr
    assert "Plan: 1 to add" in plan.stdout


@pytest.mark.skipif(REAL_TERRAFORM is None, reason="no terraform binary on PATH (the machine image has 1.11.4)")
def test_terraform_option_runs_a_users_binary(infra: Callable[..., Result], workdir: Path) -> None:
    assert REAL_TERRAFORM is not None
    version = infra("sandbox", "terraform", "--terraform", REAL_TERRAFORM, "version")
    assert version.code == 0 and "Terraform v1." in version.out and "1.15.5" not in version.out
    init = infra("sandbox", "terraform", "--terraform", REAL_TERRAFORM, f"-chdir={workdir}", "init", "-no-color")
    assert init.code == 0, init.err
