"""The ``infra`` command: thin click commands over the core.

Layout: ``options.py`` (every reusable option), ``context.py`` (what each command receives),
``output.py`` (stderr consoles, progress, tables), ``errors.py`` (exit codes, crash log), and
``commands/<verb>.py``, each one parsing its options, calling the core and printing.
Nothing below this package imports click.
"""

from __future__ import annotations

import os
import sys

import click

from toolkit import __version__
from toolkit.cli.commands import COMMANDS
from toolkit.cli.context import Ctx
from toolkit.cli.errors import guarded
from toolkit.cli.options import given
from toolkit.cli.output import make_console
from toolkit.paths import Given


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="infra", message="%(prog)s %(version)s")
@click.option("--project", "project_opt", envvar="INFRA_PROJECT", show_envvar=True, metavar="DIR",
              callback=given("project_opt", "--project"),
              help="Project root (default: the nearest parent directory with environments/).")
@click.option("--artifacts", "artifacts_opt", envvar="INFRA_ARTIFACTS", show_envvar=True, metavar="DIR",
              callback=given("artifacts_opt", "--artifacts"),
              help="Where artifacts go (default: PROJECT/.infra, git-ignored).")
@click.option("--json", "json_out", is_flag=True, help="Machine-readable JSON on stdout (all commands).")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              help="Colour on stderr. NO_COLOR in the environment means never.")
@click.pass_context
def cli(click_ctx: click.Context, project_opt: Given | None, artifacts_opt: Given | None, json_out: bool,
        color: str) -> None:
    """Plan, check and report on GPU-capable EKS clusters across AWS regions.

    Settings live in environments/ (validated YAML); Terraform modules in modules/ and the
    per-region root stack in terraform/. Artifacts of a run go to .infra/ENV/REGION/.

    \b
    Examples:
      infra regions                       # the region catalog
      infra config show us-east --env prod
      infra render us-east                # tfvars, backend.hcl, manifests
      infra plan us-east                  # sandbox plan when there are no AWS credentials
      infra plan --all --env prod --json
    """
    if os.environ.get("NO_COLOR") and color == "auto":
        color = "never"
    click_ctx.obj = Ctx(project_opt=project_opt, artifacts_opt=artifacts_opt, json_out=json_out, color=color,
                        console=make_console(color))


def _set_color(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    obj = ctx.find_object(Ctx)
    if value is None or obj is None:
        return
    obj.color = "never" if os.environ.get("NO_COLOR") and value == "auto" else value
    obj.console = make_console(obj.color)


def _with_color_option(command: click.Command) -> None:
    """``--color`` is accepted after the command too (``infra regions --color always``)."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _with_color_option(sub)
        return
    command.params.append(click.Option(
        ["--color"], type=click.Choice(["auto", "always", "never"]), default=None, expose_value=False,
        callback=_set_color, help="Colour on stderr (as the global --color)."))


for _command in COMMANDS:
    _with_color_option(_command)
    cli.add_command(_command)


def run(argv: list[str] | None = None) -> int:
    """Run ``infra ARGV`` and return its exit code (used by main and by the tests)."""
    # With standalone_mode=False, click returns the code of a click.exceptions.Exit.
    return guarded(lambda: cli.main(args=argv, prog_name="infra", standalone_mode=False))


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point with the toolkit's exit codes."""
    sys.exit(run(argv))


if __name__ == "__main__":
    main()
