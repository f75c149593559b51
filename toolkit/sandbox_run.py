"""Any Terraform directory against the sandbox provider: `infra sandbox terraform` and `infra sandbox env`.

The sandbox is installed through a filesystem mirror and a CLI config file in the user cache
(``~/.cache/infra``), so the same environment works for the embedded Terraform, a user's own
``terraform`` binary and OpenTofu (both provider addresses are served). State stays local to
the directory, as with any Terraform run without a backend.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from pathlib import Path

from toolkit.adapters.terraform.results import error_summary
from toolkit.adapters.terraform.runner import Terraform, resolve_engine
from toolkit.errors import UserError
from toolkit.paths import Given
from toolkit.plan.mode import sandbox_install


def export_lines(provider_schema: Given | None = None) -> list[str]:
    """``export NAME=value`` lines that point any terraform/tofu at the sandbox provider."""
    env = sandbox_install(provider_schema).env()
    return [f"export {name}={shlex.quote(value)}" for name, value in sorted(env.items())]


def split_chdir(args: Sequence[str]) -> tuple[Path, list[str]]:
    """Terraform's global ``-chdir=DIR`` (before the subcommand) and the remaining arguments."""
    rest = list(args)
    workdir = Path.cwd()
    if rest and rest[0].startswith("-chdir="):
        workdir = Path(rest.pop(0).split("=", 1)[1]).expanduser()
    if not workdir.is_dir():
        raise UserError(f"{workdir}: -chdir is not a directory")
    if not rest:
        raise UserError("name a terraform command, e.g. infra sandbox terraform -chdir=DIR init")
    return workdir.resolve(), rest


def run_terraform(args: Sequence[str], *, terraform: Given | None = None, provider_schema: Given | None = None,
                  out: Callable[[str], None]) -> int:
    """Run ``terraform ARGS`` with the sandbox provider installed; returns Terraform's exit code."""
    workdir, rest = split_chdir(args)
    inst = sandbox_install(provider_schema)
    tf = Terraform(workdir, engine=resolve_engine(terraform), env=inst.env(), log=out)
    result = tf.run(rest, check=False)
    if result.returncode != 0:
        summary = error_summary(result.stderr + "\n" + result.stdout)
        if summary.startswith("provider "):
            raise UserError(f"terraform {rest[0]}: {summary}")
    return result.returncode
