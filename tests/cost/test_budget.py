"""Budgets in settings (`cost:`): a ceiling over its budget fails `infra cost`, names the setting, and is in cost.json."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support import REPO


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("INFRA_CACHE_DIR", str(tmp_path / "cache"))
    dst = tmp_path / "proj"
    shutil.copytree(REPO / "environments", dst / "environments")
    return dst


def _budget(project: Path, text: str) -> None:
    path = project / "environments" / "prod" / "us-east.yaml"
    path.write_text(path.read_text() + text)


def _ceilings(infra: Any, project: Path) -> dict[str, Any]:
    result = infra("--project", str(project), "cost", "us-east", "--env", "prod", "--json")
    return dict(json.loads(result.out)["regions"][0])


def test_within_budget_passes_and_is_recorded(infra: Any, project: Path, tmp_path: Path) -> None:
    region = _ceilings(infra, project)
    total = region["totals"]["ceiling_usd"]
    _budget(project, f"cost:\n  monthly_ceiling_usd: {total + 1}\n")
    result = infra("--project", str(project), "--artifacts", str(tmp_path / "art"), "cost", "us-east", "--env",
                   "prod", "--write")
    assert result.code == 0, result.err
    doc = json.loads((tmp_path / "art" / "prod" / "us-east" / "cost.json").read_text())
    assert doc["budget"] == {"monthly_ceiling_usd": total + 1, "pools": {}}
    assert doc["breaches"] == []


def test_region_ceiling_over_budget_fails(infra: Any, project: Path) -> None:
    total = _ceilings(infra, project)["totals"]["ceiling_usd"]
    _budget(project, f"cost:\n  monthly_ceiling_usd: {total - 1}\n")
    result = infra("--project", str(project), "cost", "us-east", "--env", "prod")
    assert result.code == 1
    last = result.err.strip().splitlines()[-1]
    assert last.startswith("error: 1 spend ceiling(s) over budget: spend ceiling prod/us-east: $")
    assert last.endswith("(cost.monthly_ceiling_usd)")


def test_pool_budget_counts_every_nodepool_of_the_pool(infra: Any, project: Path) -> None:
    region = _ceilings(infra, project)
    pool_total = sum(n["ceiling_usd"] for n in region["nodepools"] if n["pool"] == "gpu-inference")
    assert len([n for n in region["nodepools"] if n["pool"] == "gpu-inference"]) == 2  # on-demand + spot
    _budget(project, f"cost:\n  pools:\n    gpu-inference: {round(pool_total - 100, 2)}\n")
    result = infra("--project", str(project), "cost", "us-east", "--env", "prod", "--json")
    assert result.code == 1
    doc = json.loads(result.out)["regions"][0]
    (breach,) = doc["breaches"]
    assert breach["scope"] == "gpu-inference"
    assert breach["ceiling_usd"] == pytest.approx(pool_total, abs=0.05)
    assert "(cost.pools.gpu-inference)" in breach["line"]


def test_doubling_a_pools_gpu_limit_can_breach_its_budget(infra: Any, project: Path) -> None:
    pool_total = sum(n["ceiling_usd"] for n in _ceilings(infra, project)["nodepools"] if n["pool"] == "gpu-inference")
    _budget(project, f"cost:\n  pools:\n    gpu-inference: {round(pool_total * 1.5, 2)}\n")
    assert infra("--project", str(project), "cost", "us-east", "--env", "prod").code == 0
    defaults = project / "environments" / "defaults.yaml"
    text = defaults.read_text()
    assert "limits: {cpu: 512, memory_gi: 2048, gpu: 32}" in text
    defaults.write_text(text.replace("limits: {cpu: 512, memory_gi: 2048, gpu: 32}",
                                     "limits: {cpu: 1024, memory_gi: 4096, gpu: 64}"))
    assert infra("--project", str(project), "cost", "us-east", "--env", "prod").code == 1


def test_a_budget_for_an_unknown_pool_is_a_settings_error(infra: Any, project: Path) -> None:
    _budget(project, "cost:\n  pools:\n    gpu-inferense: 1000\n")
    result = infra("--project", str(project), "cost", "us-east", "--env", "prod")
    assert result.code == 1
    assert "cost.pools.gpu-inferense: no such Karpenter pool" in result.err
