"""Every custom policy: its failing fixture fails and its passing fixture passes, through real checkov."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.policy.conftest import FIXTURES, POLICY_DIR

CHECK_IDS = sorted(
    {m for p in (POLICY_DIR / "checks").glob("*.py") for m in re.findall(r'id="(CKV_INFRA_\d+)"', p.read_text())},
    key=lambda c: int(c.rsplit("_", 1)[1]),
)


def test_at_least_fifteen_policies_each_with_two_fixtures() -> None:
    assert len(CHECK_IDS) >= 15
    for check_id in CHECK_IDS:
        for kind in ("pass", "fail"):
            folder = FIXTURES / check_id / kind
            assert folder.is_dir() and any(folder.iterdir()), f"missing fixture {folder}"


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_passing_fixture_passes(check_id: str, fixture_results: dict[tuple[str, str], list[dict[str, Any]]]) -> None:
    own = [r for r in fixture_results[(check_id, "pass")] if r["check_id"] == check_id]
    assert own, f"{check_id} did not evaluate its passing fixture"
    assert {r["status"] for r in own} == {"passed"}, own


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_failing_fixture_fails(check_id: str, fixture_results: dict[tuple[str, str], list[dict[str, Any]]]) -> None:
    own = [r for r in fixture_results[(check_id, "fail")] if r["check_id"] == check_id]
    assert any(r["status"] == "failed" for r in own), f"{check_id} did not fail its failing fixture: {own}"


def test_fixture_records_carry_titles_and_addresses(
    fixture_results: dict[tuple[str, str], list[dict[str, Any]]],
) -> None:
    rec = next(r for r in fixture_results[("CKV_INFRA_13", "fail")] if r["check_id"] == "CKV_INFRA_13")
    assert rec["title"] == "KMS keys have automatic rotation enabled"
    assert rec["resource"] == "module.kms.aws_kms_key.this"
    assert Path(rec["abs_path"]).name == "plan.json"


VARIANTS = sorted(
    (p.parent.name, p.name)
    for p in FIXTURES.glob("CKV_INFRA_*/*")
    if p.is_dir() and p.name.startswith(("pass-", "fail-", "unknown-"))
)


def test_variant_fixtures_exist() -> None:
    ids = {check_id for check_id, _ in VARIANTS}
    assert {"CKV_INFRA_1", "CKV_INFRA_2", "CKV_INFRA_15", "CKV_INFRA_18"} <= ids


@pytest.mark.parametrize(("check_id", "variant"), VARIANTS, ids=[f"{c}/{v}" for c, v in VARIANTS])
def test_variant_fixture(
    check_id: str, variant: str, fixture_results: dict[tuple[str, str], list[dict[str, Any]]]
) -> None:
    """More shapes per check (GPU pools, rotation schedules, principals): ``pass-*`` passes, ``fail-*``
    fails, ``unknown-*`` leaves no record (checkov drops UNKNOWN results)."""
    own = [r for r in fixture_results[(check_id, variant)] if r["check_id"] == check_id]
    expected = variant.split("-", 1)[0]
    if expected == "unknown":
        assert own == [], own
        others = fixture_results[(check_id, variant)]
        assert others, "checkov produced no record at all for the fixture (not scanned?)"
    else:
        assert own, f"{check_id} did not evaluate {variant}"
        assert {r["status"] for r in own} == {"passed" if expected == "pass" else "failed"}, own
