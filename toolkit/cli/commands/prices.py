"""infra prices show / refresh"""

from __future__ import annotations

import click

from toolkit.cli.context import Ctx, pass_ctx
from toolkit.cli.options import json_option
from toolkit.cost import refresh as refresher
from toolkit.cost import snapshot as snapshots
from toolkit.settings import stack_inputs


@click.group("prices")
def group() -> None:
    """The instance catalog and price snapshot used by infra cost."""


@group.command("show")
@json_option
@pass_ctx
def show(ctx: Ctx, json_flag: bool) -> None:
    """Which price snapshot is in use (user cache or bundled), its dates and sources.

    \b
    Example:
      infra prices show
    """
    snap = snapshots.load()
    data = {"in use": f"{snap.origin}: {snap.path}", "assembled": snap.assembled,
            "regions": {r: len(t) for r, t in sorted(snap.regions.items())},
            "instance types": len(snap.instance_types), "families": sorted(snap.families),
            "sources": {s.id: f"{s.kind}, as of {s.as_of or s.as_of_bound or 'unknown'}: {s.url}"
                        for s in snap.sources.values()}}
    if ctx.use_json(json_flag):
        ctx.emit_json(data)
        return
    for key, value in data.items():
        if isinstance(value, dict):
            ctx.console.print(f"[bold]{key}[/]")
            for k, v in value.items():
                ctx.log(f"  {k}: {v}")
        else:
            ctx.log(f"{key}: {value if not isinstance(value, list) else ', '.join(value)}")


@group.command("refresh")
@click.option("--region", "regions", multiple=True, metavar="AWS_REGION",
              help="AWS region to fetch (repeatable). Default: every region of the catalog.")
@click.option("--family", "families", multiple=True, metavar="FAMILY",
              help="Instance family to fetch (repeatable). Default: every family the settings allow.")
@pass_ctx
def refresh(ctx: Ctx, regions: tuple[str, ...], families: tuple[str, ...]) -> None:
    """Fetch current prices from AWS and write the user-cache snapshot (used from then on).

    Needs AWS credentials and network access: ec2:DescribeInstanceTypes,
    ec2:DescribeInstanceTypeOfferings, ec2:DescribeSpotPriceHistory, pricing:GetProducts.

    \b
    Examples:
      infra prices refresh
      infra prices refresh --region eu-central-1 --region eu-west-1
    """
    project = ctx.project
    known = sorted({r.aws_region for r in project.catalog.regions.values()})
    chosen = list(dict.fromkeys(regions)) or known
    for r in chosen:
        if r not in known:
            raise click.BadParameter(f"{r!r} is not an AWS region of the catalog ({', '.join(known)})",
                                     param_hint="--region")
    fams = list(dict.fromkeys(families))
    if not fams:
        found: set[str] = set()
        for env in project.environment_names():
            for cfg in project.environment(env).regions.values():
                for pool in stack_inputs(cfg, project.catalog)["karpenter"]["pools"].values():
                    found.update(pool["instance_families"])
        fams = sorted(found)
    path = refresher.refresh(chosen, fams, log=ctx.log)
    ctx.console.print(f"[green]wrote[/] {path} (used by infra cost from now on; delete it to use the bundled copy)")
