"""A whole ``infra plan`` run: choose the mode, plan every region, then one policy scan.

The command only parses options and prints; this module decides what runs, in which order.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.adapters.terraform.process import CancelToken
from toolkit.artifacts import io
from toolkit.artifacts.layout import RegionLayout
from toolkit.artifacts.lock import parse_duration, region_locks
from toolkit.errors import InfraError, UserError
from toolkit.paths import Given, cache_dir
from toolkit.plan.base import BaseBuilder, BaseRef, only_in_base, resolve_ref
from toolkit.plan.mode import Mode, choose_mode, prepare_sandbox
from toolkit.plan.pipeline import PlanOptions, Progress, RegionResult, plan_regions
from toolkit.plan.workdir import check_stack, check_writable
from toolkit.settings import Project

if TYPE_CHECKING:
    from toolkit.adapters.checkov import CheckovProcess
    from toolkit.scan.run import ScanResult

Log = Callable[[str], None]
SCAN_ROW = "policy scan"  # the progress line of the run's one checkov scan


@dataclass
class ScanNote:
    """What the run's policy scan found (``infra gate`` decides), or why it failed."""

    failed: int = 0
    waived: int = 0
    regions: int = 0
    error: str | None = None

    @property
    def message(self) -> str:
        if self.error:
            return f"policy scan failed: {self.error}"
        return (f"policy scan: {self.failed} unwaived failed and {self.waived} waived checks across "
                f"{self.regions} region(s); `infra gate` decides (findings.json per region)")

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message}
        if self.error:
            out["error"] = self.error
        else:
            out.update(failed=self.failed, waived=self.waived)
        return out


@dataclass
class PlanRun:
    environment: str
    mode: Mode
    results: list[RegionResult]
    scan: ScanNote | None
    base: BaseRef | None = None
    only_in_base: list[str] = field(default_factory=list)  # regions REF has and the working tree does not

    @property
    def failed(self) -> list[RegionResult]:
        return [r for r in self.results if r.status != "ok"]

    @property
    def has_changes(self) -> bool:
        return any(r.has_changes for r in self.results)


def scan_cache() -> Path:
    """Scan results are keyed by content hash, so one cache serves every checkout and artifacts dir."""
    return cache_dir() / "scan"


def decide_mode(sandbox: bool | None, remote_state: bool, base: str | None = None) -> tuple[Mode, str]:
    mode, why = choose_mode(sandbox)
    if mode == "cloud" and remote_state:
        raise UserError("--remote-state only applies to sandbox runs (cloud runs always use the S3 backend)")
    if base is not None and mode == "cloud":
        raise UserError(f"--base {base}: only for sandbox plans; cloud plans ({why}) already diff against the "
                        "real state")
    if base is not None and remote_state:
        raise UserError(f"--base {base}: plans against a local copy of the ref's sandbox state; "
                        "drop --remote-state")
    return mode, why


def resolve_base(root: Path, base: str | None) -> BaseRef | None:
    """``--base REF`` to its commit and tree before anything is written (a bad REF: one line)."""
    return resolve_ref(root, base) if base is not None else None


