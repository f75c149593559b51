"""infra bootstrap"""

from __future__ import annotations

import click

from toolkit.adapters.aws import bootstrap_state_bucket
from toolkit.cli.context import Ctx, pass_ctx
from toolkit.cli.options import env_option, json_option, region_argument
from toolkit.paths import Given


@click.command("bootstrap")
@region_argument
@env_option
@json_option
@pass_ctx
def command(ctx: Ctx, region: str, env: Given | None, json_flag: bool) -> None:
    """Create the region's Terraform state bucket if missing (idempotent, never deletes).

    The bucket lives in the cluster's own region: versioning, SSE-KMS with the
    environment's state key (created if missing), public access block, TLS-only bucket
    policy, lifecycle for noncurrent versions. A second run changes nothing and says so.
    AWS_ENDPOINT_URL points it at another endpoint (LocalStack, moto).

    \b
    Examples:
      infra bootstrap us-east --env prod
      AWS_ENDPOINT_URL=http://127.0.0.1:5000 infra bootstrap eu-central
    """
    cfg = ctx.project.region(ctx.env(env), region)
    result = bootstrap_state_bucket(
        bucket=cfg.state_bucket, aws_region=cfg.aws_region, kms_key_alias=cfg.state_kms_key_alias,
        account_id=cfg.account_id, tags=cfg.tags, environment=cfg.environment, log=ctx.log)
    if ctx.use_json(json_flag):
        ctx.emit_json(result.to_dict())
    else:
        for line in result.summary_lines():
            ctx.log(line)
