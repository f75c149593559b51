"""infra doctor, infra providers schema"""

from __future__ import annotations

import click

from toolkit.cli.context import Ctx, pass_ctx
from toolkit.cli.options import json_option, schema_option, terraform_option
from toolkit.cli.output import print_key_values
from toolkit.doctor import diagnose, fetch_provider_schema
from toolkit.errors import UserError
from toolkit.paths import Given


@click.command("doctor")
@terraform_option
@schema_option
@json_option
@pass_ctx
def command(ctx: Ctx, terraform: Given | None, provider_schema: Given | None, json_flag: bool) -> None:
    """Report the Terraform engine, versions, provider schema, credentials and cache.

    Exit 1 when something plans need is missing or broken (engine, checkov, schema).

    \b
    Example:
      infra doctor
    """
    report = diagnose(ctx.root if ctx.has_project() else None, terraform, provider_schema)
    problems = report.pop("problems")
    if ctx.use_json(json_flag):
        ctx.emit_json(report | {"ok": not problems, "problems": problems})
    else:
        print_key_values(ctx, report)
    if problems:
        raise UserError(f"doctor: {len(problems)} problem(s): {'; '.join(problems)}")


@click.group("providers")
def providers_group() -> None:
    """Provider schema management for the sandbox."""


@providers_group.command("schema")
@click.option("--version", "version", default="6.47.0", show_default=True, help="hashicorp/aws version.")
@click.option("--force", is_flag=True, help="Download again even when the schema is cached.")
@terraform_option
@pass_ctx
def providers_schema(ctx: Ctx, version: str, force: bool, terraform: Given | None) -> None:
    """Download the real hashicorp/aws provider and cache its schema for the sandbox.

    Needs registry access: run it once on a networked machine, then copy the cache
    file (or point INFRA_PROVIDER_SCHEMA at it) where plans run offline. Without it
    the sandbox serves the copy bundled with the toolkit (6.47.0).

    \b
    Example:
      infra providers schema --version 6.47.0
    """
    path = fetch_provider_schema(version, terraform, log=ctx.log, force=force)
    ctx.console.print(f"[green]wrote[/] {path}")
