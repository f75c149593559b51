"""The per-invocation context every command receives, and region selection."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from toolkit.paths import Given, artifacts_dir, find_root
from toolkit.settings import Project


@dataclass
class Ctx:
    project_opt: Given | None = None
    artifacts_opt: Given | None = None
    json_out: bool = False
    color: str = "auto"
    console: Console = field(default_factory=lambda: Console(stderr=True, soft_wrap=True))
    _project: Project | None = None
    _root: Path | None = None

    @property
    def root(self) -> Path:
        if self._root is None:
            self._root = find_root(self.project_opt)
        return self._root

    @property
    def project(self) -> Project:
        if self._project is None:
            self._project = Project(self.root)
        return self._project

    @property
    def artifacts(self) -> Path:
        return artifacts_dir(self.root, self.artifacts_opt)

    def has_project(self) -> bool:
        from toolkit.errors import UserError

        try:
            return self.root.is_dir()
        except UserError:
            return False

    def env(self, given: Given | None) -> str:
        """The environment: ``--env`` / ``INFRA_ENV``, else the project's default."""
        return self.project.default_environment(given)

    def use_json(self, flag: bool = False) -> bool:
        return flag or self.json_out

    def emit_json(self, data: Any) -> None:
        click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))

    def log(self, message: str) -> None:
        """One plain line on stderr (no markup, no highlighting)."""
        self.console.print(message, markup=False, highlight=False)


pass_ctx = click.make_pass_decorator(Ctx, ensure=True)


def pick_regions(ctx: Ctx, env: str, regions: tuple[str, ...], all_regions: bool) -> list[str]:
    """REGION arguments or --all (never both, never neither), each checked against the environment."""
    known = sorted(ctx.project.environment(env).regions)
    if all_regions:
        if regions:
            raise click.UsageError("give REGION arguments or --all, not both")
        return known
    if not regions:
        raise click.UsageError(f"name at least one REGION or use --all (environment {env!r} has: {', '.join(known)})")
    for r in regions:
        ctx.project.region(env, r)  # validates the name with a helpful error
    return list(dict.fromkeys(regions))
