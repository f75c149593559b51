"""The report on real artifacts: `infra plan --all --env prod --sandbox` (embedded Terraform,
sandbox provider, real checkov scan), then build_report over the four regions."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.report.conftest import PROD_REGIONS
from tests.support.baseline import ProdPlans
from toolkit.report import build_report, render_html, render_json, render_markdown
from toolkit.report.models import Report
from toolkit.report.schema import SCHEMA_PATH

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def artifacts(prod_plans: ProdPlans) -> Path:
    """The session's `infra plan --all --env prod --sandbox` artifacts (read only: build_report writes nothing)."""
    return prod_plans.artifacts


@pytest.fixture(scope="module")
def report(prod_plans: ProdPlans, artifacts: Path) -> Report:
    return build_report(prod_plans.root, artifacts, "prod")


def test_report_of_real_prod_plans(report: Report, artifacts: Path) -> None:
    assert sorted(s.region for s in report.scopes) == sorted(PROD_REGIONS)
    assert len(report.controls) >= 40
    jsonschema.validate(render_json(report), json.loads(SCHEMA_PATH.read_text()))
    # The artifacts tie together: hashes recorded by plan and scan match the files.
    assert report.issues == []
    for rp in report.provenance.regions:
        assert rp.mode == "sandbox" and rp.terraform_version and rp.checkov_version
        assert rp.scan_inputs and {f.verified for f in rp.scan_inputs} == {"match"}
        assert (artifacts / "prod" / rp.region / "plan.sha256").read_text().split()[0] == rp.plan_sha256
    # Every control whose resources are planned has evidence: the catalogue names checks
    # that really produce results on this stack.
    missing = [(c.key, r.region) for c in report.controls for r in c.results if "evidence is missing" in r.reason]
    assert missing == []
    applicable = [c for c in report.controls if c.overall != "not_applicable"]
    assert len(applicable) >= 35
    # Data residency (GDPR Art. 44) is evidenced by the residency policy in every region.
    gdpr44 = next(c for c in report.controls if c.key == "gdpr/Art. 44")
    for r in gdpr44.results:
        assert any(e.check_id == "CKV_INFRA_4" for e in r.evidence), r.region
    # Renderers work on real data.
    assert "cis-eks/5.3.1" in render_markdown(report)
    assert report.summary.note in render_html(report)


def test_real_report_rests_on_sandbox_names_module_lines_and_node_volumes(report: Report) -> None:
    """Issue 11 on real plans: the basis, plan evidence at file:line of our modules, node volumes
    as EBS evidence, and the NAT-route waivers (a check in no control) listed as such."""
    assert report.basis.mode == "sandbox" and "not the account" in report.basis.statement
    plan_evidence = [e for c in report.controls for r in c.results for e in r.evidence if e.source == "plan"]
    assert len(plan_evidence) > 1000
    unplaced = sorted({e.resource for e in plan_evidence if not (e.file or "").startswith("modules/") or not e.line})
    assert unplaced == []
    assert all((e.scanned or "").endswith("/plan.json") for e in plan_evidence if e.scanned)
    ebs = next(c for c in report.controls if c.key == "cis-aws/2.2.1")
    for r in ebs.results:
        assert r.status == "met", (r.region, r.reason)
        node = [e for e in r.evidence if e.check_id == "CKV_INFRA_24"]
        assert node and all(e.detail and "encrypted with arn:aws:kms:" in e.detail for e in node), r.region
        assert any(x.startswith("EC2NodeClass.") for x in r.in_scope_resources)
    assert {w.check_id for w in report.waived_without_control} == {"CKV2_AWS_35"}
    assert report.summary.waived_without_control == report.summary.waived_findings > 0
