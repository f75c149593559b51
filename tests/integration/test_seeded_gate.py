"""Seeded violations of issue 12, each class through real edits of a copy of the repo, real plans,
scans and the gate: severity too low, the new policies, the wrong copy of the Karpenter objects,
suppression without a trace (an inline skip without a waiver, a `*` waiver in prod), a lowered
floor, and a secret pasted into the settings (its value appears in no output).

Bounded: the clean copy is planned once (prod/us-east); the waiver and floor edits are judged on
those artifacts without re-planning (waivers apply after the scan cache; the floors are compared
by the gate), and the edits to settings and modules are applied together and re-planned once,
each leaving its own finding.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

ENV, REGION = "prod", "us-east"
SECRET = "AKIAQ3EGRTKB7XM2NWZP"  # shaped like an AWS access key id (not a real one)
Json = dict[str, Any]


class Copy:
    def __init__(self, root: Path, infra: Callable[..., Any]) -> None:
        self.root, self.infra = root, infra
        self.artifacts = root / ".infra"
        self.base = root.parent / "base" / "policy"  # the merge base's policy/ folder, as CI passes it
        shutil.copytree(root / "policy", self.base, ignore=shutil.ignore_patterns("__pycache__"))

    def edit(self, rel: str, old: str, new: str) -> None:
        path = self.root / rel
        text = path.read_text()
        assert old in text, f"fixture drift: {old!r} not in {rel}"
        path.write_text(text.replace(old, new, 1))

    def cli(self, *args: str) -> Any:
        return self.infra("--project", str(self.root), "--artifacts", str(self.artifacts), *args)

    def plan(self) -> None:
        result = self.cli("plan", REGION, "--env", ENV, "--sandbox")
        assert result.code == 0, result.err

    def scan(self) -> None:
        result = self.cli("scan", REGION, "--env", ENV)
        assert result.code == 0, result.err

    def gate(self) -> Json:
        result = self.cli("--json", "gate", "--env", ENV, "--region", REGION, "--base-policy", str(self.base))
        data: Json = json.loads(result.out)
        data["exit"] = result.code
        return data


def _ids(findings: list[Json]) -> set[str]:
    return {f["check_id"] for f in findings}


@pytest.fixture
def repo(tmp_path: Path, infra: Callable[..., Any]) -> Copy:
    root = tmp_path / "proj"
    for sub in ("environments", "modules", "terraform", "policy", "controls"):
        shutil.copytree(REPO / sub, root / sub, ignore=shutil.ignore_patterns(".terraform", "__pycache__"))
    return Copy(root, infra)


def test_each_class_of_seeded_violation_fails_the_gate(repo: Copy) -> None:
    started = time.monotonic()
    today = dt.date.today().isoformat()

    # 0. The untouched copy passes: nothing new blocks with `default: HIGH`, the inline skips are waived.
    repo.plan()
    gate = repo.gate()
    assert gate["exit"] == 0 and gate["passed"], gate["reason"]
    assert gate["skipped"] and not gate["unwaived_skips"] and gate["waiver_changes"] == []

    # 1. Suppression without a trace: a `*` waiver in prod with a placeholder owner, for 70 years.
    waivers = repo.root / "policy" / "waivers.yaml"
    clean_waivers = waivers.read_text()
    waivers.write_text(clean_waivers + (
        "  - id: W-all\n    check_id: '*'\n    resource: '*'\n    reason: unblock the release\n"
        f"    owner: TBD\n    created: {today}\n    expires: 2099-01-01\n"))
    repo.scan()  # waivers apply after the cache: checkov does not run again
    gate = repo.gate()
    assert gate["exit"] == 1
    assert {(v["waiver"], v["rule"]) for v in gate["waiver_rule_violations"]} == {
        ("W-all", "owner"), ("W-all", "max_lifetime_days"), ("W-all", "wildcards_in_strict")}
    assert "W-all breaks wildcards_in_strict" in gate["reason"]
    assert [(c["change"], c["id"]) for c in gate["waiver_changes"]] == [("added", "W-all")]
    md = (repo.artifacts / "gate" / ENV / f"gate-{ENV}.md").read_text()
    assert "### Waiver file changes (policy/waivers.yaml against the base)" in md and "| added | W-all |" in md
    waivers.write_text(clean_waivers)

    # 2. The floor moves with the change: policy.yaml's prod log retention floor lowered.
    policy = repo.root / "policy" / "policy.yaml"
    clean_policy = policy.read_text()
    repo.edit("policy/policy.yaml", "    log_retention_days: 365 ", "    log_retention_days: 1   ")
    gate = repo.gate()
    assert gate["exit"] == 1
    [floor] = gate["policy_findings"]
    assert (floor["check_id"], floor["resource"], floor["severity"]) == (
        "INFRA_FLOOR_LOWERED", "floors.prod.log_retention_days", "CRITICAL")
    assert "INFRA_FLOOR_LOWERED on floors.prod.log_retention_days" in gate["reason"]
    policy.write_text(clean_policy)

    # 3. Settings and modules, re-planned once:
    #    severity too low: control-plane logs kept 1 day (CKV_AWS_338 blocks);
    #    new policies: deletion protection hard-coded off (CKV_INFRA_25), an access key in a setting
    #      (CKV_INFRA_30 and the secrets scan);
    #    the wrong copy: the GPU taint's key replaced in modules/karpenter/nodepools.tf (drift, and
    #      CKV_INFRA_1 on the plan's objects);
    #    an inline skip without a waiver (CKV_AWS_158 on the log group).
    region_file = f"environments/{ENV}/{REGION}.yaml"
    repo.edit(region_file, "eks:\n", "eks:\n  log_retention_days: 1\n")
    repo.edit(region_file, "description: Token for the model registry (value set out of band)",
              f"description: Token for the model registry {SECRET}")
    repo.edit("modules/eks-cluster/main.tf", "deletion_protection           = var.deletion_protection",
              "deletion_protection           = false")
    repo.edit("modules/eks-cluster/main.tf", '  retention_in_days = var.log_retention_days\n',
              '  #checkov:skip=CKV_AWS_158:encrypted anyway\n  retention_in_days = var.log_retention_days\n')
    repo.edit("modules/karpenter/nodepools.tf", "key    = t.key", 'key    = "example.com/not-gpu"')
    repo.plan()
    gate = repo.gate()
    assert gate["exit"] == 1
    blocking = gate["blocking"] + gate["residency"]
    by_id = {f["check_id"]: f for f in blocking}
    assert by_id["CKV_AWS_338"]["resource"] == "module.eks.aws_cloudwatch_log_group.cluster"
    assert by_id["CKV_AWS_338"]["severity"] == "HIGH"
    assert {"CKV_INFRA_25", "CKV_INFRA_30", "CKV_INFRA_33", "CKV_SECRET_2", "INFRA_MANIFEST_DRIFT",
            "CKV_INFRA_1"} <= _ids(blocking)
    drift = [f for f in blocking if f["check_id"] == "INFRA_MANIFEST_DRIFT"]
    assert drift and all(f["resource"].startswith("NodePool.default.gpu-") for f in drift)
    assert all("spec.template.spec.taints[0].key" in f["title"] for f in drift)
    taint = [f for f in blocking if f["check_id"] == "CKV_INFRA_1"]
    assert taint and all(f["resource"].startswith("module.karpenter/NodePool.default.gpu-") for f in taint)
    assert [(s["check_id"], s["file"]) for s in gate["unwaived_skips"]] == [
        ("CKV_AWS_158", "modules/eks-cluster/main.tf")]
    assert "inline skip(s) without a live waiver (CKV_AWS_158" in gate["reason"]
    secrets = {f["file"] for f in blocking if f["check_id"] == "CKV_SECRET_2"}
    assert f"environments/{ENV}/{REGION}.yaml" in secrets
    assert any(f.endswith("terraform.tfvars.json") for f in secrets), secrets

    # The secret's value is in none of the outputs (checkov reports it by hash).
    outputs = [repo.artifacts / ENV / REGION / "findings.json"]
    outputs += sorted((repo.artifacts / "gate" / ENV).iterdir())
    assert len(outputs) == 5
    for path in outputs:
        assert SECRET not in path.read_text(), path
    assert SECRET not in json.dumps(gate)

    assert time.monotonic() - started < 900  # about 90 s on an idle 2-core machine
