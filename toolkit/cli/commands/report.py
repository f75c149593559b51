"""infra report"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, cast

import click

from toolkit.artifacts.layout import report_path
from toolkit.cli.context import Ctx, pass_ctx, pick_regions
from toolkit.cli.options import env_option, regions_argument
from toolkit.paths import Given
from toolkit.report import build_report, render, write_report

Format = Literal["html", "md", "json"]


@click.command("report")
@env_option
@regions_argument
@click.option("--format", "fmt", type=click.Choice(["html", "md", "json"]), default="html", show_default=True,
              help="html: one self-contained page; md: for wikis and pull requests; json: versioned schema "
                   "(toolkit/report/report.schema.json) for GRC tools.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here (atomically) instead of ARTIFACTS/ENV/compliance-report.FORMAT.")
@click.option("--stdout", "to_stdout", is_flag=True, help="Print the report on stdout instead of writing a file.")
@pass_ctx
def command(ctx: Ctx, env: Given | None, regions: tuple[str, ...], fmt: str, out: Path | None,
            to_stdout: bool) -> None:
    """Write the compliance report of an environment for auditors.

    For each region and control of the catalogue (controls/catalogue.yaml: CIS EKS, CIS
    AWS Foundations, SOC 2, ISO/IEC 27001:2022, GDPR transfers): met / not met / met with
    exception / not applicable, with evidence (resources, file:line, checks), waivers in
    force, and provenance (git commit, tool versions, sha256 of every plan and scan input).
    Reads the artifacts of `infra plan` and `infra scan`; sensitive values never appear.

    \b
    Examples:
      infra report --env prod
      infra report --env prod --format md --out compliance.md
      infra report --env prod --format json --stdout | jq .summary
    """
    env_name = ctx.env(env)
    if regions:
        pick_regions(ctx, env_name, regions, False)
    report = build_report(ctx.root, ctx.artifacts, env_name, regions=list(regions) or None)
    kind = cast(Format, fmt)
    if to_stdout or (ctx.json_out and fmt == "json" and out is None):
        click.echo(render(report, kind), nl=False)
        return
    path = write_report(report, kind, out or report_path(ctx.artifacts, env_name, fmt))
    ctx.console.print(f"[green]wrote[/] {path}", highlight=False)
