"""OpenTofu names hashicorp/aws `registry.opentofu.org/hashicorp/aws`: the sandbox mirror serves that address too.

No OpenTofu binary can be installed on these machines (it is in neither PyPI nor Debian), so the
generated installation is exercised with the real embedded Terraform, which installs a provider of
any registry host from a filesystem mirror exactly as `tofu init` does.
"""

from __future__ import annotations

import json
from pathlib import Path

from infra_sandbox.install import SandboxInstall
from infra_sandbox.reattach import REATTACH_ENV, reattached_provider
from infra_sandbox.schema import PROVIDER_ADDRESSES
from toolkit.adapters.terraform.runner import Terraform

CONFIG = """\
terraform {
  required_providers {
    aws = {
      source  = "registry.opentofu.org/hashicorp/aws"
      version = ">= 6.0"
    }
  }
}

provider "aws" {
  region = "eu-central-1"
}

resource "aws_kms_key" "this" {
  description         = "tofu address"
  enable_key_rotation = true
}
"""


def test_cli_config_and_mirror_serve_both_addresses(sandbox: SandboxInstall) -> None:
    rc = sandbox.cli_config.read_text()
    for address in PROVIDER_ADDRESSES:
        assert rc.count(json.dumps(address)) == 2, rc  # in the mirror's include and direct's exclude
        plugin = sandbox.mirror_dir / address / sandbox.provider_version
        assert any(p.is_file() and p.stat().st_mode & 0o111 for p in plugin.rglob("terraform-provider-aws_v*"))


def test_a_configuration_naming_the_opentofu_address_inits_and_plans(sandbox: SandboxInstall, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(CONFIG)
    tf = Terraform(tmp_path, env=sandbox.env())
    tf.init(backend=False)
    lock = (tmp_path / ".terraform.lock.hcl").read_text()
    assert 'provider "registry.opentofu.org/hashicorp/aws"' in lock
    plan = tf.plan(tmp_path / "tfplan")
    doc = tf.show_json(plan.plan_file)
    (change,) = doc["resource_changes"]
    assert change["provider_name"] == "registry.opentofu.org/hashicorp/aws"
    assert change["change"]["actions"] == ["create"]
    assert change["change"]["after"]["description"] == "tofu address"


def test_the_reattached_provider_answers_for_the_opentofu_address(sandbox: SandboxInstall, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(CONFIG)
    Terraform(tmp_path, env=sandbox.env()).init(backend=False)
    with reattached_provider(sandbox) as env:
        assert set(json.loads(env[REATTACH_ENV])) == set(PROVIDER_ADDRESSES)
        tf = Terraform(tmp_path, env=sandbox.env() | env)
        doc = tf.show_json(tf.plan(tmp_path / "tfplan").plan_file)
    assert [rc["address"] for rc in doc["resource_changes"]] == ["aws_kms_key.this"]