def run_plan(project: Project, env: str, regions: list[str], artifacts: Path, *, mode: Mode,
             remote_state: bool = False, terraform: Given | None = None, provider_schema: Given | None = None,
             lock_timeout: str | None = None, parallelism: int = 2, scan: bool = True,
             progress: Progress | None = None, log: Log | None = None,
             on_start: Callable[[], None] | None = None, base: BaseRef | None = None,
             all_regions: bool = False) -> PlanRun:
    """Plan ``regions`` then scan them. ``on_start`` runs once the project and artifacts passed their checks.

    Every picked region is locked for the whole run, up front and in sorted order
    (:func:`toolkit.artifacts.lock.region_locks`): the scan is one checkov process over all
    regions after the plans, so a region's run ends with that scan; holding each lock from
    before render until the scan's findings.json is written means no other run can replace a
    plan between this run's plan and its scan, and a conflict is known before any work starts.
    A region another run holds fails at once naming the holder (``lock_timeout`` waits for it,
    as it does for Terraform's state lock); the others go on.

    ``base`` (sandbox, local state): each region is planned against a copy of REF's sandbox state
    (:mod:`toolkit.plan.base`); with ``all_regions``, regions only REF has are listed in
    ``only_in_base`` (never planned, never destroyed).
    """
    from toolkit.adapters.checkov import CheckovProcess

    check_stack(project.root)
    check_writable(artifacts / env)
    for region in regions:
        project.region(env, region)  # settings errors stop everything, before any lock or work
    extra = only_in_base(project.root, base, env, regions) if base and all_regions else []
    layouts = [RegionLayout.of(artifacts, env, r) for r in regions]
    with region_locks(layouts, command="infra plan", wait=parse_duration(lock_timeout), note=log) as locks:
        refused = {r: RegionResult(env, r, "failed", "lock", message) for r, message in locks.failed.items()}
        held = [r for r in regions if r in locks.held]
        if not held:
            return PlanRun(env, mode, [refused[r] for r in regions], None, base, extra)
        for result in refused.values():  # at once, not after the other regions' plans
            if log:
                log(f"{env}/{result.region} not planned: {result.error}")
        opts = PlanOptions(mode=mode, remote_state=remote_state, terraform=terraform, lock_timeout=lock_timeout,
                           cancel=CancelToken(grace_seconds=5.0))
        if mode == "sandbox":
            opts.install, opts.sandbox_env, opts.sandbox_info = prepare_sandbox(provider_schema)
            if base is not None:
                opts.base_builder = BaseBuilder(project.root, base, opts, log=log, progress=progress)
        if on_start:
            on_start()
        if progress:
            for region in refused:
                progress(region, "failed")
        # The run's one checkov process starts now: its import overlaps the plans.
        with CheckovProcess.start(project.root) if scan else contextlib.nullcontext() as checkov:
            planned = plan_regions(project, env, held, artifacts, opts, parallelism=parallelism, progress=progress,
                                   locked=set(held))
            ok_regions = [r.region for r in planned if r.status == "ok"]
            note = None
            if scan and ok_regions:
                if progress:
                    progress(SCAN_ROW, "scanning")
                note = scan_after_plan(project.root, artifacts, env, ok_regions, log, checkov)
                if progress:
                    progress(SCAN_ROW, "failed" if note.error else "done")
    by_region = {r.region: r for r in planned} | refused
    return PlanRun(env, mode, [by_region[r] for r in regions], note, base, extra)


def run_scan(root: Path, artifacts: Path, env: str, regions: Sequence[str], *, lock_timeout: str | None = None,
             default_severity: str | None = None, log: Log | None = None) -> dict[str, ScanResult]:
    """``infra scan``: the same region locks as a plan (a plan cannot replace plan.json mid-scan)."""
    from toolkit.scan.run import scan_regions

    layouts = [RegionLayout.of(artifacts, env, r) for r in regions]
    for layout in layouts:
        if not io.check_dir(layout.root, root=artifacts):
            raise UserError(f"{layout.plan_json}: no plan for {env}/{layout.region}; "
                            f"run `infra plan {layout.region} --env {env}` first")
    with region_locks(layouts, command="infra scan", wait=parse_duration(lock_timeout), note=log, strict=True):
        return scan_regions(root, artifacts, env, regions, default_severity=default_severity,
                            cache_dir=scan_cache(), progress=log)


def scan_after_plan(root: Path, artifacts: Path, env: str, regions: list[str], log: Log | None,
                    checkov: CheckovProcess | None = None) -> ScanNote:
    from toolkit.scan.run import scan_regions

    if log:
        log(f"policy scan: checkov over modules, stack, {len(regions)} plan(s) and manifests...")
    try:
        results = scan_regions(root, artifacts, env, regions, cache_dir=scan_cache(), progress=log, checkov=checkov)
    except InfraError as exc:
        # The plans are done and their artifacts written: report them, then fail on the scan.
        return ScanNote(error=str(exc))
    return ScanNote(failed=sum(len(r.failed) for r in results.values()),
                    waived=sum(len(r.waived) for r in results.values()), regions=len(results))
