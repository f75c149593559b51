"""infra render"""

from __future__ import annotations

import click

from toolkit.cli.context import Ctx, pass_ctx, pick_regions
from toolkit.cli.options import all_option, env_option, json_option, lock_timeout_option, regions_argument
from toolkit.paths import Given
from toolkit.render.inputs import render_many


@click.command("render")
@regions_argument
@all_option
@env_option
@json_option
@lock_timeout_option
@pass_ctx
def command(ctx: Ctx, regions: tuple[str, ...], all_regions: bool, env: Given | None, json_flag: bool,
            lock_timeout: str) -> None:
    """Render tfvars, backend config and Karpenter manifests for REGION(s).

    Writes ARTIFACTS/ENV/REGION/terraform.tfvars.json, backend.hcl and manifests/
    (NodePools, EC2NodeClasses, Argo CD Applications for the Karpenter charts).
    Files are written atomically; invalid settings write nothing. Each region is rendered
    under its lock: a plan or scan of it running meanwhile is named (pid, host, since),
    or waited for with --lock-timeout.

    \b
    Examples:
      infra render us-east
      infra render --all --env prod
      infra --artifacts /tmp/out render eu-central --env staging
    """
    env_name = ctx.env(env)
    results = render_many(ctx.project, env_name, pick_regions(ctx, env_name, regions, all_regions), ctx.artifacts,
                          lock_timeout=lock_timeout)
    if ctx.use_json(json_flag):
        ctx.emit_json([{"environment": env_name, "region": r, "files": [str(p) for p in res.files]}
                       for r, res in results.items()])
        return
    for region, res in results.items():
        ctx.console.print(f"[green]rendered[/] {env_name}/{region}: {len(res.files)} files in {res.directory}")
