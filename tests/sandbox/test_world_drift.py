"""Drift offline: an object changed out of band (the world file) shows as drift at refresh, with real Terraform."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra_sandbox.errors import SandboxError
from infra_sandbox.install import SandboxInstall
from infra_sandbox.reattach import reattached_provider
from infra_sandbox.world import WORLD_ENV, record_change, refreshed
from toolkit.adapters.terraform.runner import Terraform

CONFIG = """\
provider "aws" {
  region = "eu-west-1"
}

resource "aws_sqs_queue" "jobs" {
  name                       = "jobs"
  visibility_timeout_seconds = 30
  sqs_managed_sse_enabled    = true
}

resource "aws_sqs_queue" "untouched" {
  name                    = "untouched"
  sqs_managed_sse_enabled = true
}
"""


@pytest.fixture
def applied(sandbox: SandboxInstall, tmp_path: Path) -> tuple[Terraform, Path, dict[str, str]]:
    (tmp_path / "main.tf").write_text(CONFIG)
    world = tmp_path / "world.json"
    env = sandbox.env() | {WORLD_ENV: str(world)}
    tf = Terraform(tmp_path, env=env)
    tf.init(backend=False)
    tf.apply(tf.plan(tmp_path / "tfplan").plan_file)
    return tf, world, env


def _ids(workdir: Path) -> dict[str, str]:
    state = json.loads((workdir / "terraform.tfstate").read_text())
    return {f"{r['type']}.{r['name']}": r["instances"][0]["attributes"]["id"] for r in state["resources"]}


def _refresh_plan(tf: Terraform, workdir: Path) -> dict[str, object]:
    result = tf.run(["plan", "-refresh-only", "-no-color", "-out", str(workdir / "drift")])
    assert result.returncode == 0
    return tf.show_json(workdir / "drift")


def test_no_world_changes_means_no_drift(applied: tuple[Terraform, Path, dict[str, str]]) -> None:
    tf, _world, _ = applied
    assert _refresh_plan(tf, tf.workdir).get("resource_drift", []) == []


def test_an_attribute_changed_out_of_band_is_drift(applied: tuple[Terraform, Path, dict[str, str]]) -> None:
    tf, world, _ = applied
    queue_id = _ids(tf.workdir)["aws_sqs_queue.jobs"]
    record_change(world, "aws_sqs_queue", queue_id, set_attributes={"visibility_timeout_seconds": 120})
    drift = _refresh_plan(tf, tf.workdir)["resource_drift"]
    assert [d["address"] for d in drift] == ["aws_sqs_queue.jobs"]  # exactly the changed one
    (only,) = drift
    assert only["change"]["actions"] == ["update"]
    assert only["change"]["before"]["visibility_timeout_seconds"] == 30
    assert only["change"]["after"]["visibility_timeout_seconds"] == 120


def test_an_object_deleted_out_of_band_is_drift_and_planned_again(
        applied: tuple[Terraform, Path, dict[str, str]], sandbox: SandboxInstall) -> None:
    tf, world, env = applied
    record_change(world, "aws_sqs_queue", _ids(tf.workdir)["aws_sqs_queue.untouched"], deleted=True)
    drift = _refresh_plan(tf, tf.workdir)["resource_drift"]
    assert [(d["address"], d["change"]["actions"]) for d in drift] == [("aws_sqs_queue.untouched", ["delete"])]
    with reattached_provider(sandbox, extra_env={WORLD_ENV: str(world)}) as reattach:  # same through reattach
        plan = Terraform(tf.workdir, env=env | reattach).plan(tf.workdir / "p2")
        doc = Terraform(tf.workdir, env=env | reattach).show_json(plan.plan_file)
    actions = {rc["address"]: rc["change"]["actions"] for rc in doc["resource_changes"]}
    assert actions == {"aws_sqs_queue.jobs": ["no-op"], "aws_sqs_queue.untouched": ["create"]}


def test_a_bad_world_entry_is_a_clear_error(tmp_path: Path) -> None:
    world = tmp_path / "world.json"
    record_change(world, "aws_sqs_queue", "q1", set_attributes={"no_such_attribute": 1})
    with pytest.raises(SandboxError, match="aws_sqs_queue has no attribute 'no_such_attribute'"):
        refreshed("aws_sqs_queue", {"id": "q1", "name": "q"}, world)
    world.write_text("{not json")
    with pytest.raises(SandboxError, match="sandbox world file unreadable"):
        refreshed("aws_sqs_queue", {"id": "q1"}, world)
