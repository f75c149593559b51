"""The CI definitions: the GitHub workflow fans out over `infra regions --json` and gates; the GitLab
recipes in docs/ci.md are valid YAML with the same shape."""

from __future__ import annotations

import re
from typing import Any

import yaml

from tests.support import REPO


def _steps(job: dict[str, Any]) -> list[str]:
    return [str(s.get("uses") or s.get("run") or "") for s in job["steps"]]


def test_github_workflow_matrix_plan_and_gate() -> None:
    wf = yaml.safe_load((REPO / ".github" / "workflows" / "infra.yml").read_text())
    assert "pull_request" in wf[True]  # YAML 1.1 reads the `on` key as True
    jobs = wf["jobs"]
    assert list(jobs)[:3] == ["regions", "plan", "gate"]  # then the post-merge apply (tests/apply/test_ci_recipes.py)
    assert any("infra regions --json" in s for s in _steps(jobs["regions"]))
    assert jobs["plan"]["strategy"]["matrix"]["include"] == "${{ fromJSON(needs.regions.outputs.matrix) }}"
    plan_steps = _steps(jobs["plan"])
    assert any('infra plan "$REGION" --env "$ENVIRONMENT"' in s for s in plan_steps)
    assert any('infra scan "$REGION" --env "$ENVIRONMENT"' in s for s in plan_steps)
    assert any(s.startswith("actions/upload-artifact@") for s in plan_steps)
    staged = next(s for s in plan_steps if "Stage" in s or "upload/" in s)
    assert "tfplan" not in staged.split("for f in", 1)[1].split(";", 1)[0]  # plans never uploaded
    gate_job = jobs["gate"]
    assert gate_job["needs"] == ["regions", "plan"]
    gate_steps = _steps(gate_job)
    assert any(s.startswith("actions/download-artifact@") for s in gate_steps)
    assert any('infra gate --env "$ENVIRONMENT" --artifacts collected --base-policy base/policy' in s
               for s in gate_steps)
    base = next(s for s in gate_steps if "git merge-base" in s)
    assert 'git archive "$base" policy | tar -x -C base' in base
    assert gate_job["steps"][0]["with"]["fetch-depth"] == 0
    assert any(s.startswith("github/codeql-action/upload-sarif@") for s in gate_steps)
    assert any(s.startswith("actions/github-script@") for s in gate_steps)
    assert gate_job["permissions"]["security-events"] == "write"


def test_gitlab_recipes_parse() -> None:
    text = (REPO / "docs" / "ci.md").read_text()
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", text, re.S)]
    static, dynamic = blocks
    assert static["plan"]["parallel"]["matrix"][0]["REGION"]
    assert static[".gate"]["needs"][0] == {"job": "plan", "artifacts": True}
    assert "infra gate" in static[".gate"]["script"][0]
    script = dynamic["generate"]["script"][-1]
    code = script.split("<<'PY'\n", 1)[1].rsplit("PY", 1)[0]
    compile(code, "child-pipeline-generator", "exec")
    assert dynamic["run"]["trigger"]["strategy"] == "depend"
