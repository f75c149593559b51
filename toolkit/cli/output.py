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


FINAL_STAGES = frozenset({"done", "failed", "interrupted"})


class RegionProgress:
    """A live line per region on stderr (rich), or plain log lines when not a terminal.

    Each line shows the region's stage and its time, which keeps counting while the region
    works (also during a long Terraform step) and stops when it is done. Other steps of the
    run (the policy scan) report under their own name and get their own line.
    """

    def __init__(self, ctx: Ctx, env: str, regions: list[str], enabled: bool) -> None:
        self.ctx, self.env = ctx, env
        self.regions = frozenset(regions)
        self.rows: list[str] = list(regions)
        self.state = {r: "queued" for r in regions}
        self.started: dict[str, float] = {}
        self.finished: dict[str, float] = {}
        self.lock = threading.Lock()
        self.live: Live | None = None
        self.enabled = enabled

    def _elapsed(self, row: str) -> str:
        if row not in self.started:
            return ""
        return f"{self.finished.get(row, time.monotonic()) - self.started[row]:.0f}s"

    def _table(self) -> Table:
        table = Table.grid(padding=(0, 2))
        with self.lock:
            for row in self.rows:
                stage = self.state[row]
                style = {"done": "green", "failed": "red", "interrupted": "red", "queued": "dim"}.get(stage, "yellow")
                label = f"{self.env}/{row}" if row in self.regions else row
                table.add_row(label, f"[{style}]{stage}[/]", self._elapsed(row))
        return table

    def __enter__(self) -> RegionProgress:
        if self.enabled and self.ctx.console.is_terminal:
            # get_renderable: the table is rebuilt at every refresh, so the timers move.
            self.live = Live(get_renderable=self._table, console=self.ctx.console, refresh_per_second=4,
                             transient=False)
            self.live.__enter__()
        return self

    def __call__(self, row: str, stage: str) -> None:
        with self.lock:
            if row not in self.state:
                self.rows.append(row)
                self.state[row] = "queued"
            if row not in self.started or row in self.finished:
                self.started[row] = time.monotonic()
                self.finished.pop(row, None)
            self.state[row] = stage
            if stage in FINAL_STAGES:
                self.finished[row] = time.monotonic()
        if self.live is None and self.enabled and stage in FINAL_STAGES:
            # Not a terminal: no progress, only each region's outcome as a log line.
            self.ctx.log(f"{self.env}/{row}: {stage}" if row in self.regions else f"{row}: {stage}")

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.refresh()
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
