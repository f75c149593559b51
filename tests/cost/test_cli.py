"""infra cost: output, bad names, cost.json, and the difference a change makes (--against, --base)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import REPO


@pytest.fixture(autouse=True)
def _bundled_prices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFRA_CACHE_DIR", str(tmp_path / "cache"))  # no user-cache snapshot: the bundled one


def _json(result: Any) -> dict[str, Any]:
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def test_all_regions_json(infra: Any) -> None:
    data = _json(infra("--project", str(REPO), "cost", "--all", "--env", "prod", "--json"))
    assert [r["region"] for r in data["regions"]] == ["eu-central", "eu-west", "us-east", "us-west"]
    east = data["regions"][2]
    assert east["schema_version"] == 1 and east["snapshot"]["origin"] == "bundled"
    names = [n["nodepool"] for n in east["nodepools"]]
    assert "gpu-inference-on-demand" in names and "gpu-inference-spot" in names
    total = sum(n["ceiling_usd"] for r in data["regions"] for n in r["nodepools"])
    assert data["totals"]["ceiling_usd"] == pytest.approx(total, abs=0.1)


def test_console_table_on_stderr(infra: Any) -> None:
    result = infra("--project", str(REPO), "cost", "us-east", "--env", "prod")
    assert result.code == 0 and result.out == ""
    assert "prices: bundled snapshot" in result.err
    assert "gpu-training-on-demand" in result.err and "prod: ceiling $" in result.err


@pytest.mark.parametrize(("args", "message"), [
    (["cost", "mars-1", "--env", "prod"], "unknown region 'mars-1'"),
    (["cost", "--all", "--env", "nope"], "unknown environment 'nope'"),
    (["cost", "eu-west", "--env", "staging"], "environment 'staging' has no settings for region 'eu-west'"),
])
def test_bad_names(infra: Any, args: list[str], message: str) -> None:
    result = infra("--project", str(REPO), *args)
    assert result.code != 0
    assert message in result.err


def test_write_cost_json(infra: Any, tmp_path: Path) -> None:
    out = tmp_path / "artifacts"
    result = infra("--project", str(REPO), "--artifacts", str(out), "cost", "--all", "--env", "staging", "--write")
    assert result.code == 0, result.err
    doc = json.loads((out / "staging" / "us-east" / "cost.json").read_text())
    assert doc["schema_version"] == 1 and doc["environment"] == "staging" and doc["region"] == "us-east"
    assert doc["snapshot"]["assembled"] and {s["id"] for s in doc["snapshot"]["sources"]} >= {"skypilot-aws-vms"}
    assert len(doc["snapshot"]["sha256"]) == 64 and "path" not in doc["snapshot"]  # no machine paths in artifacts
    assert (out / "staging" / "eu-central" / "cost.json").is_file()


def test_against_rendered_inputs_shows_the_changed_ceiling(infra: Any, tmp_path: Path) -> None:
    other = tmp_path / "other"
    assert infra("--project", str(REPO), "--artifacts", str(other), "render", "us-east", "--env", "prod").code == 0
    tfvars = other / "prod" / "us-east" / "terraform.tfvars.json"
    inputs = json.loads(tfvars.read_text())
    inputs["karpenter"]["pools"]["gpu-inference"]["limits"]["gpu"] = 16  # the other side had half the GPUs
    inputs["karpenter"]["pools"]["gpu-inference"]["capacity_mix"]["baseline_gpu"] = 8
    tfvars.write_text(json.dumps(inputs))
    data = _json(infra("--project", str(REPO), "cost", "us-east", "--env", "prod", "--against", str(other), "--json"))
    lines = [c["line"] for c in data["changes"]]
    assert data["compared"] == {"before": str(other), "after": "working tree"}
    assert any(line.startswith("GPU ceiling prod/us-east gpu-inference-on-demand: $") for line in lines), lines
    assert not any("general" in line or "gpu-training" in line for line in lines)


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True, text=True).stdout


def test_base_ref_of_a_temporary_repo_shows_the_diff(infra: Any, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "environments", repo / "environments")
    _git(tmp_path, "init", "-q", str(repo))
    _git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", "-A")
    _git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "base")
    env_file = repo / "environments" / "prod" / "env.yaml"
    doc = yaml.safe_load(env_file.read_text())
    # Double the training pool (all three limits: with only more GPUs, memory would still bind).
    doc["defaults"]["karpenter"]["pools"]["gpu-training"]["limits"] = {"cpu": 3072, "memory_gi": 24576, "gpu": 128}
    env_file.write_text(yaml.safe_dump(doc, sort_keys=False))
    result = infra("--project", str(repo), "cost", "us-east", "--env", "prod", "--base", "HEAD")
    assert result.code == 0, result.err
    assert "changes from git HEAD to working tree:" in result.err
    changed = [line.strip() for line in result.err.splitlines() if "ceiling prod/us-east" in line]
    assert changed and all(line.startswith("GPU ceiling prod/us-east gpu-training-") for line in changed), changed
    before, after = (float(x.replace("$", "").replace(",", "")) for x in
                     changed[0].split(": ", 1)[1].removesuffix(" per month").split(" -> "))
    assert after > before
    assert _git(repo, "worktree", "list").count("\n") == 1  # the temporary worktree is gone
    assert _git(repo, "status", "--porcelain").strip() == "M environments/prod/env.yaml"


def test_base_must_be_a_commit(infra: Any, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "environments", repo / "environments")
    _git(tmp_path, "init", "-q", str(repo))
    result = infra("--project", str(repo), "cost", "us-east", "--env", "prod", "--base", "no-such-ref")
    assert result.code == 1 and "--base no-such-ref: not a commit" in result.err
