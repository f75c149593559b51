"""infra unlock"""

from __future__ import annotations

import click

from toolkit.adapters.aws.state_lock import read_lock, release_lock
from toolkit.cli.context import Ctx, pass_ctx
from toolkit.cli.options import env_option, json_option, region_argument
from toolkit.errors import UserError
from toolkit.paths import Given


@click.command("unlock")
@region_argument
@click.argument("lock_id", required=False)
@env_option
@json_option
@pass_ctx
def command(ctx: Ctx, region: str, lock_id: str | None, env: Given | None, json_flag: bool) -> None:
    """Clear a stale remote-state lock of REGION (as terraform force-unlock).

    Without LOCK_ID: shows who holds the lock (ID, who, operation, since when) and exits 1
    if it is held. With the lock's ID: removes that lock, and only that one. Use it when the
    run that took the lock is gone (killed, crashed); a live run releases its own lock.

    \b
    Examples:
      infra unlock us-east --env prod
      infra unlock us-east --env prod 6b1c0f4e-2f2a-4c53-9f4b-0f7c1d2e3a4b
    """
    cfg = ctx.project.region(ctx.env(env), region)
    where = f"{cfg.environment}/{cfg.region} (s3://{cfg.state_bucket}/{cfg.state_key})"
    if lock_id is None:
        held = read_lock(cfg.state_bucket, cfg.state_key, cfg.aws_region)
        if ctx.use_json(json_flag):
            ctx.emit_json({"locked": held is not None, "lock": held.to_dict() if held else None})
        if held is None:
            ctx.log(f"{where}: not locked")
            return
        raise UserError(f"{where} is locked: {held.describe()}; if that run is gone: "
                        f"infra unlock {cfg.region} --env {cfg.environment} {held.id}")
    removed = release_lock(cfg.state_bucket, cfg.state_key, cfg.aws_region, lock_id)
    if ctx.use_json(json_flag):
        ctx.emit_json({"unlocked": True, "lock": removed.to_dict()})
    ctx.log(f"unlocked {where}: removed the lock {removed.describe()}")
