"""validate + plan of every example and of the root stack, and `terraform test` per module,
with the embedded Terraform and the sandbox provider (real hashicorp/aws 6.47.0 schema)."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra_sandbox.install import SandboxInstall
from tests.support.baseline import ProdPlans
from tests.support.module_tests import ModuleTests, run_count
from tests.support.terraform import FIXTURES, MODULES, OWN_MODULES, REPO, terraform_in
from toolkit.adapters.terraform.runner import Terraform
from toolkit.render import inputs as render
from toolkit.settings import loader

PROD_US_EAST = FIXTURES / "prod-us-east.tfvars.json"


@dataclass
class Plan:
    tf: Terraform
    json: dict[str, Any]

    def creates(self) -> list[dict[str, Any]]:
        return [rc for rc in self.json["resource_changes"] if rc["change"]["actions"] == ["create"]]

    def after(self, type_name: str) -> dict[str, dict[str, Any]]:
        return {rc["address"]: rc["change"]["after"] for rc in self.creates() if rc["type"] == type_name}


def plan_dir(sandbox: SandboxInstall, workdir: Path, var_files: list[Path] | None = None) -> Plan:
    tf = terraform_in(sandbox, workdir)
    tf.init()
    result = tf.validate()
    assert result.valid, [d.one_line() for d in result.diagnostics]
    planned = tf.plan(workdir / "tfplan", var_files=var_files or [])
    assert planned.has_changes
    return Plan(tf, tf.show_json(planned.plan_file))


# ------------------------------------------------------------------ module examples


EXPECTED_EXAMPLE_TYPES = {
    "kms": {"aws_kms_key": 2, "aws_kms_alias": 3, "aws_kms_replica_key": 1},
    "network": {
        "aws_vpc": 1,
        "aws_subnet": 4,
        "aws_nat_gateway": 1,
        "aws_flow_log": 1,
        "aws_default_security_group": 1,
    },
    "secrets": {
        "aws_secretsmanager_secret": 2,
        "aws_secretsmanager_secret_version": 1,
        "aws_secretsmanager_secret_policy": 2,
    },
    "eks-cluster": {"aws_eks_cluster": 1, "aws_eks_node_group": 1, "aws_eks_addon": 4, "aws_eks_access_entry": 1},
}


@pytest.mark.parametrize("module", OWN_MODULES)
def test_example_validates_and_plans(module: str, sandbox: SandboxInstall, staged: Path) -> None:
    plan = plan_dir(sandbox, staged / "modules" / module / "examples" / "basic")
    counts = Counter(rc["type"] for rc in plan.creates())
    for type_name, expected in EXPECTED_EXAMPLE_TYPES[module].items():
        assert counts[type_name] == expected, (type_name, dict(counts))


@pytest.mark.parametrize("module", OWN_MODULES)
def test_module_terraform_tests_pass(module: str, module_tests: ModuleTests) -> None:
    """From the session's one `infra test` run (a staged copy of modules/, the sandbox provider)."""
    runs = run_count(MODULES / module)
    assert runs >= 10
    output = module_tests.output(module)
    assert module_tests.passed()[module], output[-4000:]
    assert f"{runs} passed, 0 failed" in output


# ------------------------------------------------------------------ root stack


@pytest.fixture(scope="module")
def root_plan(sandbox: SandboxInstall, staged: Path) -> Iterator[Plan]:
    yield plan_dir(sandbox, staged / "terraform", [PROD_US_EAST])


def test_root_stack_plans_a_full_region(root_plan: Plan) -> None:
    counts = Counter(rc["type"] for rc in root_plan.creates())
    assert len(root_plan.creates()) >= 60
    assert counts["aws_kms_key"] == 5 and counts["aws_kms_replica_key"] == 1
    assert counts["aws_nat_gateway"] == 3 and counts["aws_subnet"] == 6
    assert counts["aws_eks_cluster"] == 1 and counts["aws_eks_addon"] == 6  # 5 + eks-node-monitoring-agent
    assert counts["aws_cloudwatch_event_rule"] == 5 and counts["aws_sqs_queue"] == 1


