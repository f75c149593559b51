"""infra sandbox env | terraform"""

from __future__ import annotations

import click

from toolkit.cli.context import Ctx, pass_ctx
from toolkit.cli.options import schema_option, terraform_option
from toolkit.paths import Given
from toolkit.sandbox_run import export_lines, run_terraform


@click.group("sandbox")
def group() -> None:
    """Use the offline sandbox provider on any Terraform directory."""


@group.command("env")
@schema_option
@pass_ctx
def env(ctx: Ctx, provider_schema: Given | None) -> None:
    """Print the export lines that make your own terraform (or tofu) use the sandbox provider.

    \b
    Examples:
      eval "$(infra sandbox env)" && terraform -chdir=DIR init && terraform -chdir=DIR plan
      eval "$(infra sandbox env)" && tofu -chdir=DIR init
    """
    for line in export_lines(provider_schema):
        click.echo(line)


@group.command("terraform", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False,
                                            "help_option_names": ["--help"]})
@terraform_option
@schema_option
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@pass_ctx
def terraform_cmd(ctx: Ctx, terraform: Given | None, provider_schema: Given | None, args: tuple[str, ...]) -> None:
    """Run the embedded Terraform with the sandbox provider on any directory: terraform ARGS.

    Options of this command come first; everything after is Terraform's. State stays local
    to the directory. Providers other than hashicorp/aws (tls, time, null, random,
    cloudinit...) cannot be downloaded offline: init says so in one line.

    \b
    Examples:
      infra sandbox terraform -chdir=examples/complete init
      infra sandbox terraform -chdir=examples/complete plan -out=p
      infra sandbox terraform -chdir=examples/complete show -json p
    """
    code = run_terraform(args, terraform=terraform, provider_schema=provider_schema,
                         out=lambda line: click.echo(line))
    if code:
        raise click.exceptions.Exit(code)
