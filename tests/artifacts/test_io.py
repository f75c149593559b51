"""The one reader and writer of the region artifacts: every failure is one line naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.policy import builders
from toolkit.artifacts import layout
from toolkit.artifacts.findings import Finding, FindingsDocument
from toolkit.artifacts.io import read_artifact, read_artifact_if_present, write_artifact
from toolkit.artifacts.summary import Status, Summary
from toolkit.artifacts.terraform import TerraformPlan, read_plan_sha256, write_plan_sha256
from toolkit.errors import UserError


def _one_line(err: pytest.ExceptionInfo[UserError], path: Path) -> str:
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"{path}:"), message
    return message


def test_missing_file_names_the_command_that_writes_it(tmp_path: Path) -> None:
    with pytest.raises(UserError) as err:
        read_artifact(tmp_path / "summary.json", Summary)
    assert _one_line(err, tmp_path / "summary.json").endswith("file not found (run `infra plan` first)")
    with pytest.raises(UserError) as err:
        read_artifact(tmp_path / "findings.json", FindingsDocument)
    assert _one_line(err, tmp_path / "findings.json").endswith("file not found (run `infra scan` first)")
    assert read_artifact_if_present(tmp_path / "status.json", Status) is None


def test_unreadable_file_bad_json_and_schema_errors(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    path.mkdir()
    with pytest.raises(UserError) as err:
        read_artifact(path, Status)
    assert "cannot read" in _one_line(err, path) and "expected the plan status" in str(err.value)
    path.rmdir()
    path.write_text('{"status": "ok",')
    with pytest.raises(UserError) as err:
        read_artifact(path, Status)
    assert "not valid JSON (" in _one_line(err, path) and "expected the plan status" in str(err.value)
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(UserError) as err:
        read_artifact(path, Status)
    assert "not UTF-8" in _one_line(err, path)
    path.write_text(json.dumps({"status": "done", "stage": "plan"}))
    with pytest.raises(UserError) as err:
        read_artifact(path, Status)
    assert _one_line(err, path).startswith(f"{path}: status: Input should be 'running', 'ok', 'failed' or 'interrupted'")


def test_files_we_write_refuse_unknown_keys_and_other_versions(tmp_path: Path) -> None:
    path = tmp_path / "summary.json"
    data = builders.summary("prod", "us-east")
    path.write_text(json.dumps({**data, "colour": "blue"}))
    with pytest.raises(UserError, match=r"summary\.json: colour: Extra inputs are not permitted$"):
        read_artifact(path, Summary)
    path.write_text(json.dumps({**data, "schema_version": 2}))
    with pytest.raises(UserError, match=r"summary\.json: schema_version: Input should be 1$"):
        read_artifact(path, Summary)


def test_written_artifacts_read_back(tmp_path: Path) -> None:
    summary = Summary.model_validate(builders.summary("prod", "us-east"))
    finding = Finding(check_id="CKV_INFRA_1", title="t", severity="high", environment="prod", region="us-east",
                      resource="r", file="f.tf", line=3, status="failed", source="hcl")
    doc = FindingsDocument(environment="prod", region="us-east", mode="sandbox", checkov_version="3",
                           inputs={"plan.json": "0" * 64}, findings=[finding])
    for name, model in ((layout.SUMMARY_JSON, summary), (layout.FINDINGS_JSON, doc),
                        (layout.STATUS_JSON, Status(status="ok", stage="done"))):
        write_artifact(tmp_path / name, model)
        assert read_artifact(tmp_path / name, type(model)) == model
    assert doc.findings[0].severity == "HIGH"  # severities are normalised on the way in
    write_plan_sha256(tmp_path / "plan.sha256", "a" * 64)
    assert (tmp_path / "plan.sha256").read_text() == "a" * 64 + "  tfplan\n"
    assert read_plan_sha256(tmp_path / "plan.sha256") == "a" * 64


def test_plan_json_must_be_terraform_output(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text('{"resource_changes": []}')
    with pytest.raises(UserError, match=r"plan\.json: \(top level\): not a terraform plan \(no format_version\)$"):
        read_artifact(path, TerraformPlan)
