"""infra apply"""

from __future__ import annotations

import click

from toolkit.cli.context import Ctx, pass_ctx
from toolkit.cli.options import env_option, region_argument, terraform_option
from toolkit.paths import Given
from toolkit.plan.apply import apply_region


@click.command("apply")
@region_argument
@env_option
@terraform_option
@pass_ctx
def command(ctx: Ctx, region: str, env: Given | None, terraform: Given | None) -> None:
    """Apply the reviewed plan file of REGION (cloud plans only).

    Refuses sandbox plans, and plan files whose sha256 differs from plan.sha256 (the
    digest recorded when the plan was made and reviewed).

    \b
    Example:
      infra plan us-east --env prod --cloud && infra apply us-east --env prod
    """
    cfg = ctx.project.region(ctx.env(env), region)
    apply_region(cfg, ctx.artifacts, terraform, log=ctx.log)
    ctx.console.print(f"[green]applied[/] {cfg.environment}/{cfg.region}")
