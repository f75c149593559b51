"""build_report: statuses, evidence, waivers, provenance and integrity from real artifacts."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.report.conftest import NOW, PROD_REGIONS, SENSITIVE_VALUE, Project
from toolkit.errors import UserError
from toolkit.report import STATUSES, render_html, render_json, render_markdown
from toolkit.report.models import ControlResult, Report


def result(report: Report, key: str, region: str) -> ControlResult:
    control = next(c for c in report.controls if c.key == key)
    return next(r for r in control.results if r.region == region)


def counted(report: Report) -> dict[str, int]:
    totals = dict.fromkeys(STATUSES, 0)
    for c in report.controls:
        for r in c.results:
            totals[r.status] += 1
    return totals


def test_prod_report_covers_four_regions_and_40_controls(prod_report: Report) -> None:
    assert [(s.environment, s.region) for s in prod_report.scopes] == [("prod", r) for r in PROD_REGIONS]
    assert prod_report.summary.controls == len(prod_report.controls) >= 40
    for c in prod_report.controls:
        assert [r.region for r in c.results] == list(PROD_REGIONS)
    # The summary agrees with the per-control results, and the closing note says the numbers.
    assert prod_report.summary.results.model_dump() == counted(prod_report)
    o = prod_report.summary.overall
    assert o.met + o.met_with_exception + o.not_met + o.not_applicable == len(prod_report.controls)
    note = prod_report.summary.note
    assert f"{o.met} met" in note and f"{o.met_with_exception} met with exception" in note
    assert f"{o.not_met} not met" in note and "(sensitive)" in note
    assert not prod_report.issues, prod_report.issues


def test_statuses_follow_the_findings(prod_report: Report) -> None:
    # us-east: public endpoint failed and waived by W-001 -> met with exception, with the evidence.
    r = result(prod_report, "cis-eks/5.4.2", "us-east")
    assert r.status == "met_with_exception"
    waived = [e for e in r.evidence if e.result == "waived"]
    assert {e.check_id for e in waived} == {"CKV_AWS_39", "CKV_INFRA_7"}
    assert all(e.waiver_id == "W-001" and e.resource == "module.eks.aws_eks_cluster.this" for e in waived)
    assert all(e.file == "modules/eks-cluster/main.tf" and e.line for e in waived)
    assert result(prod_report, "cis-eks/5.4.2", "eu-central").status == "met"
    # eu-west: 90-day flow-log retention fails CKV_AWS_338, no waiver -> not met.
    r = result(prod_report, "iso27001/A.5.33", "eu-west")
    assert r.status == "not_met"
    failed = [e for e in r.evidence if e.effective_result == "failed"]
    assert [(e.check_id, e.resource) for e in failed] == [
        ("CKV_AWS_338", "module.network.aws_cloudwatch_log_group.flow_logs")]
    # No ECR repository and no result for its check -> not applicable.
    r = result(prod_report, "cis-eks/5.1.1", "us-west")
    assert r.status == "not_applicable" and not r.evidence and not r.in_scope_resources
    # Met: every result passed, evidence lists the cluster.
    r = result(prod_report, "cis-eks/5.3.1", "eu-central")
    assert r.status == "met"
    assert {e.check_id for e in r.evidence} == {"CKV_AWS_58", "CKV_INFRA_20"}
    assert r.in_scope_resources == ["module.eks.aws_eks_cluster.this"]
    # Overall = worst region.
    overall = {c.key: c.overall for c in prod_report.controls}
    assert overall["cis-eks/5.4.2"] == "met_with_exception"
    assert overall["iso27001/A.5.33"] == "not_met"
    assert overall["cis-eks/5.1.1"] == "not_applicable"


def test_waivers_in_force_with_reason_owner_expiry(prod_report: Report) -> None:
    by_id = {w.id: w for w in prod_report.waivers}
    assert set(by_id) == {"W-001", "W-002"}
    w1 = by_id["W-001"]
    assert (w1.owner, w1.expires, w1.state) == ("platform-team", "2027-03-31", "in_force")
    assert w1.checks == ["CKV_AWS_39", "CKV_INFRA_7"] and w1.scopes == ["prod/us-east"]
    assert "CI runners" in w1.reason
    assert by_id["W-002"].state == "expires_soon"  # 2026-12-15, 16 days after NOW


def test_expired_waiver_no_longer_excepts(project: Project) -> None:
    def expire(data: dict[str, Any]) -> None:
        for f in data["findings"]:
            if f["waiver"] and f["waiver"]["id"] == "W-001":
                f["waiver"]["expires"] = "2026-11-01"

    project.edit("us-east", "findings.json", expire)
    report = project.build()
    r = result(report, "cis-eks/5.4.2", "us-east")
    assert r.status == "not_met"
    assert "W-001" in r.reason and "expired" in r.reason
    assert {e.effective_result for e in r.evidence if e.waiver_id} == {"failed"}
    assert {w.id: w.state for w in report.waivers}["W-001"] == "expired"


def test_in_scope_resources_without_results_are_not_met(project: Project) -> None:
    project.edit("eu-central", "findings.json",
                 lambda d: d.__setitem__("findings", [f for f in d["findings"] if f["check_id"] != "CKV_AWS_58"
                                                      and f["check_id"] != "CKV_INFRA_20"]))
    r = result(project.build(), "cis-eks/5.3.1", "eu-central")
    assert r.status == "not_met"
    assert "evidence is missing" in r.reason and r.in_scope_resources == ["module.eks.aws_eks_cluster.this"]


def test_declared_but_unused_waiver_is_listed(project: Project) -> None:
    (project.root / "policy").mkdir()
    (project.root / "policy" / "waivers.yaml").write_text(
        "waivers:\n"
        "  - id: W-009\n    check_id: CKV_AWS_338\n    resource: '*flow_logs*'\n"
        "    environments: [prod]\n    regions: [eu-central]\n"
        "    reason: retention set by the log archive account\n    owner: sre\n    expires: 2027-06-30\n")
    report = project.build()
    w = {w.id: w for w in report.waivers}["W-009"]
    assert (w.state, w.scopes, w.owner) == ("unused", ["prod/eu-central"], "sre")
    assert report.provenance.waivers_file is not None
    assert report.provenance.waivers_file.path == "policy/waivers.yaml"


def test_provenance_ties_report_to_artifacts(prod_report: Report, project: Project) -> None:
    prov = prod_report.provenance
    assert prov.git.commit is None and prov.git.dirty is None  # the temp project is no git checkout
    assert prov.generated_at == "2026-11-29T12:00:00Z"
    assert prov.toolkit_version
    for rp in prov.regions:
        d = project.region_dir(rp.region)
        assert rp.terraform_version == "1.15.5" and rp.checkov_version == "3.3.30"
        assert rp.provider_version == "6.47.0" and rp.provider_schema_sha256
        assert rp.mode == "sandbox"
        assert rp.plan_sha256 == hashlib.sha256((d / "tfplan").read_bytes()).hexdigest()
        hashed = {Path(a.path).name: a.sha256 for a in rp.artifacts}
        for name in ("summary.json", "plan.json", "findings.json", "plan.sha256", "tfplan"):
            assert hashed[name] == hashlib.sha256((d / name).read_bytes()).hexdigest(), name
        assert rp.scan_inputs and {i.verified for i in rp.scan_inputs} == {"match"}
        assert all(i.path.startswith(f".infra/prod/{rp.region}/") for i in rp.scan_inputs)
    assert prov.catalogue.path == "controls/catalogue.yaml"


def test_git_commit_and_dirty_flag(project: Project) -> None:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "HOME": str(project.root), "PATH": "/usr/bin:/bin"}

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(project.root), *args], capture_output=True, text=True,
                              check=True, env=env).stdout.strip()

    git("init", "-q")
    (project.root / ".gitignore").write_text(".infra/\n")
    git("add", "-A")
    git("commit", "-q", "-m", "fixture")
    head = git("rev-parse", "HEAD")
    clean = project.build().provenance.git
    assert (clean.commit, clean.dirty) == (head, False)
    (project.root / "controls" / "catalogue.yaml").write_text(
        (project.root / "controls" / "catalogue.yaml").read_text() + "\n# edited\n")
    assert project.build().provenance.git.dirty is True


def test_changed_inputs_and_mismatched_hashes_are_reported(project: Project) -> None:
    (project.region_dir("eu-west") / "plan.sha256").write_text("0" * 64 + "\n")
    plan = project.region_dir("us-west") / "plan.json"
    plan.write_text(plan.read_text().replace('"1.2"', '"1.3"'))
    issues = [(i.scope, i.message) for i in project.build().issues]
    assert ("prod/eu-west", "plan.sha256 does not match summary.json plan_sha256") in issues
    assert ("prod/eu-west", "tfplan does not match plan.sha256") in issues
    assert any(s == "prod/us-west" and "plan.json changed after the scan" in m for s, m in issues)


def test_missing_and_malformed_artifacts_are_user_errors(project: Project) -> None:
    with pytest.raises(UserError, match=r"no region artifacts for environment 'staging'"):
        project.build("staging")
    with pytest.raises(UserError, match=r"ap-south/summary\.json: file not found \(run `infra plan` first\)"):
        project.build(regions=["us-east", "ap-south"])
    (project.region_dir("us-west") / "findings.json").unlink()
    with pytest.raises(UserError, match=r"us-west/findings\.json: file not found \(run `infra scan` first\)"):
        project.build()
    doc = {"schema_version": 1, "mode": "sandbox", "environment": "prod", "region": "us-west", "findings": []}
    project.save("us-west", "findings.json", doc)
    with pytest.raises(UserError, match=r"us-west/findings\.json: checkov_version: Field required$"):
        project.build()
    project.save("us-west", "findings.json", {**doc, "checkov_version": "3", "findings": [{"check_id": 3}]})
    expected = r"findings\.json: findings\[0\]\.check_id: Input should be a valid string \(\+\d+ more\)"
    with pytest.raises(UserError, match=expected):
        project.build()
    (project.region_dir("us-west") / "findings.json").write_text("{not json")
    with pytest.raises(UserError, match=r"findings\.json: not valid JSON"):
        project.build()


def test_regions_and_environments_selection(project: Project) -> None:
    report = project.build(regions=["us-east", "eu-west"])
    assert [s.region for s in report.scopes] == ["us-east", "eu-west"]
    staging = project.artifacts / "staging" / "us-east"
    shutil.copytree(project.region_dir("us-east"), staging)
    for name in ("summary.json", "findings.json"):
        data = json.loads((staging / name).read_text())
        data["environment"] = "staging"
        for f in data.get("findings", []):
            f["environment"] = "staging"
        (staging / name).write_text(json.dumps(data))
    everything = project.build(None)
    assert everything.environments == ["prod", "staging"]
    assert [f"{s.environment}/{s.region}" for s in everything.scopes][-1] == "staging/us-east"


def test_sensitive_values_never_appear(project: Project) -> None:
    # A value Terraform marks sensitive in plan.json leaks into a waiver reason and a tag.
    def leak(data: dict[str, Any]) -> None:
        for f in data["findings"]:
            if f["waiver"]:
                f["waiver"]["reason"] = f"temporary, token {SENSITIVE_VALUE} to be rotated"

    project.edit("us-east", "findings.json", leak)
    project.edit("us-east", "terraform.tfvars.json", lambda d: d["tags"].__setitem__("note", SENSITIVE_VALUE))
    report = project.build()
    outputs = {
        "json": json.dumps(render_json(report)),
        "md": render_markdown(report),
        "html": render_html(report),
    }
    for fmt, text in outputs.items():
        assert SENSITIVE_VALUE not in text, fmt
        assert "token (sensitive) to be rotated" in text, fmt
    assert report.scopes[PROD_REGIONS.index("us-east")].tags["note"] == "(sensitive)"


def test_now_defaults_to_current_time(project: Project) -> None:
    from toolkit.report import build_report

    report = build_report(project.root, project.artifacts, "prod")
    assert report.provenance.generated_at > NOW.isoformat()[:10]


def test_artifacts_outside_the_project_are_named_relatively(project: Project, tmp_path: Path) -> None:
    """Artifacts copied from another machine: paths stay relative (<artifacts dir>/ENV/REGION/...)."""
    elsewhere = tmp_path / "copied" / ".infra"
    shutil.copytree(project.artifacts, elsewhere)
    from toolkit.report import build_report

    report = build_report(project.root, elsewhere, "prod", now=NOW)
    for rp in report.provenance.regions:
        assert {a.path for a in rp.artifacts} >= {f".infra/prod/{rp.region}/summary.json",
                                                  f".infra/prod/{rp.region}/findings.json"}
        # Scan inputs named relative to the project root resolve in the region directory.
        assert {f.verified for f in rp.plan_inputs} == {"match"}
    text = json.dumps(render_json(report))
    assert str(tmp_path) not in text
