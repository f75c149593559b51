"""Seeded violations: break one thing at a time in a copy of the repo; `infra gate` must fail naming the check.

Everything is real: settings and modules are edited, `infra plan` (embedded Terraform + sandbox
provider) and the checkov scan run, then `infra gate` decides. The untouched copy passes first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.baseline import ProdPlans

pytestmark = pytest.mark.slow

ENV, REGION = "prod", "us-east"


class Repo:
    def __init__(self, root: Path, artifacts: Path, infra: Callable[..., object]) -> None:
        self.root, self.artifacts, self.infra = root, artifacts, infra
        self._saved: dict[Path, str] = {}

    def edit(self, rel: str, old: str, new: str) -> None:
        path = self.root / rel
        text = path.read_text()
        assert old in text, f"fixture drift: {old!r} not in {rel}"
        self._saved.setdefault(path, text)
        path.write_text(text.replace(old, new, 1))

    def restore(self) -> None:
        for path, text in self._saved.items():
            path.write_text(text)
        self._saved.clear()

    def cli(self, *args: str) -> object:
        return self.infra("--project", str(self.root), "--artifacts", str(self.artifacts), *args)

    def plan(self, *, scan: bool = True) -> None:
        result = self.cli("plan", REGION, "--env", ENV, "--sandbox", *([] if scan else ["--no-scan"]))
        assert result.code == 0, result.err  # type: ignore[attr-defined]

    def gate(self) -> dict[str, object]:
        result = self.cli("--json", "gate", "--env", ENV, "--region", REGION)
        data = json.loads(result.out)  # type: ignore[attr-defined]
        data["exit"] = result.code  # type: ignore[attr-defined]
        data["stderr"] = result.err  # type: ignore[attr-defined]
        return data


@pytest.fixture(scope="module")
def repo(prod_plans: ProdPlans, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private copy of the project the session's prod plans were made from."""
    yield prod_plans.copy_project(tmp_path_factory.mktemp("seeded") / "proj")


def _failed_checks(gate: dict[str, object]) -> set[str]:
    found = set()
    for key in ("blocking", "residency", "protected_changes_unwaived"):
        found |= {f["check_id"] for f in gate[key] if isinstance(f, dict) and "check_id" in f}  # type: ignore[union-attr]
    return found


def test_seeded_violations_fail_the_gate(repo: Path, prod_plans: ProdPlans, tmp_path: Path,
                                        infra: Callable[..., object]) -> None:
    r = Repo(repo, tmp_path / "art", infra)

    # 0. The untouched repo passes with no unwaived failure: the session's real plan and scan of
    #    this region of this (identical) project, copied instead of planned again.
    prod_plans.copy_artifacts(r.artifacts, [REGION])
    gate = r.gate()
    assert gate["exit"] == 0 and gate["passed"] is True, gate["reason"]
    assert not gate["blocking"]

    # 1. Taint removed from a GPU NodePool (a hand edit of the rendered GitOps manifest).
    manifests = r.artifacts / ENV / REGION / "manifests" / "karpenter-nodepools.yaml"
    original = manifests.read_text()
    assert "nvidia.com/gpu" in original
    manifests.write_text(original.replace("key: nvidia.com/gpu", "key: example.com/not-gpu"))
    assert r.cli("scan", REGION, "--env", ENV).code == 0  # type: ignore[attr-defined]
    gate = r.gate()
    assert gate["exit"] == 1 and "CKV_INFRA_1" in _failed_checks(gate), gate["reason"]
    assert "CKV_INFRA_1" in str(gate["reason"]) or "CKV_INFRA_1" in gate["stderr"]  # type: ignore[operator]

    # 2. KMS rotation switched off in the module.
    r.edit("modules/kms/main.tf", "enable_key_rotation     = true", "enable_key_rotation     = false")
    r.plan()
    gate = r.gate()
    assert gate["exit"] == 1 and {"CKV_INFRA_13", "CKV_AWS_7"} & _failed_checks(gate), gate["reason"]
    r.restore()

    # 3. Public EKS endpoint in prod (settings).
    r.edit(f"environments/{ENV}/{REGION}.yaml", "eks:\n",
           "eks:\n  endpoint_public_access: true\n  public_access_cidrs: [203.0.113.0/24]\n")
    r.plan()
    gate = r.gate()
    assert gate["exit"] == 1 and "CKV_INFRA_7" in _failed_checks(gate), gate["reason"]
    r.restore()

    # 4. A KMS replica in the other residency zone (the stack's guard weakened by hand).
    r.edit("terraform/main.tf", "  zone_regions         = var.zone_regions\n",
           "  zone_regions         = concat(var.zone_regions, [\"eu-west-1\"])\n")
    r.edit("terraform/main.tf", "      multi_region       = key.multi_region",
           "      multi_region       = purpose == \"state\" ? true : key.multi_region")
    r.edit("terraform/main.tf", "      replica_regions    = key.replica_regions",
           "      replica_regions    = purpose == \"state\" ? [\"eu-west-1\"] : key.replica_regions")
    r.plan()
    gate = r.gate()
    assert gate["exit"] == 1 and "CKV_INFRA_5" in _failed_checks(gate), gate["reason"]
    assert "residency" in str(gate["reason"]).lower() or "CKV_INFRA_5" in str(gate["reason"])
    r.restore()

    # 5. A protected resource destroyed: apply the clean plan to sandbox state, then drop a secret.
    r.plan(scan=False)  # only its tfplan is used (applied), the gate never judges it
    from toolkit.adapters.terraform.runner import Terraform
    from toolkit.plan.mode import prepare_sandbox

    out = r.artifacts / ENV / REGION
    _, sandbox_env, _ = prepare_sandbox(None)
    Terraform(out / "work" / "terraform", env=sandbox_env | {"INFRA_SANDBOX_ACCOUNT_ID": "210987654321"}).apply(
        out / "tfplan")
    region_file = f"environments/{ENV}/{REGION}.yaml"
    text = (repo / region_file).read_text()
    start = text.index("  model-registry-token:")
    r.edit(region_file, text[start:], "")
    r.plan()
    summary = json.loads((out / "summary.json").read_text())
    assert any(c["type"] == "aws_secretsmanager_secret" and c["action"] == "delete"
               for c in summary["protected_changes"]), summary["protected_changes"]
    gate = r.gate()
    assert gate["exit"] == 1, gate["reason"]
    assert "protected change" in str(gate["reason"]) and "model-registry-token" in str(gate["reason"])
    assert gate["protected_changes_unwaived"]
    r.restore()
