"""infra apply"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from toolkit.cli.context import Ctx, pass_ctx
from toolkit.cli.errors import EXIT_USER
from toolkit.cli.options import (
    complete_region,
    env_option,
    lock_timeout_option,
    schema_option,
    terraform_option,
)
from toolkit.errors import UserError
from toolkit.paths import Given
from toolkit.plan.apply import Approval, PreparedApply, apply_in_order, prepare_apply, run_apply


def _interactive() -> bool:
    """A person can answer: stdin and stderr (where the summary goes) are terminals."""
    return sys.stdin.isatty() and sys.stderr.isatty()


def _hex64(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    digest = value.strip().lower().removeprefix("sha256:")
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise click.BadParameter(f"{value!r} is not a sha256 (64 hex characters)")
    return digest


@click.command("apply")
@click.argument("region", required=False, shell_complete=complete_region)
@click.option("--all", "all_regions", is_flag=True,
              help="Every region of the environment, one at a time, in the order printed first "
                   "(alphabetical, as `infra regions --env ENV`); stops at the first failure.")
@env_option
@click.option("--plan", "plan", type=click.Path(path_type=Path, file_okay=False), default=None, metavar="BUNDLE",
              help="A plan bundle directory, or a directory holding ENV/REGION/bundle (a downloaded CI "
                   "artifact). Default: the region's latest bundle, ARTIFACTS/ENV/REGION/bundle.")
@click.option("--approved", "gate_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              metavar="GATE.json", help="The JSON of a passing `infra gate` (gate-ENV.json): the bundle digest "
                                        "must be the one it recorded for the region.")
@click.option("--expect-sha256", "expect_sha256", callback=_hex64, default=None, metavar="DIGEST",
              help="The bundle digest that was reviewed (one region).")
@click.option("--sandbox", is_flag=True,
              help="Apply a sandbox bundle to the region's sandbox state (offline). Sandbox bundles need it; "
                   "cloud bundles refuse it.")
@click.option("--yes", "-y", is_flag=True,
              help="Apply without asking (required without a terminal, e.g. in CI).")
@lock_timeout_option
@terraform_option
@schema_option
@pass_ctx
def command(ctx: Ctx, region: str | None, all_regions: bool, env: Given | None, plan: Path | None,
            gate_file: Path | None, expect_sha256: str | None, sandbox: bool, yes: bool, lock_timeout: str,
            terraform: Given | None, provider_schema: Given | None) -> None:
    """Apply the reviewed plan bundle of REGION (or of every region with --all), and nothing else.

    Refuses, in one line and with exit 1, before Terraform runs: a bundle whose files differ
    from its manifest; a bundle planned for another environment, region or account; a
    sandbox bundle without --sandbox (sandbox plans never reach the cloud) or a cloud bundle
    with it; a bundle digest that is not the approved one (--approved and/or --expect-sha256,
    one is required); a stale plan (the settings render other inputs, terraform/ or modules/
    changed, or HEAD is another commit with another tree). Terraform refuses the rest (a plan
    whose state moved on: "Saved plan is stale"). On a terminal it shows the plan and asks;
    without one it needs --yes.

    \b
    Examples:
      infra plan us-east --env staging --sandbox && infra gate --env staging --region us-east
      infra apply us-east --env staging --sandbox --approved .infra/gate/staging/gate-staging.json
      infra apply --all --env prod --plan bundles/ --approved gate-prod.json --yes
    """
    env_name = ctx.env(env)
    if all_regions == bool(region):
        raise click.UsageError("give one REGION or --all")
    if all_regions and expect_sha256:
        raise click.UsageError("--expect-sha256 names one region's bundle; with --all use --approved GATE.json")
    regions = sorted(ctx.project.environment(env_name).regions) if all_regions else [region or ""]
    if all_regions:
        ctx.log(f"apply order ({env_name}): {', '.join(regions)}")
    approval = Approval(gate_file=gate_file, expect_sha256=expect_sha256)
    prepared: list[PreparedApply] = []
    for name in regions:
        cfg = ctx.project.region(env_name, name)
        try:
            prepared.append(prepare_apply(ctx.project, cfg, ctx.artifacts, plan=plan, approval=approval,
                                          sandbox=sandbox))
        except UserError as exc:
            if all_regions:
                raise UserError(f"stopped at {env_name}/{name}, nothing applied: {exc}") from None
            raise
    for item in prepared:
        for line in item.summary_lines():
            ctx.log(line)
    if not yes:
        if not _interactive():
            raise UserError("no terminal to confirm on: pass --yes to apply "
                            f"{', '.join(p.where for p in prepared)} (nothing applied)")
        try:
            ok = click.confirm(f"Apply {', '.join(p.where for p in prepared)}?", default=False, err=True)
        except click.Abort:
            ok = False
        if not ok:
            ctx.log("not applied: cancelled at the confirmation")
            raise click.exceptions.Exit(EXIT_USER)

    def one(item: PreparedApply) -> None:
        ctx.log(f"applying {item.where} (bundle sha256:{item.digest[:16]}…)")
        run_apply(item, ctx.project, ctx.artifacts, terraform=terraform, provider_schema=provider_schema,
                  lock_timeout=lock_timeout, log=None)
        ctx.console.print(f"[green]applied[/] {item.where}", highlight=False)

    result = apply_in_order(prepared, one)
    if result.failed:
        rest = f"; not applied: {', '.join(result.not_applied)}" if result.not_applied else ""
        done = f"; applied: {', '.join(result.applied)}" if result.applied else ""
        prefix = f"stopped at {result.failed}: " if all_regions else ""
        raise UserError(f"{prefix}{result.error}{done}{rest}")
