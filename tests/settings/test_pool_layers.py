"""Pool rules through the settings layers: what `infra render` does with a region's pools."""

from __future__ import annotations

import json
from pathlib import Path

from toolkit.settings import Project, stack_inputs

US = "staging/us-east.yaml"


def _pool(project: Path, name: str, text: str) -> None:
    """Add settings (``text``, indented for a pool's keys) to pool ``name`` of the region file."""
    path = project / "environments" / US
    source = path.read_text(encoding="utf-8")
    anchor = f"    {name}:\n" if f"    {name}:\n" in source else "karpenter:\n  pools:\n"
    assert anchor in source
    extra = text if anchor.startswith("    ") else f"    {name}:\n{text}"
    path.write_text(source.replace(anchor, anchor + extra, 1), encoding="utf-8")


def test_policy_on_demand_needs_no_spot_share_even_over_an_inherited_one(project_copy: Path) -> None:
    # defaults.yaml gives `general` {policy: spot-first, spot_share: 0.7}; the region writes
    # only the policy, and the merged mix still carries 0.7: on-demand means 0 regardless.
    _pool(project_copy, "general", "      capacity_mix: {policy: on-demand}\n")
    project = Project(project_copy)
    inputs = stack_inputs(project.region("staging", "us-east"), project.catalog)
    assert inputs["karpenter"]["pools"]["general"]["capacity_mix"] == {
        "policy": "on-demand", "spot_share": 0.0, "baseline_cpu": None, "baseline_gpu": None}


def test_policy_spot_implies_spot_share_one(project_copy: Path) -> None:
    _pool(project_copy, "general", "      capacity_mix: {policy: spot}\n")
    project = Project(project_copy)
    inputs = stack_inputs(project.region("staging", "us-east"), project.catalog)
    assert inputs["karpenter"]["pools"]["general"]["capacity_mix"]["spot_share"] == 1.0


def test_baseline_gpu_alone_and_weight_zero_render(project_copy: Path, infra: object, tmp_path: Path) -> None:
    _pool(project_copy, "gpu-inference", "      capacity_mix: {policy: on-demand-baseline, baseline_cpu: null,"
                                         " baseline_gpu: 8}\n      weight: 0\n")
    out = tmp_path / "artifacts"
    result = infra("--project", str(project_copy), "--artifacts", str(out), "render", "us-east")  # type: ignore[operator]
    assert result.code == 0, result.err
    tfvars = json.loads((out / "staging" / "us-east" / "terraform.tfvars.json").read_text())
    pool = tfvars["karpenter"]["pools"]["gpu-inference"]
    assert (pool["capacity_mix"]["baseline_cpu"], pool["capacity_mix"]["baseline_gpu"], pool["weight"]) == (None, 8, 0)
    nodepools = (out / "staging" / "us-east" / "manifests" / "karpenter-nodepools.yaml").read_text()
    assert "name: gpu-inference-on-demand" in nodepools


def test_a_rule_across_fields_points_at_the_key_it_is_about(project_copy: Path, infra: object) -> None:
    _pool(project_copy, "gpu-inference", "      weight: 20\n      capacity_mix:\n        baseline_cpu: 9999\n")
    result = infra("--project", str(project_copy), "render", "us-east")  # type: ignore[operator]
    assert result.code == 1
    line = next(i for i, text in enumerate((project_copy / "environments" / US).read_text().splitlines(), 1)
                if "baseline_cpu: 9999" in text)
    assert f"environments/{US}:{line}: karpenter.pools.gpu-inference.capacity_mix.baseline_cpu: " in result.err
    assert "expected a number between 0 and limits.cpu (512, at least 1), but baseline_cpu 9999 exceeds" in result.err