def test_root_stack_global_names_are_region_qualified(root_plan: Plan) -> None:
    tfvars = json.loads(PROD_US_EAST.read_text())
    names = [
        after.get("name") or after.get("name_prefix") for t in GLOBAL_TYPES for after in root_plan.after(t).values()
    ]
    assert names
    assert all(str(n).startswith(tfvars["name"] + "-") for n in names), names
    assert "prod-us-east-karpenter-node" in names


def test_root_stack_replicas_stay_in_the_residency_zone(root_plan: Plan) -> None:
    zone = set(json.loads(PROD_US_EAST.read_text())["zone_regions"])
    replicas = [a["region"] for a in root_plan.after("aws_kms_replica_key").values()]
    replicas += [r["region"] for s in root_plan.after("aws_secretsmanager_secret").values() for r in s["replica"]]
    assert replicas and set(replicas) <= zone


def test_root_stack_protects_and_encrypts(root_plan: Plan) -> None:
    cluster = next(iter(root_plan.after("aws_eks_cluster").values()))
    assert cluster["deletion_protection"] is True
    assert cluster["vpc_config"][0]["endpoint_public_access"] is False
    assert len(cluster["enabled_cluster_log_types"]) == 5
    log_groups = [rc for rc in root_plan.json["resource_changes"] if rc["type"] == "aws_cloudwatch_log_group"]
    assert log_groups and all(
        rc["change"]["after_unknown"].get("kms_key_id") or rc["change"]["after"].get("kms_key_id") for rc in log_groups
    )
    keys = root_plan.after("aws_kms_key").values()
    assert all(k["enable_key_rotation"] and k["deletion_window_in_days"] == 30 for k in keys)


def test_root_stack_plan_holds_no_secret_value(root_plan: Plan) -> None:
    versions = root_plan.after("aws_secretsmanager_secret_version")
    assert set(versions) == {
        'module.secrets.aws_secretsmanager_secret_version.generated["grafana-admin"]',
        'module.secrets.aws_secretsmanager_secret_version.generated["db-master"]',
    }
    for after in versions.values():
        assert after["secret_string"] is None and after["secret_string_wo"] is None
        assert after["secret_string_wo_version"] == 1
    assert "random_password" not in json.dumps(root_plan.json["resource_changes"])


def test_root_stack_outputs(root_plan: Plan) -> None:
    outputs = root_plan.json["planned_values"]["outputs"]
    for name in (
        "cluster_name",
        "cluster_endpoint",
        "cluster_arn",
        "kms_key_arns",
        "secret_arns",
        "karpenter_nodepools",
        "karpenter_ec2nodeclasses",
        "karpenter_manifests_yaml",
    ):
        assert name in outputs
    assert outputs["cluster_name"]["value"] == "prod-us-east"
    assert outputs["kms_alias_names"]["value"]["ebs"] == "alias/prod-us-east-ebs"
    nodepools = outputs["karpenter_nodepools"]["value"]
    assert {np["metadata"]["name"] for np in nodepools} >= {"gpu-training"}


def _key_policy(plan: Plan, purpose: str) -> list[dict[str, Any]]:
    key = plan.after("aws_kms_key")[f'module.kms.aws_kms_key.this["{purpose}"]']
    statements: list[dict[str, Any]] = json.loads(key["policy"])["Statement"]
    return statements


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_root_stack_eks_secrets_key_admits_only_the_cluster_role(root_plan: Plan) -> None:
    roles = {after["name"] for after in root_plan.after("aws_iam_role").values()}
    assert "prod-us-east-eks-cluster" in roles
    usage = [s for s in _key_policy(root_plan, "eks-secrets") if "kms:Decrypt" in _as_list(s["Action"])]
    assert len(usage) == 1, usage
    assert usage[0]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert usage[0]["Condition"]["ArnEquals"] == {
        "aws:PrincipalArn": "arn:aws:iam::111122223333:role/prod-us-east-eks-cluster"
    }


def test_root_stack_keys_replicate_only_within_the_zone(root_plan: Plan) -> None:
    for purpose in ("eks-secrets", "logs", "ebs", "secrets-manager"):
        for statement in _key_policy(root_plan, purpose):
            if "kms:ReplicateKey" in _as_list(statement["Action"]):
                assert purpose == "secrets-manager", purpose  # the only multi-Region key
                assert _as_list(statement["Condition"]["StringEquals"]["kms:ReplicaRegion"]) == ["us-west-2"]
            actions = _as_list(statement["Action"])
            assert "kms:Put*" not in actions
            assert "kms:PutKeyPolicy" not in actions or statement["Principal"] == {
                "AWS": "arn:aws:iam::111122223333:root"
            }


