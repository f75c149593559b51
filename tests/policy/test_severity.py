"""policy/severity.yaml: the built-in checks it raises exist in this checkov, and the ones that
must block a merge stay at HIGH or above (checkov reports no severity offline)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.policy.conftest import POLICY_DIR
from tests.support.checkov import builtin_list
from toolkit.artifacts.findings import load_severity_map

RANK = {"INFO": 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}

# Built-in AWS checks that must block a merge at the default HIGH threshold.
MUST_BLOCK = {
    "CKV_AWS_20": "S3 ACL public READ",
    "CKV_AWS_57": "S3 ACL public WRITE",
    "CKV_AWS_70": "S3 bucket policy any principal",
    "CKV_AWS_24": "security group 0.0.0.0/0 to port 22",
    "CKV_AWS_25": "security group 0.0.0.0/0 to port 3389",
    "CKV_AWS_1": "policy document *:*",
    "CKV_AWS_62": "IAM policy *:*",
    "CKV_AWS_3": "EBS encrypted",
    "CKV_AWS_16": "RDS encrypted",
    "CKV_AWS_19": "S3 encrypted",
    "CKV_AWS_7": "KMS rotation",
    "CKV_AWS_58": "EKS secrets encryption",
    "CKV_AWS_39": "EKS public endpoint disabled",
    "CKV_AWS_38": "EKS public endpoint not 0.0.0.0/0",
    "CKV_AWS_37": "EKS control-plane logging",
    "CKV_AWS_79": "IMDSv1 disabled",
    "CKV_AWS_341": "metadata hop limit 1",
    "CKV_AWS_158": "CloudWatch log group KMS",
}


@pytest.fixture(scope="module")
def builtin_ids() -> set[str]:
    """Check ids of ``checkov --list --framework terraform`` (offline; listed once per session)."""
    out = builtin_list()
    ids = set(re.findall(r"\|\s*(CKV2?_[A-Z0-9]+_\d+)\s*\|", out))
    assert "CKV_AWS_7" in ids, out[:500]
    return ids


def test_every_mapped_builtin_check_exists(builtin_ids: set[str]) -> None:
    smap = load_severity_map(POLICY_DIR / "severity.yaml")
    builtin = {c for c in smap.checks if not c.startswith(("CKV_INFRA_", "INFRA_"))}
    assert builtin, "no built-in check raised in severity.yaml"
    assert builtin - builtin_ids == set()


def test_important_builtin_checks_block_at_high() -> None:
    smap = load_severity_map(POLICY_DIR / "severity.yaml")
    assert RANK[smap.default] < RANK["HIGH"]  # the curated list is what blocks, not the default
    weak = {c: smap.severity_of(c) for c in MUST_BLOCK if RANK[smap.severity_of(c)] < RANK["HIGH"]}
    assert weak == {}, weak


def test_own_checks_all_have_a_severity() -> None:
    smap = load_severity_map(POLICY_DIR / "severity.yaml")
    own = {
        m for p in Path(POLICY_DIR / "checks").glob("*.py") for m in re.findall(r'id="(CKV_INFRA_\d+)"', p.read_text())
    }
    assert own and own <= set(smap.checks)
