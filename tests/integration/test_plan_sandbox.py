"""`infra plan` end to end with the embedded Terraform and the sandbox provider (nothing mocked)."""

from __future__ import annotations

import fcntl
import hashlib
import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import REPO
from tests.support.baseline import ProdPlans

PROD_REGIONS = ["eu-central", "eu-west", "us-east", "us-west"]


def test_prod_plans_all_four_regions(prod_artifacts: Path) -> None:
    for region in PROD_REGIONS:
        out = prod_artifacts / "prod" / region
        status = json.loads((out / "status.json").read_text())
        assert status["status"] == "ok" and status["mode"] == "sandbox"
        summary = json.loads((out / "summary.json").read_text())
        assert summary["mode"] == "sandbox" and summary["region"] == region
        assert summary["counts"]["add"] >= 60, summary["counts"]
        assert summary["counts"]["destroy"] == 0
        plan = json.loads((out / "plan.json").read_text())
        creates = [rc for rc in plan["resource_changes"] if rc["change"]["actions"] == ["create"]]
        assert len(creates) == summary["counts"]["add"]
        digest = (out / "plan.sha256").read_text().split()[0]
        assert digest == hashlib.sha256((out / "tfplan").read_bytes()).hexdigest() == summary["plan_sha256"]
        assert stat.S_IMODE((out / "plan.json").stat().st_mode) == 0o600
        assert stat.S_IMODE((out / "tfplan").stat().st_mode) == 0o600
        assert "Plan: " in (out / "summary.md").read_text() and "Sandbox plan" in (out / "summary.md").read_text()


def test_plan_json_has_no_secret_values_and_real_policies(prod_artifacts: Path) -> None:
    plan = json.loads((prod_artifacts / "prod" / "us-east" / "plan.json").read_text())
    versions = [rc for rc in plan["resource_changes"] if rc["type"] == "aws_secretsmanager_secret_version"]
    assert versions, "expected generated secrets"
    for rc in versions:
        assert rc["change"]["after"].get("secret_string") in (None, "")
        assert rc["change"]["after"].get("secret_string_wo") is None
    # aws_iam_policy_document is rendered by the sandbox: real JSON reaches the plan.
    policies = [rc for rc in plan["resource_changes"] if rc["type"] == "aws_iam_role"
                and isinstance(rc["change"]["after"].get("assume_role_policy"), str)]
    assert policies
    doc = json.loads(policies[0]["change"]["after"]["assume_role_policy"])
    assert doc["Version"] == "2012-10-17" and doc["Statement"]


def test_residency_of_planned_regions(prod_artifacts: Path) -> None:
    """Replicas planned from an EU region stay in the EU, and US ones in the US."""
    for region, zone_regions in (("eu-west", {"eu-west-1", "eu-central-1"}), ("us-east", {"us-east-1", "us-west-2"})):
        plan = json.loads((prod_artifacts / "prod" / region / "plan.json").read_text())
        seen = set()
        for rc in plan["resource_changes"]:
            after = rc["change"].get("after") or {}
            if isinstance(after.get("region"), str):
                seen.add(after["region"])
            for replica in after.get("replica") or []:
                if isinstance(replica, dict) and replica.get("region"):
                    seen.add(replica["region"])
        assert seen and seen <= zone_regions, seen


def test_one_region_failing_does_not_hide_the_others(infra: Callable[..., object], tmp_path: Path) -> None:
    out = tmp_path / "a"
    # Another process holds eu-central's state lock (Terraform's local backend uses fcntl locks).
    state = out / "staging" / "eu-central" / "sandbox.tfstate"
    state.parent.mkdir(parents=True)
    state.write_text("")
    with open(state, "r+") as held:
        fcntl.lockf(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = infra("--project", str(REPO), "--artifacts", str(out), "plan", "--all", "--env", "staging",
                       "--sandbox", "--no-scan", "--json")
    assert result.code == 1
    data = json.loads(result.out)
    by_region = {r["region"]: r for r in data["regions"]}
    assert by_region["us-east"]["status"] == "ok" and by_region["us-east"]["counts"]["add"] > 0
    assert by_region["eu-central"]["status"] == "failed" and by_region["eu-central"]["stage"] in ("init", "plan")
    status = json.loads((out / "staging" / "eu-central" / "status.json").read_text())
    assert status["status"] == "failed" and status["stage"] == by_region["eu-central"]["stage"]
    assert "Error acquiring the state lock" in status["error"], status
    assert not (out / "staging" / "eu-central" / "plan.json").exists()


def test_detailed_exitcode_and_table(infra: Callable[..., object], tmp_path: Path) -> None:
    result = infra("--project", str(REPO), "--artifacts", str(tmp_path), "plan", "us-east", "--sandbox",
                   "--no-scan", "--detailed-exitcode")
    assert result.code == 2, result.err
    assert "SANDBOX PLAN" in result.err
    assert "staging/us-east: Plan:" in result.err and "to add, 0 to change, 0 to destroy." in result.err
    from toolkit.plan.pipeline import table_rows  # every row fills every column of the table

    header = ("region", "mode", "status", "+", "~", "-", "-/+", "protected", "time")
    assert all(len(row) == len(header) for row in table_rows([]))
    row = next(line for line in result.err.splitlines() if "staging/us-east" in line and "sandbox" in line)
    assert row.count("│") == len(header) + 1 and row.rstrip().endswith("s │")


def test_no_credentials_means_sandbox(infra: Callable[..., object], tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    from toolkit.plan.mode import choose_mode

    assert choose_mode(None) == ("sandbox", "no AWS credentials configured")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    assert choose_mode(None)[0] == "cloud"


def test_apply_refuses_sandbox_plans(infra: Callable[..., object], prod_plans: ProdPlans,
                                     prod_artifacts: Path) -> None:
    result = infra("--project", str(prod_plans.root), "--artifacts", str(prod_artifacts), "apply", "us-east",
                   "--env", "prod")
    assert result.code == 1
    assert "a sandbox plan applies only to sandbox state, with --sandbox; never to the cloud" in result.err


def test_sandbox_leaves_the_repo_untouched(prod_plans: ProdPlans, prod_artifacts: Path) -> None:
    project = prod_plans.root  # the project the prod plans were made from
    assert not (project / "terraform" / ".terraform").exists()
    assert not list(project.glob("modules/*/.terraform"))
    lock = prod_artifacts / "prod" / "us-east" / "work" / "terraform" / ".terraform.lock.hcl"
    assert 'provider "registry.terraform.io/hashicorp/aws"' in lock.read_text()


def test_every_planned_region_has_an_intact_private_bundle(prod_plans: ProdPlans, prod_artifacts: Path) -> None:
    """The bundle apply reads: for its own env/region, every file as its manifest says, 0600 in 0700;
    its state is the sandbox state where the plan was made (``prod_artifacts`` is a copy)."""
    from toolkit.plan.bundle import verify_bundle

    for region in PROD_REGIONS:
        out = prod_artifacts / "prod" / region
        manifest, digest = verify_bundle(out / "bundle")
        assert (manifest.environment, manifest.region, manifest.mode) == ("prod", region, "sandbox")
        assert manifest.files["tfplan"] == hashlib.sha256((out / "tfplan").read_bytes()).hexdigest()
        assert manifest.state == f"local:{(prod_plans.region_dir(region) / 'sandbox.tfstate').resolve()}"
        assert len(digest) == 64
        assert stat.S_IMODE((out / "bundle").stat().st_mode) == 0o700
        assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in (out / "bundle").rglob("*") if p.is_file())
