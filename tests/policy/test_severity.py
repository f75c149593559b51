"""policy/severity.yaml: fail closed (default HIGH), the built-in checks it lists exist in this checkov,
the ones that must block a merge stay at HIGH or above, a lowered check gives its reason, and every
inline skip of our code has its waiver (checkov reports no severity offline)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.policy.conftest import POLICY_DIR
from tests.support.checkov import builtin_list
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
    """Check ids of ``checkov --list --framework terraform kubernetes secrets`` (offline, listed once
    per session; the manifests' CKV_K8S_* checks may be lowered too)."""
    out = builtin_list()
    ids = set(re.findall(r"\|\s*(CKV2?_[A-Z0-9]+_\d+)\s*\|", out))
    assert "CKV_SECRET_2" in ids, out[:500]
    assert "CKV_AWS_7" in ids, out[:500]
    return ids


def test_every_mapped_builtin_check_exists(builtin_ids: set[str]) -> None:
    smap = load_severity_map(POLICY_DIR / "severity.yaml")
    listed = {*smap.checks, *smap.lowered, *(c for k, v in smap.same_as.items() for c in (k, *v))}
    builtin = {c for c in listed if not c.startswith(("CKV_INFRA_", "INFRA_"))}
    assert builtin, "no built-in check raised in severity.yaml"
    assert builtin - builtin_ids == set()


def test_unlisted_checks_block_at_the_default_threshold() -> None:
    """Fail closed: a check severity.yaml does not name is HIGH, so it blocks `infra gate`."""
    smap = load_severity_map(POLICY_DIR / "severity.yaml")
    assert smap.default == "HIGH"
    assert smap.severity_of("CKV_AWS_9999") == "HIGH" and smap.severity_of("CKV_SECRET_2") == "HIGH"


def test_important_builtin_checks_block_at_high() -> None:
    smap = load_severity_map(POLICY_DIR / "severity.yaml")
    weak = {c: smap.severity_of(c) for c in MUST_BLOCK if RANK[smap.severity_of(c)] < RANK["HIGH"]}
    assert weak == {}, weak


def test_own_checks_all_have_a_severity() -> None:
    smap = load_severity_map(POLICY_DIR / "severity.yaml")
    own = {
        m for p in Path(POLICY_DIR / "checks").glob("*.py") for m in re.findall(r'id="(CKV_INFRA_\d+)"', p.read_text())
    }
    assert own and own <= set(smap.checks)


def test_own_checks_block_and_residency_is_critical() -> None:
    smap = load_severity_map(POLICY_DIR / "severity.yaml")
    own = {c: smap.severity_of(c) for c in smap.checks if c.startswith("CKV_INFRA_")}
    assert {c: s for c, s in own.items() if RANK[s] < RANK["HIGH"]} == {}
    assert {c: smap.severity_of(c) for c in RESIDENCY if smap.severity_of(c) != "CRITICAL"} == {}


def test_lowered_checks_exist_stay_below_high_and_give_a_reason(builtin_ids: set[str]) -> None:
    """``lowered: {ID: {severity, reason}}``: a real built-in id, below HIGH, with a reason, never one
    of the checks that must block; the map gives it that severity."""
    smap = load_severity_map(POLICY_DIR / "severity.yaml")
    for check_id, entry in smap.lowered.items():
        assert check_id in builtin_ids, check_id
        assert RANK[entry.severity] < RANK["HIGH"], check_id
        assert len(entry.reason.split()) >= 3, check_id
        assert smap.severity_of(check_id) == entry.severity
        assert check_id not in MUST_BLOCK and not check_id.startswith("CKV_INFRA_")


def test_lowered_entries_need_a_reason_and_a_lower_level(tmp_path: Path) -> None:
    from toolkit.errors import UserError

    path = tmp_path / "severity.yaml"
    for body, message in [
        ("lowered:\n  CKV_AWS_18: {severity: LOW}\n", r"lowered\.CKV_AWS_18\.reason: Field required"),
        ("lowered:\n  CKV_AWS_18: {severity: LOW, reason: '  '}\n", r"lowered\.CKV_AWS_18\.reason"),
        ("lowered:\n  CKV_AWS_18: {severity: HIGH, reason: not relevant to us at all}\n", "not below the default HIGH"),
        ("checks: {CKV_AWS_18: LOW}\nlowered:\n  CKV_AWS_18: {severity: LOW, reason: not relevant to us at all}\n",
         "listed in both checks and lowered: CKV_AWS_18"),
        ("same_as:\n  CKV_INFRA_13: [CKV_AWS_7]\n  CKV_INFRA_9: [CKV_AWS_7]\n", "CKV_AWS_7 is in the groups of"),
    ]:
        path.write_text(body)
        with pytest.raises(UserError, match=message):
            load_severity_map(path)
    path.write_text("lowered:\n  CKV_AWS_18: {severity: LOW, reason: access logs go to the org trail}\n")
    smap = load_severity_map(path)
    assert smap.severity_of("CKV_AWS_18") == "LOW" and smap.severity_of("CKV_AWS_19") == "HIGH"
    assert load_severity_map(path, "MEDIUM").severity_of("CKV_AWS_19") == "MEDIUM"  # --default-severity


def test_same_as_pairs_name_real_checks_of_one_violation(builtin_ids: set[str]) -> None:
    smap = load_severity_map(POLICY_DIR / "severity.yaml")
    assert {"CKV_AWS_7"} <= set(smap.same_as["CKV_INFRA_13"])
    assert {"CKV_AWS_39", "CKV_AWS_38"} <= set(smap.same_as["CKV_INFRA_7"])
    own = {m for p in Path(POLICY_DIR / "checks").glob("*.py") for m in re.findall(r'id="(CKV_INFRA_\d+)"', p.read_text())}
    for key, others in smap.same_as.items():
        assert key in own and set(others) <= builtin_ids, key


def test_inline_skips_have_waivers() -> None:
    """Every ``#checkov:skip=ID`` of modules/ and terraform/ has a waiver in waivers.yaml naming the
    check and the file (the gate fails on an inline skip without one)."""
    from toolkit.policy.waivers import load_waivers

    repo = POLICY_DIR.parent
    skipped = {
        (m.group(1), tf.relative_to(repo).as_posix())
        for top in ("modules", "terraform")
        for tf in (repo / top).rglob("*.tf")
        if not {"examples", "tests", ".terraform"} & set(tf.relative_to(repo).parts)
        for m in re.finditer(r"#\s*checkov:skip=([A-Z0-9_]+)", tf.read_text())
    }
    waived = {(w.check_id, w.file) for w in load_waivers(POLICY_DIR / "waivers.yaml") if w.file}
    assert skipped and skipped <= waived, skipped - waived
