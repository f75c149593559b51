"""Modules that declare `provider_meta "aws"` (every current terraform-aws-modules module does) plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra_sandbox.install import SandboxInstall
from toolkit.adapters.terraform.runner import Terraform
from toolkit.errors import ToolError

MODULE = """\
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 6.0" }
  }
  provider_meta "aws" {
    user_agent = ["example-module/v1.2.3"]
  }
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/example/meta"
  retention_in_days = 30
}
"""

ROOT = """\
provider "aws" {
  region = "us-west-2"
}

module "m" {
  source = "./m"
}
"""


def test_provider_meta_is_accepted_at_validate_and_plan(sandbox: SandboxInstall, tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "main.tf").write_text(MODULE)
    (tmp_path / "main.tf").write_text(ROOT)
    tf = Terraform(tmp_path, env=sandbox.env())
    tf.init(backend=False)
    result = tf.validate()
    assert result.valid, [d.one_line() for d in result.diagnostics]
    doc = tf.show_json(tf.plan(tmp_path / "tfplan").plan_file)
    assert [rc["address"] for rc in doc["resource_changes"]] == ["module.m.aws_cloudwatch_log_group.this"]


def test_a_provider_meta_attribute_the_provider_lacks_is_refused(sandbox: SandboxInstall, tmp_path: Path) -> None:
    """Terraform decodes provider_meta against the served schema at plan (validate skips it)."""
    (tmp_path / "main.tf").write_text(MODULE.replace("user_agent = [", "agent = ["))
    tf = Terraform(tmp_path, env=sandbox.env())
    tf.init(backend=False)
    with pytest.raises(ToolError, match=r'main.tf:6: Unsupported argument \(An argument named "agent"'):
        tf.plan(tmp_path / "tfplan")
