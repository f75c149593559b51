"""Every reusable option and argument of the ``infra`` commands, in one place.

Options backed by an environment variable (``envvar=``, shown in ``--help``) hand the core a
:class:`toolkit.paths.Given` that names where the value came from (``--env`` or ``INFRA_ENV``),
so the core never reads those variables itself and its messages can name the source.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from toolkit.paths import Given, find_root

F = TypeVar("F", bound=Callable[..., Any])
SEVERITY_CHOICES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"]


def given(param_name: str, flag: str) -> Callable[[click.Context, click.Parameter, Any], Given | None]:
    """A callback that turns an option's value into a Given naming its flag or variable."""

    def convert(ctx: click.Context, param: click.Parameter, value: Any) -> Given | None:
        if value is None or value == "":
            return None
        source = flag
        if ctx.get_parameter_source(param_name) == click.core.ParameterSource.ENVIRONMENT and param.envvar:
            source = str(param.envvar if isinstance(param.envvar, str) else param.envvar[0])
        return Given(str(value), source)

    return convert


def _catalog_names(kind: str) -> list[str]:
    try:
        from toolkit.settings import Project

        project = Project(find_root())
        return sorted(project.catalog.regions) if kind == "region" else project.environment_names()
    except Exception:  # completion must never crash the shell
        return []


def complete_region(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    return [r for r in _catalog_names("region") if r.startswith(incomplete)]


def complete_env(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    return [e for e in _catalog_names("env") if e.startswith(incomplete)]


def duration(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not re.fullmatch(r"([0-9]+(ms|s|m|h))+", value):
        raise click.BadParameter(f"{value!r} is not a duration such as 0s, 30s, 5m or 1h")
    return value


env_option = click.option(
    "--env", "env", envvar="INFRA_ENV", show_envvar=True, default=None, shell_complete=complete_env,
    callback=given("env", "--env"),
    help="Environment (a directory under environments/). Defaults to $INFRA_ENV, then to "
         "default_environment in environments/defaults.yaml.",
)
json_option = click.option("--json", "json_flag", is_flag=True, help="Machine-readable JSON on stdout.")
region_argument = click.argument("region", shell_complete=complete_region)
regions_argument = click.argument("regions", nargs=-1, shell_complete=complete_region)
all_option = click.option("--all", "all_regions", is_flag=True, help="Every region of the environment.")
terraform_option = click.option(
    "--terraform", "terraform", envvar="INFRA_TERRAFORM", show_envvar=True, metavar="PATH",
    callback=given("terraform", "--terraform"),
    help="Use this terraform or tofu binary instead of the embedded Terraform.")
schema_option = click.option(
    "--provider-schema", "provider_schema", envvar="INFRA_PROVIDER_SCHEMA", show_envvar=True, metavar="PATH",
    callback=given("provider_schema", "--provider-schema"),
    help="AWS provider schema (terraform providers schema -json) served by the sandbox provider. "
         "Default: the user cache (infra providers schema), else the copy bundled with the toolkit.")
mode_option = click.option(
    "--sandbox/--cloud", "sandbox", default=None,
    help="Force the offline sandbox provider, or the real provider with AWS credentials. "
         "Default: sandbox when no AWS credentials are found.")
lock_timeout_option = click.option(
    "--lock-timeout", default="0s", show_default=True, metavar="DURATION", callback=duration,
    help="How long to wait for a held state lock (e.g. 30s, 5m).")
fail_on_option = click.option(
    "--fail-on", type=click.Choice(SEVERITY_CHOICES, case_sensitive=False), default="HIGH", show_default=True,
    help="Fail on unwaived findings at or above this severity.")
artifacts_dir_option = click.option(
    "--artifacts", "local_artifacts", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Artifacts to read (e.g. downloaded from CI matrix jobs); default: the global --artifacts.")
base_option = click.option(
    "--base", "base", metavar="REF", default=None,
    help="Sandbox: plan against the sandbox state of git REF (e.g. origin/main, a SHA), built once and cached.")
