"""infra plan"""

from __future__ import annotations

import os
import re

import click

from toolkit.cli.context import Ctx, pass_ctx, pick_regions
from toolkit.cli.errors import EXIT_USER
from toolkit.cli.options import (
    all_option,
    base_option,
    env_option,
    json_option,
    lock_timeout_option,
    mode_option,
    regions_argument,
    schema_option,
    terraform_option,
)
from toolkit.cli.output import RegionProgress, plan_table
from toolkit.paths import Given
from toolkit.plan.mode import sandbox_banner
from toolkit.plan.pipeline import table_rows
from toolkit.plan.run import decide_mode, resolve_base, run_plan
from toolkit.plan.summary import plan_line

STATE_LOCK_ID = re.compile(r"state lock \(ID=([^,)\s]+)")


@click.command("plan")
@regions_argument
@all_option
@env_option
@mode_option
@click.option("--remote-state", is_flag=True,
              help="Sandbox runs use the region's S3 backend (as in backend.hcl) instead of local state.")
@click.option("--parallelism", type=click.IntRange(1, 64), default=lambda: os.cpu_count() or 2,
              show_default="number of cores", help="Regions planned at the same time.")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when any region has changes and none failed (as terraform plan -detailed-exitcode).")
@base_option
@lock_timeout_option
@click.option("--scan/--no-scan", default=True, show_default=True,
              help="Run the policy scan over the plans (one checkov run for all regions).")
@terraform_option
@schema_option
@json_option
@pass_ctx
def command(ctx: Ctx, regions: tuple[str, ...], all_regions: bool, env: Given | None, sandbox: bool | None,
            remote_state: bool, parallelism: int, detailed_exitcode: bool, base: str | None, lock_timeout: str,
            scan: bool,
            terraform: Given | None, provider_schema: Given | None, json_flag: bool) -> None:
    """Plan REGION(s) of an environment: render, init, plan, show, summary, scan.

    Artifacts go to ARTIFACTS/ENV/REGION/: tfplan, plan.json, plan.sha256, summary.json,
    summary.md, findings.json, plan.log and status.json (where and why a region failed).
    Several regions run in parallel; one region's failure does not hide the others.
    Exit code: 1 if any region failed; with --detailed-exitcode, 2 if there are changes.

    Without AWS credentials the plan runs in sandbox mode: the toolkit's offline provider
    serves the real hashicorp/aws schema, state is local unless --remote-state.
    With --base REF (sandbox only) each region is planned against the sandbox state of git
    REF (REF's settings planned and applied by the sandbox, cached by REF's tree), so the
    summary shows what this checkout adds, updates, replaces and destroys relative to REF.

    \b
    Examples:
      infra plan us-east
      infra plan --all --env prod --parallelism 4
      infra plan eu-central --env staging --sandbox --remote-state
      infra plan --all --env prod --json --detailed-exitcode
      infra plan --all --env prod --sandbox --base origin/main
    """
    env_name = ctx.env(env)
    picked = pick_regions(ctx, env_name, regions, all_regions)
    mode, why = decide_mode(sandbox, remote_state, base)
    base_ref = resolve_base(ctx.project.root, base)
    use_json = ctx.use_json(json_flag)
    progress = RegionProgress(ctx, env_name, picked, enabled=not use_json)

    def start() -> None:
        if mode == "sandbox":
            info = ({"ref": base_ref.ref, "commit": base_ref.commit, "tree": base_ref.tree} if base_ref else None)
            ctx.console.print(f"[bold yellow]sandbox mode[/] ({why}). {sandbox_banner(info)}", highlight=False)
        progress.__enter__()

    try:
        run = run_plan(ctx.project, env_name, picked, ctx.artifacts, mode=mode, remote_state=remote_state,
                       terraform=terraform, provider_schema=provider_schema, lock_timeout=lock_timeout,
                       parallelism=parallelism, scan=scan, progress=progress,
                       log=None if use_json else ctx.log, on_start=start, base=base_ref, all_regions=all_regions)
    finally:
        progress.__exit__(None, None, None)
    only_note = [f"{env_name}/{r} exists only in {base}: not planned (removing a region's settings never "
                 "plans a destroy; destroy its stack before removing them)" for r in run.only_in_base]
    if use_json:
        ctx.emit_json({"environment": env_name, "mode": mode, "regions": [r.as_dict() for r in run.results],
                       "scan": run.scan.as_dict() if run.scan else None,
                       "base": {"ref": base_ref.ref, "commit": base_ref.commit, "tree": base_ref.tree,
                                "only_in_base": run.only_in_base} if base_ref else None})
    else:
        ctx.console.print(plan_table(f"infra plan: {env_name} ({mode})", table_rows(run.results)))
        for r in run.results:
            if r.summary:
                ctx.log(f"{r.environment}/{r.region}: {plan_line(r.summary['counts'])}")
                for c in r.summary["protected_changes"]:
                    ctx.console.print(f"  [bold red]protected {c['action']}[/]: {c['address']}")
            else:
                ctx.console.print(f"[red]{r.environment}/{r.region} failed at {r.stage}[/]: {r.error}",
                                  highlight=False)
                held = STATE_LOCK_ID.search(r.error or "")
                if held:  # a remote-state lock left behind (a killed run, AWS gone mid-run)
                    ctx.log(f"  if the run holding that state lock is gone: "
                            f"infra unlock {r.region} --env {r.environment} {held.group(1)}")
        if run.scan:
            ctx.log(run.scan.message)
        for line in only_note:
            ctx.console.print(f"[bold yellow]note[/]: {line}", highlight=False)
    if run.failed or (run.scan and run.scan.error):
        raise click.exceptions.Exit(EXIT_USER)
    if detailed_exitcode and run.has_changes:
        raise click.exceptions.Exit(2)
