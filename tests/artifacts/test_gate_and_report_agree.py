"""Gate, scan and report read the same artifacts and the same policy files the same way.

Each test here failed before the disagreement it names was fixed.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

import toolkit
from tests.policy import builders
from tests.report.conftest import NOW, Project
from toolkit.artifacts.findings import Finding, FindingsDocument, WaiverRef
from toolkit.artifacts.io import write_artifact
from toolkit.gate import decision as gate
from toolkit.policy.files import PolicyPaths
from toolkit.settings import Project as Settings

REPO = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 29)


def _waived(expires: str, waiver_id: str = "W-1") -> Finding:
    return Finding(check_id="CKV_INFRA_13", title="KMS rotation", severity="HIGH", environment="prod",
                   region="us-east", resource="module.kms.aws_kms_key.this", file="modules/kms/main.tf", line=7,
                   status="waived", source="plan",
                   waiver=WaiverRef(id=waiver_id, reason="migration", owner="platform", expires=expires))


def _region(artifacts: Path, findings: list[Finding], region: str = "us-east") -> Path:
    rdir = artifacts / "prod" / region
    rdir.mkdir(parents=True)
    (rdir / "summary.json").write_text(json.dumps(builders.summary("prod", region)))
    (rdir / "status.json").write_text(json.dumps(builders.status()))
    write_artifact(rdir / "findings.json", FindingsDocument(environment="prod", region=region, mode="sandbox",
                                                            checkov_version="3.3.30", findings=findings))
    return rdir


def _waivers(root: Path, *entries: tuple[str, dt.date]) -> Path:
    path = root / "policy" / "waivers.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(
        f"  - id: {wid}\n    check_id: CKV_INFRA_13\n    resource: 'module.kms.*'\n    environments: [prod]\n"
        f"    reason: migration\n    owner: platform\n    expires: {expires.isoformat()}\n"
        for wid, expires in entries
    )
    path.write_text("waivers:\n" + body if body else "waivers: []\n")
    return path


def test_gate_lists_waivers_expiring_within_policy_yaml_days(tmp_path: Path) -> None:
    """`infra gate` (judge) read waivers.yaml but not policy.yaml: expiring_within_days was always 30."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "environments", root / "environments")
    soon = dt.date.today() + dt.timedelta(days=45)
    _waivers(root, ("W-1", soon))
    (root / "policy" / "policy.yaml").write_text("expiring_within_days: 60\n")
    _region(root / ".infra", [_waived(soon.isoformat())])
    decision, _outputs = gate.judge(Settings(root), root / ".infra", "prod", regions=["us-east"])
    assert [w.id for w in decision.expiring_waivers] == ["W-1"]
    (root / "policy" / "policy.yaml").write_text("expiring_within_days: 10\n")
    decision, _outputs = gate.judge(Settings(root), root / ".infra", "prod", regions=["us-east"])
    assert decision.expiring_waivers == []


def test_sarif_names_the_toolkit_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SARIF driver said 0.1.0 whatever the toolkit's version."""
    _region(tmp_path / "art", [_waived("2027-01-31")])
    monkeypatch.setattr(toolkit, "__version__", "9.8.7")
    _decision, outputs = gate.run_gate(tmp_path / "art", "prod", out_dir=tmp_path / "out", today=TODAY)
    sarif = json.loads(outputs.sarif.read_text())
    assert sarif["runs"][0]["tool"]["driver"]["semanticVersion"] == "9.8.7"


def test_gate_without_waivers_file_honours_the_recorded_expiry(tmp_path: Path) -> None:
    """Without a waivers file the gate trusted a stored 'waived' whose waiver had expired; the report did not."""
    _region(tmp_path / "art", [_waived("2026-10-01")])
    decision = gate.evaluate(tmp_path / "art", "prod", today=TODAY)
    assert not decision.passed and "expired waiver(s): W-1 (expired 2026-10-01)" in decision.reason
    live = tmp_path / "live"
    _region(live, [_waived("2027-01-31")])
    assert gate.evaluate(live, "prod", today=TODAY).passed


Key = tuple[str, str, str, str, str | None, int | None]


def _key(region: str, check_id: str, resource: str, source: str, file: str | None, line: int | None) -> Key:
    return (region, check_id, resource, source, file, line)


@pytest.fixture
def fixtures(tmp_path: Path) -> Project:
    return Project(tmp_path / "proj")


def test_report_rechecks_waivers_as_the_gate_does(fixtures: Project, tmp_path: Path) -> None:
    """W-001 removed from waivers.yaml: the gate failed its findings, the report still said 'met with exception'
    (and the gate's own SARIF and comment still showed them as waived)."""
    waivers = _waivers(fixtures.root, ("W-002", dt.date(2026, 12, 15)))
    report = fixtures.build()
    control = next(c for c in report.controls if c.key == "cis-eks/5.4.2")
    result = next(r for r in control.results if r.region == "us-east")
    assert result.status == "not_met" and "W-001" in result.reason
    assert {w.id: w.state for w in report.waivers}["W-001"] == "expired"

    decision, outputs = gate.run_gate(fixtures.artifacts, "prod", out_dir=tmp_path / "gate", today=NOW.date(),
                                      policy=PolicyPaths.of(fixtures.root))
    assert "expired waiver(s): W-001" in decision.reason and waivers.is_file()
    judged = {_key(f.region, f.check_id, f.resource, f.source, f.file, f.line): f.status for f in decision.findings}
    evidence = {_key(r.region, e.check_id, e.resource, e.source, e.file, e.line): e.effective_result
                for c in report.controls for r in c.results for e in r.evidence}
    assert evidence and {k: judged[k] for k in evidence} == evidence
    assert "failed" in {v for k, v in evidence.items() if k[1] == "CKV_AWS_39" and k[0] == "us-east"}

    sarif = json.loads(outputs.sarif.read_text())["runs"][0]["results"]
    suppressed = {s["justification"].split(":")[0] for r in sarif for s in r.get("suppressions", [])}
    assert "W-001" not in suppressed
    assert "`CKV_AWS_39` | `module.eks.aws_eks_cluster.this`" in outputs.markdown.read_text()


def test_report_takes_expiring_within_days_from_policy_yaml(fixtures: Project) -> None:
    """The report's 'expires soon' was a hard-coded 30 days; the gate's comes from policy.yaml."""
    assert {w.id: w.state for w in fixtures.build().waivers}["W-002"] == "expires_soon"  # 16 days, default 30
    (fixtures.root / "policy").mkdir()
    (fixtures.root / "policy" / "policy.yaml").write_text("expiring_within_days: 10\n")
    assert {w.id: w.state for w in fixtures.build().waivers}["W-002"] == "in_force"
