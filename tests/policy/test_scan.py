"""infra scan over a mini project: findings.json per region, file:line mapping, caching."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.policy import builders
from tests.policy.conftest import CLEAN_REGIONS, SEEDED, MiniProject
from tests.support.baseline import ProdPlans
from toolkit.adapters import checkov
from toolkit.errors import UserError
from toolkit.policy.severity import load_severity_map
from toolkit.scan import run as scan
from toolkit.scan.prepare import prepare_plan

FINDING_KEYS = {
    "check_id",
    "title",
    "severity",
    "environment",
    "region",
    "resource",
    "file",
    "line",
    "status",
    "source",
    "waiver",
    "also",
}


def test_one_checkov_run_for_all_regions(mini_project: MiniProject) -> None:
    assert len(mini_project.results) == len(CLEAN_REGIONS) + len(SEEDED) + 1
    assert {r.checkov_runs for r in mini_project.results.values()} == {1}
    assert not any(r.cache_hit for r in mini_project.results.values())


def test_findings_json_follows_the_contract(mini_project: MiniProject) -> None:
    doc = json.loads((mini_project.artifacts / "prod" / "us-east" / "findings.json").read_text())
    assert doc["schema_version"] == 1 and doc["environment"] == "prod" and doc["region"] == "us-east"
    assert doc["mode"] == "sandbox" and doc["checkov_version"] == checkov.version()
    assert "plan.json" in doc["inputs"] and "modules/kms/main.tf" in doc["inputs"]
    assert all(not Path(p).is_absolute() for p in doc["inputs"])
    assert doc["findings"] and all(set(f) == FINDING_KEYS for f in doc["findings"])
    assert {f["source"] for f in doc["findings"]} == {"hcl", "plan", "manifest"}
    assert all(f["status"] in ("passed", "failed", "waived") for f in doc["findings"])


@pytest.mark.parametrize("region", CLEAN_REGIONS)
def test_clean_region_has_no_failure_at_high(mini_project: MiniProject, region: str) -> None:
    result = mini_project.results[region]
    blocking = [f for f in result.failed if f.severity in ("CRITICAL", "HIGH")
                and not builders.is_fixture_gap(f.check_id, f.resource, f.source)]
    assert blocking == []
    own = {f.check_id for f in result.passed if f.check_id.startswith("CKV_INFRA_")}
    assert {
        "CKV_INFRA_1",
        "CKV_INFRA_3",
        "CKV_INFRA_4",
        "CKV_INFRA_6",
        "CKV_INFRA_7",
        "CKV_INFRA_11",
        "CKV_INFRA_12",
        "CKV_INFRA_13",
        "CKV_INFRA_19",
    } <= own


def test_values_known_after_apply_count_as_set(mini_project: MiniProject) -> None:
    """A secret encrypted with a key of the same plan: kms_key_id is null in planned_values."""
    statuses = {f.check_id: f.status for f in mini_project.results["unknown"].findings if f.source == "plan"}
    assert statuses["CKV_INFRA_8"] == "passed" and statuses["CKV_INFRA_20"] == "passed"


def test_prepare_plan_marks_nested_unknowns(tmp_path: Path) -> None:
    from tests.policy.conftest import UNKNOWN_KEY, unknown_key_resources

    source = tmp_path / "plan.json"
    source.write_text(json.dumps(builders.plan_doc(unknown_key_resources(), unknown=UNKNOWN_KEY)))
    prepare_plan(source, tmp_path / "out" / "plan.json")
    prepared = json.loads((tmp_path / "out" / "plan.json").read_text())
    values = {
        r["type"]: r["values"]
        for m in prepared["planned_values"]["root_module"]["child_modules"]
        for r in m["resources"]
    }
    assert values["aws_secretsmanager_secret"]["kms_key_id"] == "true_after_unknown"
    assert values["aws_secretsmanager_secret"]["replica"] == []
    assert values["aws_eks_cluster"]["encryption_config"] == [
        {"provider": [{"key_arn": "true_after_unknown"}], "resources": ["secrets"]}
    ]
    assert json.loads(source.read_text())["planned_values"] != prepared["planned_values"]  # source untouched


def test_plan_finding_maps_to_module_file_and_line(mini_project: MiniProject) -> None:
    failed = [f for f in mini_project.results["rotation"].failed if f.check_id == "CKV_INFRA_13"]
    assert len(failed) == 1
    f = failed[0]
    assert f.resource == "module.kms.aws_kms_key.this" and f.source == "plan" and f.severity == "HIGH"
    assert (f.file, f.line) == ("modules/kms/main.tf", 7)  # enriched from the HCL root


def test_hcl_and_manifest_findings_have_locations(mini_project: MiniProject) -> None:
    result = mini_project.results["taint"]
    taint = next(f for f in result.failed if f.check_id == "CKV_INFRA_1")
    assert taint.source == "manifest" and taint.file == ".infra/prod/taint/manifests/gpu.yaml" and taint.line == 1
    hcl = next(f for f in result.findings if f.source == "hcl" and f.check_id == "CKV_INFRA_13")
    assert hcl.status == "passed" and hcl.file == "modules/kms/main.tf" and hcl.line == 7


def test_second_scan_of_unchanged_inputs_does_not_run_checkov(project: MiniProject) -> None:
    before = checkov.runs
    results = scan.scan_regions(project.root, project.artifacts, "prod", ["us-east", "rotation"])
    assert checkov.runs == before
    assert all(r.cache_hit and r.checkov_runs == 0 for r in results.values())
    assert [f.model_dump() for f in results["rotation"].findings] == [
        f.model_dump() for f in project.results["rotation"].findings
    ]


def test_changed_region_is_rescanned_alone(project: MiniProject) -> None:
    builders.write_region(
        project.artifacts,
        "prod",
        "us-west",
        resources=builders.modified(builders.clean_resources("prod-us-west"), "aws_kms_key", deletion_window_in_days=7),
    )
    before = checkov.runs
    results = scan.scan_regions(project.root, project.artifacts, "prod", ["us-east", "us-west"])
    assert checkov.runs == before + 1
    assert results["us-east"].cache_hit and not results["us-west"].cache_hit
    assert any(f.check_id == "CKV_INFRA_14" for f in results["us-west"].failed)


def test_waivers_apply_without_rescanning(project: MiniProject) -> None:
    (project.root / "policy" / "waivers.yaml").write_text(
        "waivers:\n"
        "  - id: W-1\n    check_id: CKV_INFRA_13\n    resource: 'module.kms.aws_kms_key.*'\n"
        "    regions: [rotation]\n    reason: key layout migration\n    owner: platform\n    expires: 2099-01-01\n"
    )
    before = checkov.runs
    result = scan.scan_regions(project.root, project.artifacts, "prod", ["rotation"])["rotation"]
    assert checkov.runs == before
    waived = [f for f in result.findings if f.check_id == "CKV_INFRA_13" and f.source == "plan"]
    assert [f.status for f in waived] == ["waived"] and waived[0].waiver and waived[0].waiver.id == "W-1"


def test_unknown_checks_take_the_configured_default(project: MiniProject) -> None:
    result = scan.scan_regions(project.root, project.artifacts, "prod", ["us-east"], default_severity="LOW")["us-east"]
    listed = load_severity_map(project.root / "policy" / "severity.yaml").checks
    builtin = [f for f in result.findings if f.check_id.startswith("CKV_AWS_")]
    assert {f.severity for f in builtin if f.check_id not in listed} == {"LOW"}
    raised = {f.check_id: f.severity for f in builtin if f.check_id in listed}
    assert raised and raised == {c: listed[c] for c in raised}  # the map still wins over the default
    assert next(f for f in result.findings if f.check_id == "CKV_INFRA_13").severity == "HIGH"


def test_missing_plan_is_a_user_error(project: MiniProject) -> None:
    with pytest.raises(UserError, match=r"no plan for prod/eu-west"):
        scan.scan_regions(project.root, project.artifacts, "prod", ["eu-west"])


def test_repository_hcl_has_no_blocking_findings(prod_plans: ProdPlans, infra_cache: Path, tmp_path: Path) -> None:
    """The real modules/ and terraform/ against our policies: the HCL unit of the session's scan of
    the real prod plans (read back from the scan cache; its progress shows checkov really ran)."""
    artifacts = prod_plans.copy_artifacts(tmp_path / "artifacts", ["us-east"])
    messages = prod_plans.result.err.splitlines()
    result = scan.scan_regions(
        prod_plans.root, artifacts, "prod", ["us-east"], cache_dir=infra_cache / "scan"
    )["us-east"]
    hcl = [f for f in result.findings if f.source == "hcl"]
    assert hcl and all(f.file and f.file.startswith(("modules/", "terraform/")) for f in hcl)
    blocking = [
        f"{f.check_id} {f.resource} {f.location}"
        for f in hcl
        if f.status == "failed" and f.severity in ("CRITICAL", "HIGH")
    ]
    assert blocking == []
    assert any(m.startswith("checkov: done in") for m in messages)
