"""Real sandbox plans of the repository: the untouched stack passes the gate; each seeded violation,
applied to a copy of a real region's artifacts, fails it naming the check (one checkov run)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.baseline import ProdPlans
from toolkit.adapters import checkov
from toolkit.gate import decision as gate
from toolkit.scan import run as scan

Json = dict[str, Any]


def _resources(plan: Json, rtype: str) -> Iterator[Json]:
    """Every planned_values resource and resource_changes ``after`` of a type (kept consistent)."""

    def walk(module: Json) -> Iterator[Json]:
        for res in module.get("resources") or []:
            if res["type"] == rtype:
                yield res["values"]
        for child in module.get("child_modules") or []:
            yield from walk(child)

    yield from walk(plan["planned_values"]["root_module"])
    for rc in plan["resource_changes"]:
        if rc["type"] == rtype and rc["change"].get("after"):
            yield rc["change"]["after"]


def _edit_plan(rdir: Path, rtype: str, edit: Callable[[Json], None]) -> None:
    plan = json.loads((rdir / "plan.json").read_text())
    touched = 0
    for values in _resources(plan, rtype):
        edit(values)
        touched += 1
    assert touched, f"no {rtype} in the plan"
    (rdir / "plan.json").write_text(json.dumps(plan))


def _rotation_off(rdir: Path) -> None:
    _edit_plan(rdir, "aws_kms_key", lambda v: v.update(enable_key_rotation=False))


def _public_endpoint(rdir: Path) -> None:
    _edit_plan(rdir, "aws_eks_cluster", lambda v: v["vpc_config"][0].update(endpoint_public_access=True))


def _replica_other_zone(rdir: Path) -> None:
    replica = {"region": "eu-west-1", "kms_key_id": "arn:aws:kms:eu-west-1:111122223333:key/replica"}
    _edit_plan(rdir, "aws_secretsmanager_secret", lambda v: v.update(replica=[replica]))


def _rotation_period_too_long(rdir: Path) -> None:
    def edit(values: Json) -> None:
        values["rotation_rules"][0]["automatically_after_days"] = 180

    _edit_plan(rdir, "aws_secretsmanager_secret_rotation", edit)


def _taint_removed(rdir: Path) -> None:
    path = rdir / "manifests" / "karpenter-nodepools.yaml"
    docs = list(yaml.safe_load_all(path.read_text()))
    gpu = [
        d
        for d in docs
        if any(t.get("key") == "nvidia.com/gpu" for t in d["spec"]["template"]["spec"].get("taints", []))
    ]
    assert gpu, "no GPU NodePool in the rendered manifests"
    for doc in gpu:
        doc["spec"]["template"]["spec"]["taints"] = [
            t for t in doc["spec"]["template"]["spec"]["taints"] if t.get("key") != "nvidia.com/gpu"
        ]
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))


def _protected_destroy(rdir: Path) -> None:
    summary = json.loads((rdir / "summary.json").read_text())
    summary["protected_changes"] = [
        {"address": 'module.kms.aws_kms_key.this["state"]', "type": "aws_kms_key", "action": "delete"}
    ]
    (rdir / "summary.json").write_text(json.dumps(summary))


SEEDS: dict[str, tuple[str, Callable[[Path], None]]] = {
    "seed-rotation": ("CKV_INFRA_13", _rotation_off),
    "seed-endpoint": ("CKV_INFRA_7", _public_endpoint),
    "seed-replica": ("CKV_INFRA_6", _replica_other_zone),
    "seed-secret-rotation": ("CKV_INFRA_15", _rotation_period_too_long),
    "seed-taint": ("CKV_INFRA_1", _taint_removed),
    "seed-protected": ("INFRA_PROTECTED_CHANGE", _protected_destroy),
}


# checkov built-ins that policy/severity.yaml raises to HIGH and that catch the same seed.
# A hand edit of the rendered manifests makes them differ from the plan's objects (one source).
ALSO_FAILING: dict[str, set[str]] = {"seed-endpoint": {"CKV_AWS_39"},  # EKS public endpoint disabled
                                     "seed-taint": {"INFRA_MANIFEST_DRIFT"}}


@pytest.fixture(scope="module")
def planned(prod_plans: ProdPlans, infra_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's real prod plans of us-east and eu-west (a private copy), then seeded copies of
    us-east, all scanned once (cached units, the real regions' among them, come from the session cache)."""
    out = prod_plans.copy_artifacts(tmp_path_factory.mktemp("real-plans"), ["us-east", "eu-west"])
    for name, (_check, seed) in SEEDS.items():
        shutil.copytree(out / "prod" / "us-east", out / "prod" / name, ignore=shutil.ignore_patterns("tfplan", "work"))
        seed(out / "prod" / name)
    before = checkov.runs
    scan.scan_regions(prod_plans.root, out, "prod", ["us-east", "eu-west", *SEEDS], cache_dir=infra_cache / "scan")
    assert checkov.runs == before + 1
    return out


def test_untouched_repository_passes(planned: Path) -> None:
    decision = gate.evaluate(planned, "prod", regions=["us-east", "eu-west"])
    assert decision.passed, decision.reason
    own = {f.check_id for r in decision.regions if r.findings for f in r.findings.findings if f.status == "passed"}
    assert {"CKV_INFRA_1", "CKV_INFRA_4", "CKV_INFRA_6", "CKV_INFRA_7", "CKV_INFRA_8", "CKV_INFRA_13"} <= own


@pytest.mark.parametrize("region", sorted(SEEDS))
def test_seeded_violation_fails_the_gate(planned: Path, region: str) -> None:
    check_id = SEEDS[region][0]
    decision = gate.evaluate(planned, "prod", regions=[region])
    assert decision.exit_code == 1
    failing = {f.check_id for f in decision.blocking + decision.residency} | (
        {"INFRA_PROTECTED_CHANGE"} if decision.protected else set()
    )
    assert failing == {check_id} | ALSO_FAILING.get(region, set()), decision.reason
    assert (check_id in decision.reason) or ("protected change(s) without waiver" in decision.reason)


def test_secret_rotation_is_evaluated_on_the_real_plan(planned: Path) -> None:
    """checkov fills the null ``schedule_expression`` of a plan with its config text
    (``each.value.rotation_schedule``); CKV_INFRA_15 must still read ``automatically_after_days``."""
    rdir = planned / "prod" / "us-east"
    plan = json.loads((rdir / "plan.json").read_text())
    periods = {
        rc["address"]: rc["change"]["after"]["rotation_rules"][0]["automatically_after_days"]
        for rc in plan["resource_changes"]
        if rc["type"] == "aws_secretsmanager_secret_rotation"
    }
    assert sorted(periods.values()) == [30, 90], periods  # environments/prod/us-east.yaml
    findings = json.loads((rdir / "findings.json").read_text())["findings"]
    rotation = {f["resource"]: f["status"] for f in findings if f["check_id"] == "CKV_INFRA_15"}
    assert rotation == {address: "passed" for address in periods}
