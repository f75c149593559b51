"""What the commands show a person: consoles, live progress per region, tables.

Data (JSON) goes to stdout through :meth:`Ctx.emit_json`; everything here writes to stderr.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from toolkit.cli.context import Ctx


def make_console(color: str) -> Console:
    return Console(stderr=True, no_color=color == "never", force_terminal=True if color == "always" else None,
                   highlight=False, soft_wrap=True)


class RegionProgress:
    """A live line per region on stderr (rich), or plain log lines when not a terminal."""

    def __init__(self, ctx: Ctx, env: str, regions: list[str], enabled: bool) -> None:
        self.ctx, self.env, self.regions = ctx, env, regions
        self.state = {r: "queued" for r in regions}
        self.started = {r: time.monotonic() for r in regions}
        self.lock = threading.Lock()
        self.live: Live | None = None
        self.enabled = enabled

    def _table(self) -> Table:
        table = Table.grid(padding=(0, 2))
        for region in self.regions:
            stage = self.state[region]
            style = {"done": "green", "failed": "red", "queued": "dim"}.get(stage, "yellow")
            table.add_row(f"{self.env}/{region}", f"[{style}]{stage}[/]",
                          f"{time.monotonic() - self.started[region]:.0f}s")
        return table

    def __enter__(self) -> RegionProgress:
        if self.enabled and self.ctx.console.is_terminal:
            self.live = Live(self._table(), console=self.ctx.console, refresh_per_second=4, transient=False)
            self.live.__enter__()
        return self

    def __call__(self, region: str, stage: str) -> None:
        with self.lock:
            if self.state[region] == "queued":
                self.started[region] = time.monotonic()
            self.state[region] = stage
            if self.live is not None:
                self.live.update(self._table())
            elif self.enabled and stage in ("done", "failed"):
                # Not a terminal: no progress, only each region's outcome as a log line.
                self.ctx.log(f"{self.env}/{region}: {stage}")

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.update(self._table())
            self.live.__exit__(None, None, None)


def plan_table(title: str, rows: list[list[str]]) -> Table:
    """The consolidated table of a plan run, with Terraform's symbols: + add, ~ change, - destroy."""
    table = Table(title=title, title_justify="left")
    width = max((len(r[0]) for r in rows), default=6)
    for col in ("region", "mode", "status", "+", "~", "-", "-/+", "protected", "time"):
        table.add_column(col, justify="right" if col in ("+", "~", "-", "-/+", "protected") else "left",
                         no_wrap=col == "region", min_width=width if col == "region" else None)
    for row in rows:
        table.add_row(*row)
    return table


def print_key_values(ctx: Ctx, report: dict[str, Any]) -> None:
    for key, value in report.items():
        if isinstance(value, dict):
            ctx.console.print(f"[bold]{key}[/]")
            for k, v in value.items():
                ctx.log(f"  {k}: {v}")
        else:
            ctx.console.print(f"[bold]{key}[/]: {value}", highlight=False)
