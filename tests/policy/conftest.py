"""Shared fixtures: two real checkov runs per session (the per-check fixtures, a mini project)."""

from __future__ import annotations

import shutil
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.policy import builders
from tests.support import REPO
from toolkit.adapters import checkov
from toolkit.scan import run as scan

POLICY_DIR = REPO / "policy"
FIXTURES = Path(__file__).parent / "fixtures" / "checks"
PROD_US = {
    "environment": "prod",
    "region_key": "us-east",
    "aws_region": "us-east-1",
    "zone": "us",
    "zone_regions": ["us-east-1", "us-west-2"],
    "min_on_demand_share": 0.3,
}

KMS_MODULE = """\
variable "keys" {
  description = "Keys by purpose."
  type        = map(object({ description = string }))
  default     = { logs = { description = "logs" } }
}

resource "aws_kms_key" "this" {
  for_each                = var.keys
  description             = each.value.description
  enable_key_rotation     = true
  deletion_window_in_days = 30
}
"""

ROOT_STACK = """\
module "kms" {
  source = "../modules/kms"
}
"""

# Seeded violations: one region per broken thing, all scanned by one checkov run.
SEEDED = {
    "rotation": (
        "CKV_INFRA_13",
        {
            "resources": builders.modified(
                builders.clean_resources("prod-rotation"), "aws_kms_key", enable_key_rotation=False
            )
        },
    ),
    "taint": (
        "CKV_INFRA_1",
        {
            "manifests": {
                **builders.clean_manifests(),
                "gpu.yaml": [
                    builders.nodepool(
                        "gpu", families=["g5"], capacity=["on-demand"], limits={"cpu": 64, "nvidia.com/gpu": 8}
                    ),
                    builders.nodeclass("gpu"),
                ],
            }
        },
    ),
    "endpoint": (
        "CKV_INFRA_7",
        {
            "resources": builders.modified(
                builders.clean_resources("prod-endpoint"),
                "aws_eks_cluster",
                vpc_config=[
                    {
                        "endpoint_private_access": True,
                        "endpoint_public_access": True,
                        "subnet_ids": ["subnet-1"],
                        "public_access_cidrs": ["0.0.0.0/0"],
                    }
                ],
            )
        },
    ),
    "replica": (
        "CKV_INFRA_6",
        {
            "resources": builders.modified(
                builders.clean_resources("prod-replica"),
                "aws_secretsmanager_secret",
                replica=[{"region": "eu-west-1", "kms_key_id": builders.KEY_ARN}],
            )
        },
    ),
    "protected": (
        "INFRA_PROTECTED_CHANGE",
        {"protected": [{"address": "module.kms.aws_kms_key.this", "type": "aws_kms_key", "action": "delete"}]},
    ),
}

# checkov built-ins that policy/severity.yaml raises to HIGH and that catch the same seed too.
SEEDED_ALSO: dict[str, set[str]] = {
    "rotation": {"CKV_AWS_7"},  # KMS rotation
    "endpoint": {"CKV_AWS_38", "CKV_AWS_39"},  # EKS public endpoint, open to 0.0.0.0/0
}


# Clean regions; "unknown" holds values terraform knows only after apply (a key created in the same plan).
CLEAN_REGIONS = ("us-east", "us-west", "unknown")
UNKNOWN_KEY = {
    "module.secrets.aws_secretsmanager_secret.this": {"kms_key_id": True, "replica": []},
    "module.eks.aws_eks_cluster.this": {"encryption_config": [{"provider": [{"key_arn": True}], "resources": [False]}]},
}


def unknown_key_resources() -> list[builders.Resource]:
    resources = builders.modified(
        builders.clean_resources("prod-unknown"), "aws_secretsmanager_secret", kms_key_id=None, replica=[]
    )
    return builders.modified(
        resources, "aws_eks_cluster", encryption_config=[{"provider": [{}], "resources": ["secrets"]}]
    )


@pytest.fixture(scope="session")
def fixture_results() -> dict[tuple[str, str], list[dict[str, Any]]]:
    """checkov once over every per-check fixture; records keyed by (fixture check id, pass|fail)."""
    files = sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".json", ".yaml"))
    context = {"files": {str(f): PROD_US for f in files}}
    reports = checkov.run_checkov(REPO, files, POLICY_DIR / "checks", context)
    out: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for rec in checkov.records(reports):
        rel = Path(rec["abs_path"]).resolve().relative_to(FIXTURES)
        out[(rel.parts[0], rel.parts[1])].append(rec)
    return out


@dataclass
class MiniProject:
    root: Path
    artifacts: Path
    results: dict[str, scan.ScanResult]
    runs_after_first_scan: int

    def copy(self, dest: Path) -> MiniProject:
        shutil.copytree(self.root, dest, symlinks=True)
        return MiniProject(dest, dest / ".infra", self.results, self.runs_after_first_scan)


def make_project(root: Path) -> Path:
    (root / "modules" / "kms").mkdir(parents=True)
    (root / "modules" / "kms" / "main.tf").write_text(KMS_MODULE)
    (root / "terraform").mkdir()
    (root / "terraform" / "main.tf").write_text(ROOT_STACK)
    (root / "policy").mkdir()
    shutil.copytree(POLICY_DIR / "checks", root / "policy" / "checks", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("severity.yaml", "policy.yaml"):
        shutil.copy(POLICY_DIR / name, root / "policy" / name)
    (root / "policy" / "waivers.yaml").write_text("waivers: []\n")
    return root


@pytest.fixture(scope="session")
def mini_project(tmp_path_factory: pytest.TempPathFactory) -> MiniProject:
    root = make_project(tmp_path_factory.mktemp("mini") / "project")
    artifacts = root / ".infra"
    builders.write_region(artifacts, "prod", "us-east")
    builders.write_region(artifacts, "prod", "us-west")
    builders.write_region(artifacts, "prod", "unknown", resources=unknown_key_resources(), unknown=UNKNOWN_KEY)
    for region, (_check, kwargs) in SEEDED.items():
        builders.write_region(artifacts, "prod", region, **kwargs)
    # An EU environment region whose resources sit in us-east-1 (same checkov run as the US ones).
    builders.write_region(
        artifacts, "prod", "misplaced", resources=builders.clean_resources("prod-misplaced"), zone="eu"
    )
    regions = [*CLEAN_REGIONS, *SEEDED, "misplaced"]
    results = scan.scan_regions(root, artifacts, "prod", regions)
    return MiniProject(root, artifacts, results, checkov.runs)


@pytest.fixture()
def project(mini_project: MiniProject, tmp_path: Path) -> MiniProject:
    """A private copy of the scanned mini project (its scan cache included)."""
    return mini_project.copy(tmp_path / "project")
