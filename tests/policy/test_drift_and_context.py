"""The Karpenter objects of the plan against the rendered manifests (no checkov), and what the
region context takes from the rendered tfvars."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from tests.policy import builders
from toolkit.artifacts.layout import RegionLayout
from toolkit.policy.settings import PolicySettings
from toolkit.scan import karpenter
from toolkit.scan.context import policy_context, region_context

Json = dict[str, Any]


def _objects() -> dict[str, list[Json]]:
    docs = [d for docs in builders.clean_manifests().values() for d in docs]
    return {kind: [d for d in docs if d["kind"] == kind] for kind in karpenter.OUTPUTS}


def _plan(objects: dict[str, list[Json]] | None, module: bool = True) -> Json:
    resources = builders.clean_resources()
    if not module:
        resources = [r for r in resources if r[3] != "karpenter"]
    plan = builders.plan_doc(resources)
    if objects is not None:
        plan["planned_values"]["outputs"] = {
            out: {"value": objects[kind]} for kind, (out, _f) in karpenter.OUTPUTS.items() if kind in objects}
    return plan


def test_equal_objects_have_no_drift() -> None:
    objects = _objects()
    assert karpenter.drift(karpenter.plan_objects(_plan(objects)) or {}, copy.deepcopy(objects)) == []


def test_each_difference_names_the_object_and_the_first_field() -> None:
    rendered = _objects()
    planned = copy.deepcopy(rendered)
    gpu = next(o for o in planned["NodePool"] if o["metadata"]["name"] == "gpu")
    gpu["spec"]["template"]["spec"]["taints"] = []  # the GPU taint dropped in nodepools.tf
    nodeclass = planned["EC2NodeClass"][0]
    nodeclass["spec"]["metadataOptions"]["httpPutResponseHopLimit"] = 2
    nodeclass["spec"]["blockDeviceMappings"][0]["ebs"]["encrypted"] = False
    planned["NodePool"].append(builders.nodepool("extra", families=["m6i"], capacity=["spot"], limits={"cpu": 4}))
    found = karpenter.drift(karpenter.plan_objects(_plan(planned)) or {}, rendered)
    assert [(d.resource, d.field) for d in found] == [
        ("NodePool.default.extra", ""),
        ("NodePool.default.gpu", "spec.template.spec.taints"),
        (f"EC2NodeClass.default.{nodeclass['metadata']['name']}", "spec.blockDeviceMappings[0].ebs.encrypted"),
    ]
    assert found[1].detail == "0 item(s) in the plan, 1 in the manifests"
    assert found[2].detail == "plan false, manifests true"
    assert "in the plan, not in the rendered manifests" in found[0].detail


def test_a_plan_without_the_outputs_or_without_karpenter() -> None:
    # module.karpenter planned, but the root stack no longer outputs its objects: cannot compare, fails.
    missing = karpenter.drift(karpenter.plan_objects(_plan(None)) or {}, _objects())
    assert [(d.kind, d.name) for d in missing] == [("NodePool", "*"), ("EC2NodeClass", "*")]
    assert karpenter.plan_objects(_plan(None, module=False)) is None  # no Karpenter in this stack at all


def test_numbers_compare_by_value_but_types_count() -> None:
    assert karpenter.first_difference({"a": 1}, {"a": 1.0}) is None
    assert karpenter.first_difference({"a": 1}, {"a": "1"}) == ("a", "plan 1, manifests '1'")
    assert karpenter.first_difference({"a": True}, {"a": 1}) == ("a", "plan true, manifests 1")
    assert karpenter.first_difference({"a": None}, {}) == ("a", "only in the plan: null")


def test_the_plans_objects_are_written_as_manifests(tmp_path: Path) -> None:
    objects = _objects()
    (tmp_path / "stale.yaml").write_text("---\n{}\n")
    written = karpenter.write_module_manifests(objects, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["karpenter-ec2nodeclasses.yaml", "karpenter-nodepools.yaml"]
    assert karpenter.manifest_objects(written) == objects


def test_region_context_has_account_and_name(tmp_path: Path) -> None:
    rdir = builders.write_region(tmp_path, "prod", "us-east")
    tfvars = json.loads((rdir / "terraform.tfvars.json").read_text())
    (rdir / "terraform.tfvars.json").write_text(json.dumps({**tfvars, "account_id": "210987654321"}))
    ctx = region_context(RegionLayout.of(tmp_path, "prod", "us-east"), "prod", "us-east", None)
    assert ctx["account_id"] == "210987654321" and ctx["name"] == "prod-us-east"
    settings = PolicySettings(floors={"prod": {"log_retention_days": 400}})
    doc = policy_context(settings, {"/x/plan.json": ctx})
    assert doc["policy"]["floors"] == {"prod": {"log_retention_days": 400}} and "waiver_rules" not in doc["policy"]
