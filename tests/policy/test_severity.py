"""policy/severity.yaml: the built-in checks it raises exist in this checkov, and the ones that
must block a merge stay at HIGH or above (checkov reports no severity offline)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.policy.conftest import POLICY_DIR
from toolkit.policy.severity import load_severity_map

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
    # raised after the seeded-regression exercise
    "CKV_AWS_338": "log group retention >= 1 year",
    "CKV_AWS_109": "policy document permissions management without constraints",
    "CKV_AWS_111": "policy document write access without constraints",
    "CKV_AWS_356": "policy document '*' resource for restrictable actions",
    "CKV2_AWS_12": "default security group restricts all traffic",
    "CKV2_AWS_11": "VPC flow logs",
    "CKV_AWS_27": "SQS encryption",
    "CKV_AWS_41": "hard-coded keys in the provider",
}
# Our own residency rules: CRITICAL whatever the threshold.
RESIDENCY = {"CKV_INFRA_4", "CKV_INFRA_5", "CKV_INFRA_6", "CKV_INFRA_32"}


@pytest.fixture(scope="module")
def builtin_ids() -> set[str]:
    """Check ids of ``checkov --list --framework terraform kubernetes`` (offline; the manifests'
    CKV_K8S_* checks may be lowered too)."""
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from checkov.main import Checkov; sys.exit(Checkov().run())",
            "--list",
            "--framework",
            "terraform",
            "kubernetes",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
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


def _lowered_lines() -> list[re.Match[str]]:
    text = (POLICY_DIR / "severity.yaml").read_text()
    section = text.split("# --- lowered", 1)
    assert len(section) == 2, "severity.yaml has no lowered section"
    return list(re.finditer(r"^\s+(CKV2?_[A-Z0-9]+_\d+):\s+([A-Z]+)\s*(#.*)?$", section[1], re.M))


def test_own_checks_block_and_residency_is_critical() -> None:
    smap = load_severity_map(POLICY_DIR / "severity.yaml")
    own = {c: smap.severity_of(c) for c in smap.checks if c.startswith("CKV_INFRA_")}
    assert {c: s for c, s in own.items() if RANK[s] < RANK["HIGH"]} == {}
    assert {c: smap.severity_of(c) for c in RESIDENCY if smap.severity_of(c) != "CRITICAL"} == {}


def test_lowered_checks_exist_stay_below_high_and_give_a_reason(builtin_ids: set[str]) -> None:
    """Entries of the lowered section: ``ID: SEVERITY  # lowered: reason``, a real built-in id,
    below HIGH (else it is not lowered), the same severity the toolkit reads."""
    smap = load_severity_map(POLICY_DIR / "severity.yaml")
    for m in _lowered_lines():
        check_id, severity, comment = m.group(1), m.group(2), m.group(3) or ""
        assert check_id in builtin_ids, check_id
        assert RANK[severity] < RANK["HIGH"], check_id
        assert comment.startswith("# lowered:") and len(comment) > len("# lowered: ") + 10, check_id
        assert smap.severity_of(check_id) == severity
        assert check_id not in MUST_BLOCK


def test_inline_skips_are_listed() -> None:
    """Every ``#checkov:skip=ID`` of modules/ and terraform/ is named in severity.yaml (they become
    waivers later; until then they leave no finding at all)."""
    repo = POLICY_DIR.parent
    skipped = {
        m.group(1)
        for top in ("modules", "terraform")
        for tf in (repo / top).rglob("*.tf")
        if not {"examples", "tests", ".terraform"} & set(tf.relative_to(repo).parts)
        for m in re.finditer(r"#\s*checkov:skip=([A-Z0-9_]+)", tf.read_text())
    }
    listed = set(re.findall(r"inline-skipped:\s+(CKV2?_[A-Z0-9]+_\d+)", (POLICY_DIR / "severity.yaml").read_text()))
    assert skipped and skipped <= listed, skipped - listed
