"""infra scan"""

from __future__ import annotations

import click

from toolkit.cli.context import Ctx, pass_ctx, pick_regions
from toolkit.cli.options import (
    SEVERITY_CHOICES,
    all_option,
    env_option,
    json_option,
    lock_timeout_option,
    regions_argument,
)
from toolkit.paths import Given
from toolkit.plan.run import run_scan


@click.command("scan")
@regions_argument
@all_option
@env_option
@click.option("--default-severity", type=click.Choice(SEVERITY_CHOICES), default=None,
              help="Severity of checks missing from policy/severity.yaml (default: the map's own).")
@lock_timeout_option
@json_option
@pass_ctx
def command(ctx: Ctx, regions: tuple[str, ...], all_regions: bool, env: Given | None,
            default_severity: str | None, lock_timeout: str, json_flag: bool) -> None:
    """Scan modules, the root stack, and each region's plan and manifests with checkov.

    checkov runs offline (--skip-download), once for all regions, with our own policies
    (policy/checks/) and severities from policy/severity.yaml; unchanged inputs are not
    scanned twice (content-hash cache). Waivers from policy/waivers.yaml apply to plan
    findings and to resources inside modules. Writes ARTIFACTS/ENV/REGION/findings.json.
    Needs `infra plan` first. Takes the region locks that `infra plan` takes: a region that
    another run holds fails at once naming it (--lock-timeout waits).

    \b
    Examples:
      infra scan us-east
      infra scan --all --env prod --json
    """
    env_name = ctx.env(env)
    picked = pick_regions(ctx, env_name, regions, all_regions)
    use_json = ctx.use_json(json_flag)
    results = run_scan(ctx.root, ctx.artifacts, env_name, picked, lock_timeout=lock_timeout,
                       default_severity=default_severity, log=None if use_json else ctx.log)
    if use_json:
        ctx.emit_json({region: {"failed": len(r.failed), "waived": len(r.waived), "passed": len(r.passed),
                                "skipped": len(r.skipped), "cache_hit": r.cache_hit, "findings": str(r.path)}
                       for region, r in results.items()})
