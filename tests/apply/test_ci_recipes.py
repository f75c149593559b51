"""The CI recipes of reviewed plans and drift: bundles uploaded privately, applied after merge with the
gate's record as the approval, and a daily drift run that keeps one issue."""

from __future__ import annotations

from typing import Any

import yaml

from tests.support import REPO


def _workflow(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((REPO / ".github" / "workflows" / name).read_text())
    return doc


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job["steps"])


def test_plan_uploads_each_bundle_privately_and_the_gate_sees_its_manifest() -> None:
    wf = _workflow("infra.yml")
    assert "closed" in wf[True]["pull_request"]["types"]
    assert wf["jobs"]["regions"]["if"] == "${{ github.event.action != 'closed' }}"  # plan/gate need regions
    steps = _steps(wf["jobs"]["plan"])
    names = [s.get("name", "") for s in steps]
    manifest = steps[names.index("Stage the bundle manifest for the gate")]
    assert "bundle/manifest.json" in manifest["run"] and "upload/" in manifest["run"]
    staged = steps[names.index("Stage the plan bundle (cleartext values)")]
    assert "github.event.repository.private" in staged["if"]
    upload = steps[names.index("Upload the plan bundle (private, 3 days)")]
    assert upload["with"]["name"] == "bundle-${{ matrix.environment }}-${{ matrix.region }}"
    assert upload["with"]["retention-days"] <= 7
    # The bundle is uploaded before the region's regular artifact, which still never holds a plan.
    assert names.index("Stage the bundle manifest for the gate") < max(
        i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("actions/upload-artifact@")
        and s.get("with", {}).get("path") == "upload/")


def test_the_post_merge_job_applies_the_reviewed_bundles_with_the_gate_as_approval() -> None:
    job = _workflow("infra.yml")["jobs"]["apply"]
    assert "github.event.pull_request.merged" in job["if"] and "closed" in job["if"]
    assert job["concurrency"]["cancel-in-progress"] is False
    steps = _steps(job)
    assert steps[0]["with"]["ref"] == "${{ github.event.pull_request.merge_commit_sha }}"
    downloads = [s for s in steps if str(s.get("uses", "")).startswith("actions/download-artifact@")]
    assert {d["with"]["pattern"] for d in downloads} == {"bundle-*", "gate-*"}
    assert all(d["with"]["run-id"] == "${{ steps.reviewed.outputs.run_id }}" for d in downloads)
    run = next(s["run"] for s in steps if "infra apply" in str(s.get("run", "")))
    assert 'infra apply --all --env "$env" --plan bundles --approved "gates/gate-$env/gate-$env.json"' in run
    assert "--yes" in run and "-auto-approve" not in run


def test_the_daily_drift_workflow_keeps_one_issue() -> None:
    wf = _workflow("drift.yml")
    assert wf[True]["schedule"][0]["cron"].split()[2:] == ["*", "*", "*"]  # daily
    jobs = wf["jobs"]
    assert list(jobs) == ["regions", "drift", "report"]
    assert any("infra regions --json" in str(s.get("run", "")) for s in _steps(jobs["regions"]))
    assert jobs["drift"]["strategy"]["matrix"]["include"] == "${{ fromJSON(needs.regions.outputs.matrix) }}"
    assert any('infra drift "$REGION" --env "$ENVIRONMENT" --cloud' in str(s.get("run", ""))
               for s in _steps(jobs["drift"]))
    report = _steps(jobs["report"])
    assert any("infra drift --collect collected --markdown drift-report.md" in str(s.get("run", "")) for s in report)
    script = next(s["with"]["script"] for s in report if str(s.get("uses", "")).startswith("actions/github-script@"))
    assert "<!-- infra-drift -->" in script and "issues.update" in script and "issues.create" in script
    assert jobs["report"]["permissions"]["issues"] == "write"


def test_docs_describe_bundles_and_drift() -> None:
    text = (REPO / "docs" / "ci.md").read_text()
    for needle in ("## Reviewed plans: plan bundles and the post-merge apply", "## Scheduled drift",
                   "bundle digest", "3 days' retention", "private repository", "drift.yml", "<!-- infra-drift -->"):
        assert needle in text, needle
