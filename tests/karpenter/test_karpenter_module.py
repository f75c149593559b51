"""modules/karpenter with the real embedded Terraform (and the sandbox provider), checkov, docs."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra_sandbox.install import SandboxInstall
from tests.support import REPO, karpenter_tfdocs
from tests.support.checkov import CheckovRun
from tests.support.module_tests import ModuleTests, run_count
from toolkit.adapters.terraform.runner import Terraform
from toolkit.render import karpenter

HERE = Path(__file__).resolve().parent
MODULE = REPO / "modules" / "karpenter"
FIXTURES = sorted((HERE / "fixtures").glob("*.tfvars.json"))
OTHER = REPO / "tests" / "terraform" / "fixtures" / "prod-us-east.tfvars.json"
ALL_INPUTS = [*FIXTURES, OTHER]
PROD = HERE / "fixtures" / "prod-us-east.tfvars.json"
# Files of the module that need no provider: variables, names, and the manifests.
PROVIDER_FREE = ("main.tf", "variables.tf", "nodepools.tf")
OFFLINE_TESTS = ("validations.tftest.hcl", "manifests.tftest.hcl")


def module_vars(inputs: dict[str, Any]) -> dict[str, Any]:
    """The module's inputs as the root stack passes them from the contract's tfvars."""
    return {"name": inputs["name"], "region": inputs["region"], "account_id": inputs["account_id"],
            "cluster_name": inputs["name"], "tags": inputs["tags"], "karpenter": inputs["karpenter"]}


def provider_free_copy(dest: Path) -> Path:
    """The module without its AWS resources: variables, locals and the outputs built from locals.

    Lets the real Terraform evaluate every validation and every manifest without any provider.
    """
    dest.mkdir(parents=True)
    for name in PROVIDER_FREE:
        shutil.copy2(MODULE / name, dest / name)
    source = (MODULE / "outputs.tf").read_text(encoding="utf-8")
    blocks = re.findall(r'^output "[^"]+" \{\n.*?^\}\n', source, re.MULTILINE | re.DOTALL)
    kept = [b for b in blocks if "aws_" not in b]
    assert len(kept) >= 6, "manifest outputs missing from outputs.tf"
    (dest / "outputs.tf").write_text("\n".join(kept), encoding="utf-8")
    (dest / "tests").mkdir()
    for name in OFFLINE_TESTS:
        shutil.copy2(MODULE / "tests" / name, dest / "tests" / name)
    return dest


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> Terraform:
    tf = Terraform(provider_free_copy(tmp_path_factory.mktemp("karpenter") / "module"))
    tf.init(backend=False)
    return tf


def planned_outputs(tf: Terraform, var_file: Path) -> dict[str, Any]:
    plan = tf.plan(var_file.with_suffix(".tfplan"), var_files=[var_file])
    outputs = tf.show_json(plan.plan_file)["planned_values"]["outputs"]
    return {name: out["value"] for name, out in outputs.items() if "value" in out}


# ------------------------------------------------------------------ static checks


def test_terraform_fmt_is_clean() -> None:
    assert Terraform(MODULE).fmt_check(recursive=True) == []


def test_readme_tables_match_variables_and_outputs() -> None:
    if os.environ.get("UPDATE_TF_DOCS") == "1":
        karpenter_tfdocs.update(MODULE)
    readme = (MODULE / "README.md").read_text(encoding="utf-8")
    assert karpenter_tfdocs.section(readme) == karpenter_tfdocs.render(MODULE), \
        "README tables are stale: rerun with UPDATE_TF_DOCS=1"
    for name in ("name", "region", "account_id", "cluster_name", "karpenter", "tags"):
        assert f"| `{name}` |" in readme


def test_checkov_offline_reports_no_failed_checks(checkov_hcl: dict[Path, CheckovRun], tmp_path: Path) -> None:
    """The module's part of the session's offline checkov run over modules/ (as `checkov -d modules/karpenter`)."""
    run = checkov_hcl[MODULE.parent]
    summary = {"passed": len(run.results("passed_checks", under="karpenter")),
               "failed": len(run.results("failed_checks", under="karpenter")),
               "parsing_errors": run.summary["parsing_errors"]}
    failed = [f"{f['check_id']} {f['resource']} {f['file_path']}" for f in run.results("failed_checks", under="karpenter")]
    assert failed == []
    assert summary["parsing_errors"] == 0
    assert summary["passed"] >= 50  # the checks ran over the IAM, SQS and EventBridge resources
    (tmp_path / "summary.json").write_text(json.dumps(summary))


# ------------------------------------------------------------------ provider-free Terraform


def test_module_validations_and_manifest_invariants_run_in_terraform_test(offline: Terraform) -> None:
    runs = sum(len(re.findall(r'^run "', (MODULE / "tests" / n).read_text(), re.MULTILINE)) for n in OFFLINE_TESTS)
    result = offline.test()
    assert result.passed, result.output[-3000:]
    assert f"Success! {runs} passed, 0 failed." in result.output


@pytest.mark.parametrize("path", ALL_INPUTS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_hcl_manifests_equal_python_manifests(offline: Terraform, path: Path, tmp_path: Path) -> None:
    inputs = json.loads(path.read_text(encoding="utf-8"))
    var_file = tmp_path / "karpenter.tfvars.json"
    var_file.write_text(json.dumps(module_vars(inputs)), encoding="utf-8")
    outputs = planned_outputs(offline, var_file)
    built = karpenter.build_manifests(inputs)
    assert outputs["nodepools"] == built["nodepools"]
    assert outputs["ec2nodeclasses"] == built["ec2nodeclasses"]
    assert outputs["helm_values"] == karpenter.helm_values(inputs)
    assert [c["name"] for c in outputs["charts"]] == ["karpenter-crd", "karpenter"]


def test_hcl_equals_python_for_every_environment_region(offline: Terraform, tmp_path: Path) -> None:
    from toolkit.settings import Project, stack_inputs

    project = Project(REPO)  # environments/ is in the repo: settings that do not load fail here
    env_pairs = [(env, region) for env in project.environment_names() for region in sorted(project.region_files(env))]
    assert env_pairs
    for env, region in env_pairs:
        inputs = stack_inputs(project.region(env, region), project.catalog)
        built = karpenter.build_manifests(inputs)
        for obj in built["nodepools"] + built["ec2nodeclasses"]:
            assert karpenter.validate_manifest(obj) == [], (env, region, obj["metadata"]["name"])
        var_file = tmp_path / f"{env}-{region}.tfvars.json"
        var_file.write_text(json.dumps(module_vars(inputs)), encoding="utf-8")
        outputs = planned_outputs(offline, var_file)
        assert outputs["nodepools"] == built["nodepools"], (env, region)
        assert outputs["ec2nodeclasses"] == built["ec2nodeclasses"], (env, region)


def test_hcl_rejects_what_python_rejects(offline: Terraform, tmp_path: Path) -> None:
    inputs = json.loads(PROD.read_text(encoding="utf-8"))
    inputs["karpenter"]["pools"]["gpu-training"]["taints"] = []
    assert any("nvidia.com/gpu NoSchedule taint" in e for e in karpenter.check_inputs(inputs))
    var_file = tmp_path / "bad.tfvars.json"
    var_file.write_text(json.dumps(module_vars(inputs)), encoding="utf-8")
    res = offline.run(["plan", "-no-color", "-input=false", f"-var-file={var_file}"], check=False)
    assert res.returncode == 1
    assert "Every GPU pool must carry the nvidia.com/gpu NoSchedule taint." in res.stderr + res.stdout


# ------------------------------------------------------------------ the whole module against the sandbox provider


@pytest.fixture(scope="module")
def sandbox_env(sandbox: SandboxInstall) -> dict[str, str]:
    return sandbox.env()


@pytest.fixture(scope="module")
def example_plan(sandbox_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from infra_sandbox.install import stage_tree

    stage = stage_tree(REPO, tmp_path_factory.mktemp("stage"), dirs=("modules",))
    workdir = stage / "modules" / "karpenter" / "examples" / "basic"
    tf = Terraform(workdir, env=sandbox_env)
    tf.init(backend=False)
    result = tf.validate()
    assert result.valid, [d.one_line() for d in result.diagnostics]
    plan = tf.plan(workdir / "tfplan")
    yield tf.show_json(plan.plan_file)


def changes(plan: dict[str, Any], prefix: str) -> dict[str, dict[str, Any]]:
    return {rc["address"]: rc["change"] for rc in plan["resource_changes"] if rc["address"].startswith(prefix)}


def test_example_plan_outputs_equal_python_manifests(example_plan: dict[str, Any]) -> None:
    outputs = example_plan["planned_values"]["outputs"]
    built = karpenter.build_manifests(json.loads(PROD.read_text(encoding="utf-8")))
    assert outputs["nodepools"]["value"] == built["nodepools"]
    assert outputs["ec2nodeclasses"]["value"] == built["ec2nodeclasses"]
    assert outputs["node_role_name"]["value"] == karpenter.node_role_name("prod-us-east")


def test_example_plan_creates_the_aws_side(example_plan: dict[str, Any]) -> None:
    rules = changes(example_plan, "module.karpenter.aws_cloudwatch_event_rule.")
    patterns = {json.loads(c["after"]["event_pattern"])["detail-type"][0]: c["after"]["name"] for c in rules.values()}
    assert patterns == {
        "EC2 Spot Instance Interruption Warning": "prod-us-east-karpenter-spot-interruption",
        "EC2 Instance Rebalance Recommendation": "prod-us-east-karpenter-rebalance",
        "EC2 Instance State-change Notification": "prod-us-east-karpenter-state-change",
        "AWS Health Event": "prod-us-east-karpenter-scheduled-change",
        "EC2 Capacity Reservation Instance Interruption Warning": "prod-us-east-karpenter-capacity-reservation",
    }
    assert len(changes(example_plan, "module.karpenter.aws_cloudwatch_event_target.")) == 5
    queue = changes(example_plan, "module.karpenter.aws_sqs_queue.interruption")
    assert queue["module.karpenter.aws_sqs_queue.interruption"]["after"]["sqs_managed_sse_enabled"] is True
    roles = {c["after"]["name"]: c["after"] for c in changes(example_plan, "module.karpenter.aws_iam_role.").values()}
    assert set(roles) == {"prod-us-east-karpenter-node", "prod-us-east-karpenter-controller"}
    trust = json.loads(roles["prod-us-east-karpenter-controller"]["assume_role_policy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(trust["Statement"][0]["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    attachments = changes(example_plan, "module.karpenter.aws_iam_role_policy_attachment.node[")
    # no AmazonEKS_CNI_Policy: vpc-cni has its own Pod Identity role (modules/eks-cluster)
    assert sorted(c["after"]["policy_arn"].rsplit("/", 1)[1] for c in attachments.values()) == [
        "AmazonEC2ContainerRegistryPullOnly", "AmazonEKSWorkerNodePolicy", "AmazonSSMManagedInstanceCore"]
    policy = changes(example_plan, "module.karpenter.aws_sqs_queue_policy.interruption")
    statements = json.loads(policy["module.karpenter.aws_sqs_queue_policy.interruption"]["after"]["policy"])["Statement"]
    allow = [st for st in statements if st["Effect"] == "Allow"]
    assert len(allow) == 1 and allow[0]["Principal"] == {"Service": "events.amazonaws.com"}
    assert allow[0]["Resource"] == "arn:aws:sqs:us-east-1:123456789012:prod-us-east-karpenter"
    assert sorted(allow[0]["Condition"]["ArnEquals"]["aws:SourceArn"]) == sorted(
        f"arn:aws:events:us-east-1:123456789012:rule/{name}" for name in patterns.values())
    entry = changes(example_plan, "module.karpenter.aws_eks_access_entry.node")
    assert entry["module.karpenter.aws_eks_access_entry.node"]["after"]["type"] == "EC2_LINUX"
    assoc = changes(example_plan, "module.karpenter.aws_eks_pod_identity_association.controller")
    after = assoc["module.karpenter.aws_eks_pod_identity_association.controller"]["after"]
    assert (after["namespace"], after["service_account"]) == ("kube-system", "karpenter")


def test_module_resource_tests_pass_with_the_sandbox(module_tests: ModuleTests) -> None:
    """The provider-free files already ran above; resources.tftest.hcl needs the provider. From the
    session's one `infra test` run, which runs every file of the module with the sandbox."""
    output = module_tests.output("karpenter")
    runs = run_count(MODULE)
    assert run_count(MODULE, "resources.tftest.hcl") > 0
    assert module_tests.passed()["karpenter"], output[-3000:]
    assert re.search(r"^tests/resources\.tftest\.hcl\.\.\. pass$", output, re.MULTILINE), output[-3000:]
    assert f"Success! {runs} passed, 0 failed." in output
