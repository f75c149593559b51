"""Waiver file validation, address globs, expiry and staleness."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from toolkit.artifacts.findings import Finding
from toolkit.errors import UserError
from toolkit.policy.severity import SeverityMap, load_severity_map
from toolkit.policy.waivers import (
    Waiver,
    apply_waivers,
    expiring_waivers,
    glob_match,
    load_waivers,
    stale_waivers,
)

TODAY = date(2026, 11, 29)


def finding(
    check: str = "CKV_INFRA_13",
    resource: str = 'module.kms.aws_kms_key.this["logs"]',
    region: str = "us-east",
    status: str = "failed",
) -> Finding:
    return Finding(check_id=check, title="t", severity="HIGH", environment="prod", region=region, resource=resource,
                   file="modules/kms/main.tf", line=7, status=status, source="plan")  # type: ignore[arg-type]


def waiver(**kw: object) -> Waiver:
    data: dict[str, object] = {
        "id": "W-1",
        "check_id": "CKV_INFRA_13",
        "resource": "module.kms.aws_kms_key.this[*]",
        "reason": "migration",
        "owner": "platform",
        "expires": "2027-01-31",
        **kw,
    }
    return Waiver.model_validate(data)


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ('module.kms.aws_kms_key.this["logs"]', 'module.kms.aws_kms_key.this["logs"]', True),
        ("module.kms.aws_kms_key.this[*]", 'module.kms.aws_kms_key.this["logs"]', True),
        ("module.kms.aws_kms_key.this[*]", 'module.kms.aws_kms_key.other["logs"]', False),
        ("*aws_kms_key.this*", 'aws_kms_key.this["logs"]', True),  # the HCL address inside the module
        ("module.*.aws_iam_role.node", "module.karpenter.aws_iam_role.node", True),
        ("aws_iam_role.node", "module.karpenter.aws_iam_role.node", False),
        ("NodePool.default.gpu?", "NodePool.default.gpu2", True),
    ],
)
def test_glob_over_addresses(pattern: str, value: str, expected: bool) -> None:
    assert glob_match(pattern, value) is expected


def test_live_waiver_waives_matching_failed_finding() -> None:
    out = apply_waivers([finding(), finding(status="passed"), finding(check="CKV_INFRA_14")], [waiver()], TODAY)
    assert [f.status for f in out] == ["waived", "passed", "failed"]
    assert out[0].waiver is not None and out[0].waiver.id == "W-1" and out[0].waiver.expires == "2027-01-31"


def test_environment_and_region_filters() -> None:
    assert apply_waivers([finding()], [waiver(environments=["dev"])], TODAY)[0].status == "failed"
    assert apply_waivers([finding()], [waiver(regions=["eu-west"])], TODAY)[0].status == "failed"
    assert apply_waivers([finding()], [waiver(environments=["prod"], regions=["us-east"])], TODAY)[0].status == "waived"


def test_expired_waiver_keeps_the_finding_failed_and_names_it() -> None:
    out = apply_waivers([finding()], [waiver(expires="2026-11-28")], TODAY)
    assert out[0].status == "failed" and out[0].waiver is not None and out[0].waiver.id == "W-1"
    assert apply_waivers([finding()], [waiver(expires="2026-11-29")], TODAY)[0].status == "waived"  # last valid day


def test_stale_and_expiring() -> None:
    used = waiver(id="W-used")
    unused = waiver(id="W-unused", check_id="CKV_INFRA_99")
    other_env = waiver(id="W-dev", check_id="CKV_INFRA_99", environments=["dev"])
    findings = apply_waivers([finding()], [used, unused, other_env], TODAY)
    assert [w.id for w in stale_waivers([used, unused, other_env], findings, "prod", ["us-east"])] == ["W-unused"]
    soon = waiver(id="W-soon", expires="2026-12-20")
    assert [w.id for w in expiring_waivers([soon, used], TODAY, 30)] == ["W-soon"]


def test_waiver_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(
        "waivers:\n  - id: W-1\n    check_id: CKV_INFRA_13\n    resource: 'module.kms.*'\n"
        "    environments: [prod]\n    reason: r\n    owner: o\n    expires: 2027-01-31\n"
    )
    (w,) = load_waivers(path)
    assert w.expires == date(2027, 1, 31) and w.environments == ("prod",)
    assert load_waivers(tmp_path / "absent.yaml") == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "waivers:\n  - id: W-1\n    check_id: C\n    resource: r\n    reason: r\n    owner: o\n"
            "    expires: 2027-01-31\n    expiry: 2027-01-31\n",
            r"waivers\[0\]\.expiry: Extra inputs are not permitted",
        ),
        (
            "waivers:\n  - id: W-1\n    check_id: C\n    resource: r\n    reason: r\n    owner: o\n"
            "    expires: 2027-13-01\n",
            r"waivers\[0\]\.expires: .*date",
        ),
        (
            "waivers:\n  - id: W-1\n    check_id: C\n    resource: r\n    owner: o\n    expires: 2027-01-01\n",
            r"waivers\[0\]\.reason: Field required",
        ),
        (
            "waivers:\n  - {id: W-1, check_id: C, resource: r, reason: r, owner: o, expires: 2027-01-01}\n"
            "  - {id: W-1, check_id: D, resource: r, reason: r, owner: o, expires: 2027-01-01}\n",
            r"duplicate waiver id 'W-1'",
        ),
        ("waivers: [\n", r"malformed YAML"),  # the strict reader's wording (was "invalid YAML")
    ],
)
def test_waiver_file_errors_are_one_line(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(body)
    with pytest.raises(UserError, match=message) as info:
        load_waivers(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_severity_map(tmp_path: Path) -> None:
    path = tmp_path / "severity.yaml"
    path.write_text("default: low\nchecks:\n  CKV_INFRA_1: critical\n")
    smap = load_severity_map(path)
    assert smap.severity_of("CKV_INFRA_1") == "CRITICAL" and smap.severity_of("CKV_AWS_1") == "LOW"
    assert load_severity_map(path, default="INFO").severity_of("CKV_AWS_1") == "INFO"
    assert SeverityMap().severity_of("X") == "HIGH"  # fail closed
    path.write_text("checks:\n  CKV_INFRA_1: urgent\n")
    with pytest.raises(UserError, match=r"checks\.CKV_INFRA_1: expected one of CRITICAL"):
        load_severity_map(path)
