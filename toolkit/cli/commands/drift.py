"""infra drift"""

from __future__ import annotations

import os
from pathlib import Path

import click
from rich.table import Table

from toolkit.cli.context import Ctx, pass_ctx, pick_regions
from toolkit.cli.options import (
    all_option,
    env_option,
    json_option,
    lock_timeout_option,
    mode_option,
    regions_argument,
    schema_option,
    terraform_option,
)
from toolkit.cli.output import RegionProgress
from toolkit.drift.report import STATUS_TEXT, DriftReport, exit_code, markdown
from toolkit.drift.run import collect, run_drift
from toolkit.fsutil import atomic_write_text
from toolkit.paths import Given
from toolkit.plan.run import decide_mode

SYMBOL = {"update": "~", "delete": "-"}


def _table(reports: list[DriftReport]) -> Table:
    table = Table(title="infra drift", title_justify="left")
    for col in ("region", "mode", "status", "drifted", "resources"):
        table.add_column(col, no_wrap=True)
    for r in reports:
        table.add_row(r.where, r.mode, STATUS_TEXT[r.status].split(" ", 1)[1], str(len(r.drifted)),
                      "" if r.status == "error" else str(r.resources))
    return table


def _lines(report: DriftReport) -> list[str]:
    """One line per drifted resource (readable at any width), or the region's error."""
    if report.error:
        return [f"{report.where}: drift check failed: {report.error}"]
    out = []
    for d in report.drifted:
        sensitive = set(d.sensitive_attributes)
        names = ", ".join(a + (" (sensitive)" if a in sensitive else "") for a in d.attributes)
        what = "gone out of band" if d.action == "delete" else names or d.action
        out.append(f"{report.where}: {SYMBOL.get(d.action, d.action)} {d.address}: {what}")
    return out


@click.command("drift")
@regions_argument
@all_option
@env_option
@mode_option
@click.option("--parallelism", type=click.IntRange(1, 64), default=lambda: os.cpu_count() or 2,
              show_default="number of cores", help="Regions checked at the same time.")
@click.option("--markdown", "markdown_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE", help="Also write one Markdown report of every region (an issue body) to FILE.")
@click.option("--collect", "collect_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              default=None, metavar="DIR",
              help="Run nothing: read DIR/ENV/REGION/drift.json (downloaded CI artifacts) and report them.")
@lock_timeout_option
@terraform_option
@schema_option
@json_option
@pass_ctx
def command(ctx: Ctx, regions: tuple[str, ...], all_regions: bool, env: Given | None, sandbox: bool | None,
            parallelism: int, markdown_file: Path | None, collect_dir: Path | None, lock_timeout: str,
            terraform: Given | None, provider_schema: Given | None, json_flag: bool) -> None:
    """Detect drift: a refresh-only plan per REGION (or --all), in parallel, against its real state.

    Reports each drifted resource (address, action, names of the changed attributes; never a
    value, and sensitive attributes only by name) as a console table, as JSON (--json, and
    ARTIFACTS/ENV/REGION/drift.json) and as Markdown (drift.md per region; --markdown FILE for
    one report of every region, e.g. an issue body).

    Cloud mode reads the region's S3 state with your credentials. Sandbox mode reads the
    region's sandbox state (written by `infra apply --sandbox`) and its world file
    ARTIFACTS/ENV/REGION/sandbox-world.json (out-of-band changes, see infra_sandbox/world.py).
    A region that was never applied (no state) is an error, not "no drift".

    Exit codes, always (as `terraform plan -detailed-exitcode`, with no flag needed: a drift
    check that exits 0 on drift would hide it from CI): 0 no drift, 2 drift, 1 error (any
    region that could not be checked; it wins over drift).

    \b
    Examples:
      infra drift us-east --env staging --sandbox
      infra drift --all --env prod --json
      infra drift --collect downloaded/ --markdown drift-report.md
    """
    if collect_dir is not None:
        if regions or all_regions:
            raise click.UsageError("--collect reads reports; give no REGION and no --all")
        reports = collect(collect_dir, ctx.env(env) if env else None)
    else:
        env_name = ctx.env(env)
        picked = pick_regions(ctx, env_name, regions, all_regions)
        mode, why = decide_mode(sandbox, False)
        use_json = ctx.use_json(json_flag)
        if mode == "sandbox" and not use_json:
            ctx.console.print(f"[bold yellow]sandbox mode[/] ({why}): drift of each region's sandbox state, with "
                              "the out-of-band changes of its sandbox-world.json", highlight=False)
        progress = RegionProgress(ctx, env_name, picked, enabled=not use_json)
        with progress:
            reports = run_drift(ctx.project, env_name, picked, ctx.artifacts, mode=mode, terraform=terraform,
                                provider_schema=provider_schema, lock_timeout=lock_timeout,
                                parallelism=parallelism, progress=progress)
    if markdown_file is not None:
        atomic_write_text(markdown_file, markdown(reports))
    if ctx.use_json(json_flag):
        ctx.emit_json({"exit_code": exit_code(reports), "regions": [r.model_dump(mode="json") for r in reports]})
    else:
        ctx.console.print(_table(reports))
        for r in reports:
            for line in _lines(r):
                ctx.log(line)
    code = exit_code(reports)
    if code:
        raise click.exceptions.Exit(code)