def test_root_stack_passes_the_rotation_schedule(root_plan: Plan) -> None:
    rotations = root_plan.after("aws_secretsmanager_secret_rotation")
    rules = rotations['module.secrets.aws_secretsmanager_secret_rotation.this["db-master"]']["rotation_rules"][0]
    assert rules["schedule_expression"] == "rate(30 days)"
    assert rules.get("automatically_after_days") is None


_WIDE_ENDPOINT = {
    "eks": json.loads(PROD_US_EAST.read_text())["eks"]
    | {"endpoint_public_access": True, "public_access_cidrs": ["0.0.0.0/1"]}
}


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"name": "prod-us-west"}, "name must be"),
        ({"zone_regions": ["us-east-1", "eu-west-1"]}, "residency zone"),
        ({"tags": {"owner": "x"}}, "tags must include"),
        ({"kms": {"keys": {"logs": {"description": "l"}}}}, "kms.keys must include"),
        (_WIDE_ENDPOINT, "prefix length of /8 or longer"),
    ],
    ids=[
        "name-not-region-qualified",
        "zone-region-outside-zone",
        "missing-tags",
        "missing-kms-keys",
        "wide-endpoint-cidr",
    ],
)
def test_root_stack_rejects_bad_inputs(patch: dict[str, Any], message: str, root_plan: Plan, tmp_path: Path) -> None:
    tfvars = json.loads(PROD_US_EAST.read_text()) | patch
    var_file = tmp_path / "bad.tfvars.json"
    var_file.write_text(json.dumps(tfvars))
    result = root_plan.tf.run(["plan", "-no-color", "-input=false", f"-var-file={var_file}"], check=False)
    assert result.returncode == 1
    assert message in re.sub(r"\s*│\s*", " ", result.stderr)


GLOBAL_TYPES = ("aws_iam_role", "aws_iam_policy", "aws_iam_instance_profile", "aws_cloudwatch_event_rule")


def test_root_stack_plans_every_rendered_region(root_plan: Plan, prod_plans: ProdPlans, tmp_path: Path) -> None:
    """Every environment/region that `infra render` produces plans, and no global name repeats.

    The prod regions were planned already (the session's prod plans, from these same inputs of
    an identical copy of the project): their plans are read, the other regions planned here."""
    project = loader.Project(REPO)
    owner_of: dict[tuple[str, str], str] = {}
    planned = []
    for env_name in project.environment_names():
        for region, cfg in project.environment(env_name).regions.items():
            label = f"{env_name}/{region}"
            var_file = tmp_path / f"{env_name}-{region}.tfvars.json"
            var_file.write_text(render.render_tfvars(loader.stack_inputs(cfg, project.catalog)))
            if env_name == "prod" and region in prod_plans.regions:
                planned_dir = prod_plans.region_dir(region)
                assert json.loads((planned_dir / "terraform.tfvars.json").read_text()) == json.loads(
                    var_file.read_text()), label
                counts = json.loads((planned_dir / "summary.json").read_text())["counts"]
                assert counts["add"] or counts["change"] or counts["destroy"], (label, counts)  # has changes
                plan = Plan(root_plan.tf, json.loads((planned_dir / "plan.json").read_text()))
            else:
                result = root_plan.tf.plan(tmp_path / f"{env_name}-{region}.tfplan", var_files=[var_file])
                assert result.has_changes
                plan = Plan(root_plan.tf, root_plan.tf.show_json(result.plan_file))
            for type_name in GLOBAL_TYPES:
                for after in plan.after(type_name).values():
                    key = (type_name, str(after.get("name") or after.get("name_prefix")))
                    assert key not in owner_of, f"{key} in both {owner_of.get(key)} and {label}"
                    owner_of[key] = label
            planned.append(label)
    assert len(planned) >= 2, planned
    assert len(owner_of) >= 10 * len(planned)
