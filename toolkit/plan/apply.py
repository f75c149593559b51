"""Apply a reviewed plan file of one region."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from toolkit.errors import UserError
from toolkit.fsutil import sha256_file
from toolkit.paths import Given, region_dir
from toolkit.settings import RegionConfig


def apply_region(cfg: RegionConfig, artifacts: Path, terraform: Given | None, log: Callable[[str], None]) -> None:
    """Apply the reviewed plan file of one region: cloud plans only, digest checked."""
    import json

    from toolkit.adapters.terraform.runner import Terraform, resolve_engine

    out = region_dir(artifacts, cfg.environment, cfg.region)
    plan_file, summary_file, digest_file = out / "tfplan", out / "summary.json", out / "plan.sha256"
    for needed in (plan_file, summary_file, digest_file):
        if not needed.is_file():
            raise UserError(f"{needed}: missing; run `infra plan {cfg.region} --env {cfg.environment} --cloud` first")
    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    if summary.get("mode") != "cloud":
        raise UserError(f"{plan_file}: refusing to apply a {summary.get('mode', 'unknown')}-mode plan; sandbox plans "
                        "are for review only (re-plan with --cloud and real credentials)")
    recorded = digest_file.read_text(encoding="utf-8").split()[0]
    actual = sha256_file(plan_file)
    if recorded != actual:
        raise UserError(f"{plan_file}: sha256 {actual[:12]}… does not match the reviewed plan.sha256 "
                        f"{recorded[:12]}…; re-plan and review again")
    stack = out / "work" / "terraform"
    tf = Terraform(stack, engine=resolve_engine(terraform), log=log, log_file=out / "apply.log")
    tf.apply(plan_file)
