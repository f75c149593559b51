"""infra regions"""

from __future__ import annotations

import click
from rich.table import Table

from toolkit.cli.context import Ctx, pass_ctx
from toolkit.cli.options import env_option, json_option
from toolkit.paths import Given
from toolkit.settings.views import region_rows


@click.command("regions")
@env_option
@json_option
@pass_ctx
def command(ctx: Ctx, env: Given | None, json_flag: bool) -> None:
    """List the region catalog and which environments use each region.

    With --env, only that environment's regions. The JSON form is a list of
    {environment, region, aws_region, zone} objects, one per environment/region pair,
    ready to be a CI matrix.

    \b
    Examples:
      infra regions
      infra regions --env prod --json
    """
    rows = region_rows(ctx.project, ctx.env(env) if env else None)
    if ctx.use_json(json_flag):
        ctx.emit_json(rows)
        return
    table = Table(title="Regions", title_justify="left")
    for col in ("region", "aws region", "zone", "environments"):
        table.add_column(col)
    by_region: dict[str, list[str]] = {}
    for row in rows:
        by_region.setdefault(row["region"], []).append(row["environment"])
    for key, reg in sorted(ctx.project.catalog.regions.items()):
        if env and key not in by_region:
            continue
        table.add_row(key, reg.aws_region, reg.zone, ", ".join(by_region.get(key, [])) or "-")
    ctx.console.print(table)
