"""Apply a reviewed plan file of one region."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from toolkit.artifacts.io import read_artifact
from toolkit.artifacts.layout import RegionLayout
from toolkit.artifacts.summary import Summary
from toolkit.artifacts.terraform import read_plan_sha256
from toolkit.errors import UserError
from toolkit.fsutil import sha256_file
from toolkit.paths import Given
from toolkit.settings import RegionConfig


def apply_region(cfg: RegionConfig, artifacts: Path, terraform: Given | None, log: Callable[[str], None]) -> None:
    """Apply the reviewed plan file of one region: cloud plans only, digest checked."""
    from toolkit.adapters.terraform.runner import Terraform, resolve_engine

    layout = RegionLayout.of(artifacts, cfg.environment, cfg.region)
    hint = f"run `infra plan {cfg.region} --env {cfg.environment} --cloud` first"
    for needed in (layout.tfplan, layout.summary, layout.plan_sha256):
        if not needed.is_file():
            raise UserError(f"{needed}: file not found ({hint})")
    summary = read_artifact(layout.summary, Summary)
    if summary.mode != "cloud":
        raise UserError(f"{layout.tfplan}: refusing to apply a {summary.mode}-mode plan; sandbox plans "
                        "are for review only (re-plan with --cloud and real credentials)")
    recorded = read_plan_sha256(layout.plan_sha256)
    actual = sha256_file(layout.tfplan)
    if recorded != actual:
        raise UserError(f"{layout.tfplan}: sha256 {actual[:12]}… does not match the reviewed plan.sha256 "
                        f"{recorded[:12]}…; re-plan and review again")
    tf = Terraform(layout.stack, engine=resolve_engine(terraform), log=log, log_file=layout.apply_log)
    tf.apply(layout.tfplan)
