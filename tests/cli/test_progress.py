"""The live progress of `infra plan`: timers move while a region works and stop when it is done."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from toolkit.cli import output
from toolkit.cli.context import Ctx
from toolkit.cli.output import RegionProgress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _rows(progress: RegionProgress) -> dict[str, tuple[str, str]]:
    console = Console(file=io.StringIO(), width=120, color_system=None)
    console.print(progress._table())
    text = console.file.getvalue()  # type: ignore[attr-defined]
    rows = {}
    for line in text.splitlines():
        parts = line.split()
        if parts:
            rows[" ".join(parts[:-2])] = (parts[-2], parts[-1])
    return rows


def test_timers_count_while_working_and_stop_when_done(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setattr(output.time, "monotonic", clock)
    progress = RegionProgress(Ctx(console=Console(file=io.StringIO())), "prod", ["us-east", "eu-west"], enabled=True)
    progress("us-east", "init")
    clock.now += 5
    progress("eu-west", "plan")
    clock.now += 7
    assert _rows(progress)["prod/us-east"] == ("init", "12s")  # still counting during a long step
    progress("us-east", "done")
    clock.now += 30
    progress("policy scan", "scanning")
    clock.now += 4
    rows = _rows(progress)
    assert rows["prod/us-east"] == ("done", "12s")  # frozen at its end
    assert rows["prod/eu-west"] == ("plan", "41s")
    assert rows["policy scan"] == ("scanning", "4s")  # the scan has its own moving line


def test_without_a_terminal_only_outcomes_are_logged() -> None:
    sink = io.StringIO()
    ctx = Ctx(console=Console(file=sink, force_terminal=False))
    with RegionProgress(ctx, "staging", ["us-east"], enabled=True) as progress:
        progress("us-east", "plan")
        progress("us-east", "done")
        progress("policy scan", "scanning")
        progress("policy scan", "failed")
    assert sink.getvalue().splitlines() == ["staging/us-east: done", "policy scan: failed"]


def test_the_live_display_rebuilds_its_table_at_each_refresh() -> None:
    sink = io.StringIO()
    ctx = Ctx(console=Console(file=sink, force_terminal=True, width=80))
    with RegionProgress(ctx, "staging", ["us-east"], enabled=True) as progress:
        assert progress.live is not None
        assert progress.live.get_renderable().__class__.__name__ == "Table"
        progress("us-east", "done")
    assert "staging/us-east" in sink.getvalue()
