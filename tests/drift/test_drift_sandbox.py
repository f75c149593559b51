"""`infra drift` end to end: apply to sandbox state, change the world out of band, see exactly that drift.

Real Terraform and the real sandbox provider: the refresh-only plan reads each object through
the provider, which applies the region's world file (``sandbox-world.json``, written with
:func:`infra_sandbox.world.record_change`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra_sandbox.world import record_change
from tests.apply.helpers import git_project, sandbox_environment
from toolkit.artifacts.bundle import BundleManifest, bundle_digest
from toolkit.drift.report import (
    MARKER,
    DriftReport,
    changed_attributes,
    drifted_resources,
    exit_code,
    markdown,
)

ENV, REGION = "staging", "us-east"
SECRET_VALUE = "s3cr3t-value-set-out-of-band"
Infra = Callable[..., Any]


@dataclass(frozen=True)
class Applied:
    project: Path
    artifacts: Path

    @property
    def region_dir(self) -> Path:
        return self.artifacts / ENV / REGION

    @property
    def world(self) -> Path:
        return self.region_dir / "sandbox-world.json"

    def ids(self) -> dict[str, str]:
        """address -> id of every object in the sandbox state."""
        state = json.loads((self.region_dir / "sandbox.tfstate").read_text())
        out = {}
        for r in state["resources"]:
            if r["mode"] != "managed":
                continue
            for inst in r["instances"]:
                key = inst.get("index_key")
                suffix = "" if key is None else f'["{key}"]' if isinstance(key, str) else f"[{key}]"
                prefix = f"{r['module']}." if r.get("module") else ""
                out[f"{prefix}{r['type']}.{r['name']}{suffix}"] = inst["attributes"]["id"]
        return out


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Applied]:
    """staging/us-east planned (no scan) and applied to its sandbox state, once."""
    from toolkit.cli import run

    base = tmp_path_factory.mktemp("drift")
    with sandbox_environment(base / "cache"):
        project, artifacts = git_project(base / "proj"), base / "art"
        common = ["--project", str(project), "--artifacts", str(artifacts)]
        assert run([*common, "plan", REGION, "--env", ENV, "--sandbox", "--no-scan"]) == 0
        bundle = artifacts / ENV / REGION / "bundle"
        digest = bundle_digest(BundleManifest.model_validate_json((bundle / "manifest.json").read_text()))
        assert run([*common, "apply", REGION, "--env", ENV, "--sandbox", "--expect-sha256", digest, "--yes"]) == 0
        yield Applied(project, artifacts)


def _drift(infra: Infra, a: Applied, *args: str) -> Any:
    return infra("--project", str(a.project), "--artifacts", str(a.artifacts), "drift", *args, "--env", ENV,
                 "--sandbox")


def test_drift_reports_exactly_the_resources_changed_out_of_band(infra: Infra, applied: Applied,
                                                                 tmp_path: Path) -> None:
    clean = _drift(infra, applied, REGION, "--json")
    assert clean.code == 0, clean.err
    (report,) = json.loads(clean.out)["regions"]
    assert report["status"] == "clean" and report["drifted"] == [] and report["resources"] >= 70

    ids = applied.ids()
    queue = "module.karpenter.aws_sqs_queue.interruption"
    alias = 'module.kms.aws_kms_alias.this["ebs"]'
    secret = next(a for a in ids if a.startswith("module.secrets.aws_secretsmanager_secret_version."))
    record_change(applied.world, "aws_sqs_queue", ids[queue], set_attributes={"visibility_timeout_seconds": 1234})
    record_change(applied.world, "aws_kms_alias", ids[alias], deleted=True)
    record_change(applied.world, "aws_secretsmanager_secret_version", ids[secret],
                  set_attributes={"secret_string": SECRET_VALUE})

    issue = tmp_path / "issue.md"
    drifted = _drift(infra, applied, REGION, "--json", "--markdown", str(issue))
    assert drifted.code == 2, drifted.err
    (report,) = json.loads(drifted.out)["regions"]
    assert report["status"] == "drift"
    assert [(d["address"], d["action"], d["attributes"], d["sensitive_attributes"]) for d in report["drifted"]] == [
        (queue, "update", ["visibility_timeout_seconds"], []),
        (alias, "delete", [], []),
        (secret, "update", ["secret_string"], ["secret_string"]),
    ]
    on_disk = json.loads((applied.region_dir / "drift.json").read_text())
    assert on_disk == report
    region_md = (applied.region_dir / "drift.md").read_text()
    body = issue.read_text()
    assert body.startswith(MARKER + "\n") and "1 of 1 region(s) drifted" in body
    assert f"| `{queue}` | update | `visibility_timeout_seconds` |" in body
    assert "`secret_string` (sensitive)" in body and "`secret_string` (sensitive)" in region_md
    # Names, never values: neither the new values nor the old ones reach any output.
    for text in (drifted.out, drifted.err, body, region_md, json.dumps(on_disk)):
        assert SECRET_VALUE not in text and "1234" not in text

    # The console table names the same resources.
    table = _drift(infra, applied, REGION)
    assert table.code == 2
    assert f"staging/us-east: ~ {queue}: visibility_timeout_seconds" in table.err
    assert f"staging/us-east: - {alias}: gone out of band" in table.err
    assert f"staging/us-east: ~ {secret}: secret_string (sensitive)" in table.err

    # The world back as the state says: no drift, exit 0.
    applied.world.unlink()
    again = _drift(infra, applied, REGION)
    assert again.code == 0, again.err
    assert json.loads((applied.region_dir / "drift.json").read_text())["status"] == "clean"


def test_a_region_never_applied_is_an_error_not_no_drift(infra: Infra, applied: Applied) -> None:
    result = _drift(infra, applied, "--all", "--json")
    assert result.code == 1, result.err
    by_region = {r["region"]: r for r in json.loads(result.out)["regions"]}
    assert by_region["eu-central"]["status"] == "error"
    assert "never applied" in by_region["eu-central"]["error"]
    assert by_region["us-east"]["status"] in ("clean", "drift")  # checked in parallel, not hidden by the error
    collected = infra("--artifacts", str(applied.artifacts), "--project", str(applied.project), "drift",
                      "--collect", str(applied.artifacts))
    assert collected.code == 1 and "never applied" in collected.err


# ---------------------------------------------------------------- the report, from plan JSON


def test_changed_attributes_are_names_and_sensitive_ones_are_not_descended() -> None:
    before = {"name": "q", "tags": {"owner": "a", "team": "x"}, "policy": {"Statement": [1]}, "password": "old",
              "nested": [{"a": 1}], "creds": {"user": "u", "key": "k1"}}
    after = {"name": "q", "tags": {"owner": "b", "team": "x"}, "policy": {"Statement": [2]}, "password": "new",
             "nested": [{"a": 2}], "creds": {"user": "u", "key": "k2"}}
    sensitive = {"password": True, "creds": {"key": True}, "nested": [{"a": True}]}
    assert changed_attributes(before, after, sensitive, sensitive) == [
        ("creds.key", True), ("nested", True), ("password", True), ("policy.Statement", False), ("tags.owner", False)]


def test_drifted_resources_from_resource_drift() -> None:
    plan = {"resource_drift": [
        {"address": "b.x", "type": "b", "mode": "managed",
         "change": {"actions": ["update"], "before": {"v": 1}, "after": {"v": 2}}},
        {"address": "a.y", "type": "a", "mode": "managed", "change": {"actions": ["delete"], "before": {"v": 1},
                                                                       "after": None}},
        {"address": "data.c.z", "type": "c", "mode": "data", "change": {"actions": ["update"]}},
    ]}
    assert [(d.address, d.action, d.attributes) for d in drifted_resources(plan)] == [
        ("a.y", "delete", []), ("b.x", "update", ["v"])]


def test_exit_codes_follow_detailed_exitcode() -> None:
    def rep(status: str) -> DriftReport:
        return DriftReport(environment="e", region=status, aws_region="r", mode="sandbox", status=status,  # type: ignore[arg-type]
                           checked_at="t")

    assert exit_code([rep("clean")]) == 0
    assert exit_code([rep("clean"), rep("drift")]) == 2
    assert exit_code([rep("drift"), rep("error")]) == 1
    assert markdown([rep("clean")]).splitlines()[:2] == [MARKER, "## infra drift: no drift"]
