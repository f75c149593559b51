"""infra gate over hand-made artifacts (no checkov): duplicates merged, inline skips, waiver rules,
the waiver file's changes and the floors against the base, in every output."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.policy import builders
from tests.policy.conftest import POLICY_DIR
from toolkit.artifacts.findings import Finding, FindingsDocument, InlineSkip, WaiverRef
from toolkit.artifacts.io import write_artifact
from toolkit.errors import UserError
from toolkit.gate import decision as gate
from toolkit.gate.duplicates import merge_duplicates
from toolkit.policy.files import PolicyPaths
from toolkit.policy.settings import PolicySettings, WaiverRules, lowered_floors
from toolkit.policy.waivers import Waiver, rule_violations, waiver_changes

TODAY = dt.date(2026, 12, 3)
KEY = "module.kms.aws_kms_key.this"


def _finding(check_id: str, severity: str, status: str = "failed", resource: str = KEY, **kw: object) -> Finding:
    return Finding(check_id=check_id, title=f"title of {check_id}", severity=severity, environment="prod",
                   region=str(kw.pop("region", "us-east")), resource=resource, file="modules/kms/main.tf", line=7,
                   status=status, source="plan", **kw)  # type: ignore[arg-type]


def _skip(check_id: str = "CKV_AWS_111", waiver: WaiverRef | None = None) -> InlineSkip:
    return InlineSkip(check_id=check_id, title="write access without constraints", severity="HIGH",
                      environment="prod", region="us-east", resource="aws_iam_policy_document.key",
                      file="modules/kms/main.tf", line=68, source="hcl", reason="key policy: * is the key", waiver=waiver)


def _project(tmp: Path, findings: list[Finding], skipped: list[InlineSkip] | None = None,
             waivers: str = "waivers: []\n", policy: str | None = None) -> tuple[Path, PolicyPaths]:
    root = tmp / "project"
    (root / "policy").mkdir(parents=True)
    shutil.copy(POLICY_DIR / "severity.yaml", root / "policy" / "severity.yaml")
    shutil.copy(POLICY_DIR / "policy.yaml", root / "policy" / "policy.yaml")
    if policy is not None:
        (root / "policy" / "policy.yaml").write_text(policy)
    (root / "policy" / "waivers.yaml").write_text(waivers)
    rdir = root / ".infra" / "prod" / "us-east"
    rdir.mkdir(parents=True)
    (rdir / "summary.json").write_text(json.dumps(builders.summary("prod", "us-east")))
    (rdir / "status.json").write_text(json.dumps(builders.status()))
    write_artifact(rdir / "findings.json", FindingsDocument(environment="prod", region="us-east", mode="sandbox",
                                                            checkov_version="3.3.30", findings=findings,
                                                            skipped=skipped or []))
    return root, PolicyPaths.of(root)


def _waiver(wid: str = "W-1", **kw: object) -> str:
    fields = {"check_id": "CKV_INFRA_13", "resource": KEY, "reason": "a reviewed exception",
              "owner": "'@platform-team'", "created": "2026-12-01", "expires": "2027-03-01", **kw}
    return f"  - id: {wid}\n" + "".join(f"    {k}: {v}\n" for k, v in fields.items())


# --- duplicates -------------------------------------------------------------------------------


def test_duplicates_merge_into_one_finding_with_both_ids_at_the_higher_severity() -> None:
    groups = {"CKV_INFRA_7": "CKV_INFRA_7", "CKV_AWS_39": "CKV_INFRA_7", "CKV_AWS_38": "CKV_INFRA_7"}
    eks = "module.eks.aws_eks_cluster.this"
    merged = merge_duplicates([
        _finding("CKV_AWS_39", "HIGH", resource=eks),
        _finding("CKV_INFRA_7", "CRITICAL", resource=eks),
        _finding("CKV_AWS_38", "HIGH", resource=eks),
        _finding("CKV_AWS_39", "HIGH", resource=eks, region="us-west"),  # another region: not merged with these
        _finding("CKV_AWS_39", "HIGH", resource=eks, status="passed", region="eu-west"),
    ], groups)
    assert [(f.check_id, f.also, f.severity, f.region) for f in merged] == [
        ("CKV_INFRA_7", ("CKV_AWS_38", "CKV_AWS_39"), "CRITICAL", "us-east"),
        ("CKV_AWS_39", (), "HIGH", "us-west"),
        ("CKV_AWS_39", (), "HIGH", "eu-west"),
    ]
    tie = merge_duplicates([_finding("CKV_AWS_7", "HIGH"), _finding("CKV_INFRA_13", "HIGH")],
                           {"CKV_AWS_7": "CKV_INFRA_13", "CKV_INFRA_13": "CKV_INFRA_13"})
    assert [(f.check_id, f.also) for f in tie] == [("CKV_INFRA_13", ("CKV_AWS_7",))]  # ours leads on a tie


def test_gate_outputs_report_a_duplicate_once(tmp_path: Path) -> None:
    _root, paths = _project(tmp_path, [_finding("CKV_AWS_7", "HIGH"), _finding("CKV_INFRA_13", "HIGH")])
    decision, out = gate.run_gate(paths.settings.parents[1] / ".infra", "prod", policy=paths, today=TODAY,
                                  out_dir=tmp_path / "gate")
    assert not decision.passed and [f.label for f in decision.blocking] == ["CKV_INFRA_13 (= CKV_AWS_7)"]
    assert "CKV_INFRA_13 (= CKV_AWS_7) on module.kms.aws_kms_key.this" in decision.reason
    data = json.loads(out.json.read_text())
    assert [(b["check_id"], b["also"]) for b in data["blocking"]] == [("CKV_INFRA_13", ["CKV_AWS_7"])]
    results = json.loads(out.sarif.read_text())["runs"][0]["results"]
    assert [(r["ruleId"], r["properties"].get("also")) for r in results] == [("CKV_INFRA_13", ["CKV_AWS_7"])]
    cases = [c for c in ET.parse(out.junit).getroot().iter("testcase") if c.find("failure") is not None]
    assert [c.get("classname") for c in cases] == ["prod.gate", "prod.us-east.CKV_INFRA_13"]
    assert "also CKV_AWS_7" in cases[1].find("failure").get("message", "")  # type: ignore[union-attr]
    md = out.markdown.read_text()
    assert "`CKV_INFRA_13 (= CKV_AWS_7)`" in md and "`CKV_AWS_7` |" not in md


# --- inline skips -----------------------------------------------------------------------------


def test_an_inline_skip_without_a_waiver_fails_the_gate(tmp_path: Path) -> None:
    _root, paths = _project(tmp_path, [], skipped=[_skip()])
    decision, out = gate.run_gate(paths.settings.parents[1] / ".infra", "prod", policy=paths, today=TODAY,
                                  out_dir=tmp_path / "gate")
    assert not decision.passed
    assert ("1 inline skip(s) without a live waiver (CKV_AWS_111 on aws_iam_policy_document.key "
            "(modules/kms/main.tf:68))") in decision.reason
    md = out.markdown.read_text()
    assert "| `CKV_AWS_111` | `aws_iam_policy_document.key` | `modules/kms/main.tf:68` | key policy: * is the key " \
           "| ❌ none in force |" in md
    sarif = json.loads(out.sarif.read_text())["runs"][0]["results"]
    assert [r["ruleId"] for r in sarif] == ["CKV_AWS_111"] and "suppressions" not in sarif[0]
    assert json.loads(out.json.read_text())["unwaived_skips"][0]["status"] == "skipped"


def test_a_waived_inline_skip_passes_and_is_listed(tmp_path: Path) -> None:
    waivers = "waivers:\n" + _waiver("W-9", check_id="CKV_AWS_111", resource="aws_iam_policy_document.key",
                                     file="modules/kms/main.tf")
    ref = WaiverRef(id="W-9", reason="r", owner="@platform-team", expires="2027-03-01")
    _root, paths = _project(tmp_path, [], skipped=[_skip(waiver=ref)], waivers=waivers)
    decision, out = gate.run_gate(paths.settings.parents[1] / ".infra", "prod", policy=paths, today=TODAY,
                                  out_dir=tmp_path / "gate")
    assert decision.passed, decision.reason
    assert decision.stale_waivers == [] and "1 inline skip(s) waived" in decision.reason
    sarif = json.loads(out.sarif.read_text())["runs"][0]["results"]
    assert sarif[0]["suppressions"][0]["kind"] == "inSource"
    # The waiver removed from the file: the skip recorded as waived by W-9 no longer counts.
    (paths.waivers).write_text("waivers: []\n")
    decision, _out = gate.run_gate(paths.settings.parents[1] / ".infra", "prod", policy=paths, today=TODAY,
                                   out_dir=tmp_path / "gate")
    assert not decision.passed and "inline skip(s) without a live waiver" in decision.reason


# --- waiver rules -----------------------------------------------------------------------------


def _w(**kw: object) -> Waiver:
    base: dict[str, object] = {"id": "W-1", "check_id": "CKV_INFRA_13", "resource": KEY, "reason": "r",
                               "owner": "@platform-team", "created": dt.date(2026, 12, 1),
                               "expires": dt.date(2027, 3, 1)}
    return Waiver.model_validate(base | kw)


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"owner": "TBD"}, "owner"),
        ({"owner": "@tbd"}, "owner"),
        ({"owner": "platform-team"}, "owner"),
        ({"created": None}, "created"),
        ({"created": dt.date(2026, 12, 24)}, "created"),
        ({"expires": dt.date(2099, 1, 1)}, "max_lifetime_days"),
        ({"check_id": "*"}, "wildcards_in_strict"),
        ({"resource": "*"}, "wildcards_in_strict"),
        ({"resource": "module.kms.*"}, "wildcards_in_strict"),
        ({"resource": "*", "environments": ("prod", "staging")}, "wildcards_in_strict"),
    ],
)
def test_waiver_rules(changes: dict[str, object], rule: str) -> None:
    found = rule_violations([_w(**changes)], WaiverRules(), ["prod"], TODAY)
    assert [v.rule for v in found] == [rule], found


def test_waivers_that_follow_the_rules() -> None:
    ok = [
        _w(),
        _w(id="W-2", owner="sre@example.com", resource='module.network.aws_route.private_nat["*"]'),
        _w(id="W-3", check_id="CKV_AWS_*", resource="*", environments=("staging",)),  # not a strict environment
        _w(id="W-4", created=dt.date(2026, 12, 3), expires=dt.date(2027, 6, 1)),  # 180 days exactly
    ]
    assert rule_violations(ok, WaiverRules(), ["prod"], TODAY) == []
    moved = rule_violations([_w(created=dt.date(2026, 12, 2))], WaiverRules(), ["prod"], TODAY,
                            base={"W-1": _w()})
    assert [str(v) for v in moved] == ["W-1 breaks created (created moved from 2026-12-01 to 2026-12-02)"]


def test_a_wildcard_waiver_in_prod_fails_the_gate_naming_it(tmp_path: Path) -> None:
    waivers = "waivers:\n" + _waiver("W-all", check_id="'*'", resource="'*'", expires="2099-01-01")
    _root, paths = _project(tmp_path, [_finding("CKV_INFRA_13", "HIGH")], waivers=waivers)
    decision, out = gate.run_gate(paths.settings.parents[1] / ".infra", "prod", policy=paths, today=TODAY,
                                  out_dir=tmp_path / "gate")
    assert not decision.passed
    assert "W-all breaks max_lifetime_days" in decision.reason and "W-all breaks wildcards_in_strict" in decision.reason
    assert "### Waiver rule violations" in out.markdown.read_text()
    assert {v["rule"] for v in json.loads(out.json.read_text())["waiver_rule_violations"]} == {
        "max_lifetime_days", "wildcards_in_strict"}


def test_the_repository_waivers_follow_the_rules() -> None:
    from toolkit.policy.settings import load_policy_settings
    from toolkit.policy.waivers import load_waivers

    settings = load_policy_settings(POLICY_DIR / "policy.yaml")
    assert settings.waiver_rules.max_lifetime_days == 180 and not settings.waiver_rules.wildcards_in_strict
    waivers = load_waivers(POLICY_DIR / "waivers.yaml")
    assert all(w.created is not None for w in waivers)
    assert rule_violations(waivers, settings.waiver_rules, settings.strict_environments, TODAY) == []


# --- against the base -------------------------------------------------------------------------


def test_waiver_file_changes_are_their_own_section(tmp_path: Path) -> None:
    base = tmp_path / "base" / "policy"
    base.mkdir(parents=True)
    (base / "waivers.yaml").write_text("waivers:\n" + _waiver("W-1") + _waiver("W-2", resource="module.kms.x"))
    shutil.copy(POLICY_DIR / "policy.yaml", base / "policy.yaml")
    waivers = "waivers:\n" + _waiver("W-1", expires="2027-04-01") + _waiver("W-3", resource="module.kms.y")
    _root, paths = _project(tmp_path, [], waivers=waivers)
    decision, out = gate.run_gate(paths.settings.parents[1] / ".infra", "prod", policy=paths, today=TODAY,
                                  out_dir=tmp_path / "gate", base_policy=base)
    assert [(c.kind, c.waiver.id, c.fields) for c in decision.waiver_changes or []] == [
        ("changed", "W-1", ("expires",)), ("removed", "W-2", ()), ("added", "W-3", ())]
    md = out.markdown.read_text()
    section = md.split("### Waiver file changes (policy/waivers.yaml against the base)", 1)[1]
    assert "| changed (expires) | W-1 |" in section and "| removed | W-2 |" in section and "| added | W-3 |" in section
    assert json.loads(out.json.read_text())["waiver_changes"][0]["change"] == "changed"
    # Without a base: no such section; the same files as the base: "No change."
    decision, out = gate.run_gate(paths.settings.parents[1] / ".infra", "prod", policy=paths, today=TODAY,
                                  out_dir=tmp_path / "gate")
    assert decision.waiver_changes is None and "Waiver file changes" not in out.markdown.read_text()
    with pytest.raises(UserError, match="base policy folder not found"):
        gate.run_gate(paths.settings.parents[1] / ".infra", "prod", policy=paths, base_policy=tmp_path / "nope")


def test_lowered_floors() -> None:
    base = {"prod": {"min_on_demand_share": 0.3, "max_secret_rotation_days": 90, "log_retention_days": 365}}
    assert lowered_floors(base, base, "prod") == []
    assert lowered_floors(base, {"prod": {"min_on_demand_share": 0.5, "max_secret_rotation_days": 30,
                                          "log_retention_days": 400}}, "prod") == []
    assert lowered_floors(base, {"prod": {"min_on_demand_share": 0.0, "max_secret_rotation_days": 180}}, "prod") == [
        ("log_retention_days", 365, None), ("max_secret_rotation_days", 90, 180), ("min_on_demand_share", 0.3, 0.0)]
    assert lowered_floors(base, {}, "staging") == []


def test_a_lowered_floor_is_a_critical_finding_that_needs_a_waiver(tmp_path: Path) -> None:
    base = tmp_path / "base" / "policy"
    base.mkdir(parents=True)
    shutil.copy(POLICY_DIR / "policy.yaml", base / "policy.yaml")
    lowered = (POLICY_DIR / "policy.yaml").read_text().replace(
        "    min_on_demand_share: 0.3 ", "    min_on_demand_share: 0.0 ", 1)
    assert lowered != (POLICY_DIR / "policy.yaml").read_text()
    _root, paths = _project(tmp_path, [], policy=lowered)
    decision, out = gate.run_gate(paths.settings.parents[1] / ".infra", "prod", policy=paths, today=TODAY,
                                  out_dir=tmp_path / "gate", base_policy=base)
    assert not decision.passed
    [f] = decision.policy_findings
    assert (f.check_id, f.severity, f.resource, f.status) == (
        "INFRA_FLOOR_LOWERED", "CRITICAL", "floors.prod.min_on_demand_share", "failed")
    assert "floors.prod.min_on_demand_share lowered from 0.3 to 0" in f.title
    assert "INFRA_FLOOR_LOWERED on floors.prod.min_on_demand_share in all" in decision.reason
    assert "### Floors lowered" in out.markdown.read_text()
    # Even at a CRITICAL-only threshold, and the staging gate is not concerned.
    assert not gate.run_gate(paths.settings.parents[1] / ".infra", "prod", policy=paths, today=TODAY,
                             fail_on="CRITICAL", base_policy=base)[0].passed
    # A waiver naming it lets it pass.
    paths.waivers.write_text("waivers:\n" + _waiver("W-floor", check_id="INFRA_FLOOR_LOWERED",
                                                    resource="floors.prod.min_on_demand_share"))
    decision, _out = gate.run_gate(paths.settings.parents[1] / ".infra", "prod", policy=paths, today=TODAY,
                                   out_dir=tmp_path / "gate", base_policy=base)
    assert decision.passed, decision.reason
    assert [f.waiver.id for f in decision.policy_findings if f.waiver] == ["W-floor"]


def test_policy_settings_floors_and_rules(tmp_path: Path) -> None:
    from toolkit.policy.settings import load_policy_settings

    path = tmp_path / "policy.yaml"
    path.write_text("floors:\n  prod:\n    log_retention_day: 365\n")
    with pytest.raises(UserError, match="unknown floor"):
        load_policy_settings(path)
    path.write_text("waiver_rules:\n  max_lifetime_days: 0\n")
    with pytest.raises(UserError, match="max_lifetime_days"):
        load_policy_settings(path)
    assert "waiver_rules" not in PolicySettings().check_context()
    assert "floors" in PolicySettings().check_context()


def test_changes_of_waivers_by_id() -> None:
    a, b = _w(), _w(id="W-2")
    assert waiver_changes({"W-1": a}, {"W-1": a}) == []
    assert [c.kind for c in waiver_changes({"W-1": a}, {"W-2": b})] == ["removed", "added"]


def test_an_inline_skip_matches_by_its_address_inside_the_module() -> None:
    """checkov applies a skip comment of modules/ to the planned instances too (plan enrichment)."""
    from toolkit.policy.waivers import waive_skips

    planned = _skip("CKV2_AWS_57").model_copy(update={
        "resource": 'module.secrets.aws_secretsmanager_secret.this["db"]', "file": "modules/secrets/main.tf",
        "source": "plan"})
    w = _w(check_id="CKV2_AWS_57", resource="aws_secretsmanager_secret.this", file="modules/secrets/main.tf")
    assert [s.waiver.id if s.waiver else None for s in waive_skips([planned], [w], TODAY)] == ["W-1"]
    other = planned.model_copy(update={"file": "modules/other/main.tf"})
    assert waive_skips([other], [w], TODAY)[0].waiver is None
    failed = _finding("CKV2_AWS_57", "HIGH", resource='module.secrets.aws_secretsmanager_secret.this["db"]')
    assert not w.matches(failed)  # failed findings still match by their full address
