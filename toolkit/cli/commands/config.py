"""infra config show | schema"""

from __future__ import annotations

from pathlib import Path

import click

from toolkit.cli.context import Ctx, pass_ctx
from toolkit.cli.options import env_option, json_option, region_argument
from toolkit.fsutil import atomic_write_json, dump_json
from toolkit.paths import Given
from toolkit.render.inputs import dump_yaml
from toolkit.settings import stack_inputs
from toolkit.settings.views import settings_json_schema


@click.group("config")
def group() -> None:
    """Show effective settings and export their JSON Schema."""


@group.command("show")
@region_argument
@env_option
@json_option
@pass_ctx
def show(ctx: Ctx, region: str, env: Given | None, json_flag: bool) -> None:
    """Print the effective settings of ENV/REGION after layering.

    Layers: environments/defaults.yaml -> ENV/env.yaml -> ENV/REGION.yaml (deep-merged).

    \b
    Examples:
      infra config show us-east --env prod
      infra config show eu-central --json
    """
    cfg = ctx.project.region(ctx.env(env), region)
    data = stack_inputs(cfg, ctx.project.catalog)
    if ctx.use_json(json_flag):
        ctx.emit_json(data)
    else:
        click.echo(dump_yaml(data), nl=False)


@group.command("schema")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="Write to a file instead of stdout.")
@click.option("--effective", is_flag=True, help="Schema of the merged settings (required keys enforced) "
              "instead of one layer file.")
@pass_ctx
def schema(ctx: Ctx, out: str | None, effective: bool) -> None:
    """Export the JSON Schema of region settings files, for editors.

    The committed copy is environments/region.schema.json (a test keeps it in sync);
    region files point at it with a yaml-language-server comment.

    \b
    Example:
      infra config schema --out environments/region.schema.json
    """
    doc = settings_json_schema(layer=not effective)
    if out:
        atomic_write_json(Path(out), doc)
        ctx.console.print(f"wrote {out}")
    else:
        click.echo(dump_json(doc), nl=False)
