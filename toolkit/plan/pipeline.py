"""The per-region plan pipeline and its parallel driver.

Per region: render -> preflight (cloud only) -> stage a work dir -> init (the
region's backend, or local sandbox state) -> plan -out -> show -json -> summary.
Artifacts land in ``ARTIFACTS/ENV/REGION/`` (a 0700 directory; files that hold values are
0600), through :mod:`toolkit.artifacts.io` only: every file is written atomically and no link
is followed. ``status.json`` says how far the region got (with the pid and host of the run)
and, on failure, where and why; ``interrupted`` after Ctrl-C.
The whole region run holds the region lock (:mod:`toolkit.artifacts.lock`).
Regions run in a bounded thread pool; each Terraform run is its own child process, stopped
through the run's :class:`CancelToken`.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from infra_sandbox.world import WORLD_ENV
from toolkit.adapters.terraform.process import Cancelled, CancelToken, popen
from toolkit.artifacts import io
from toolkit.artifacts import layout as files
from toolkit.artifacts.layout import RegionLayout
from toolkit.artifacts.lock import acquire, parse_duration
from toolkit.artifacts.summary import Status, Summary
from toolkit.artifacts.terraform import write_plan_sha256
from toolkit.errors import InfraError, UserError
from toolkit.fsutil import dump_json
from toolkit.paths import Given
from toolkit.plan.bundle import write_bundle
from toolkit.plan.checks import check_plan, endpoint_backend_config, init_fingerprint
from toolkit.plan.mode import Mode, sandbox_banner
from toolkit.plan.summary import markdown, summarise
from toolkit.plan.workdir import stage_workdir
from toolkit.render.inputs import render_region
from toolkit.settings import Project, RegionConfig

Progress = Callable[[str, str], None]  # (region, stage)

# Outputs of a previous run that must not outlive a new one (findings.json judged an older plan).
PLAN_OUTPUTS = files.PLAN_OUTPUTS
# What Terraform's local backend writes for sandbox plans: never through a link, 0600 after.
STATE_FILES = (files.SANDBOX_STATE, f"{files.SANDBOX_STATE}.backup", f".{files.SANDBOX_STATE}.lock.info")
# --base: the copy of REF's state a plan runs against (the user's sandbox.tfstate is never touched).
BASE_FILES = (files.BASE_STATE, f"{files.BASE_STATE}.backup", f".{files.BASE_STATE}.lock.info")


@dataclass
class PlanOptions:
    mode: Mode
    remote_state: bool = False
    terraform: Given | None = None
    lock_timeout: str | None = None  # Terraform's state lock and the region lock of another run
    sandbox_env: dict[str, str] = field(default_factory=dict)
    sandbox_info: dict[str, Any] = field(default_factory=dict)
    install: Any = None  # infra_sandbox.SandboxInstall in sandbox mode
    cancel: CancelToken | None = None  # stops every Terraform child of the run (Ctrl-C)
    # --base REF (sandbox, local state): the region's base state (toolkit.plan.base.BaseBuilder)
    base_builder: Callable[[RegionConfig], Any] | None = None


@contextlib.contextmanager
def _shared_provider(opts: PlanOptions, extra_env: dict[str, str] | None = None) -> Iterator[dict[str, str]]:
    if opts.mode != "sandbox" or opts.install is None:
        yield {}
        return
    from infra_sandbox.reattach import reattached_provider

    token = opts.cancel
    # Its own session (a terminal's Ctrl-C reaches only the toolkit) and ended by the kernel if
    # the toolkit dies; on an interrupt it gets 2 s to stop, not a minute.
    with reattached_provider(opts.install, spawn=popen, extra_env=extra_env,
                             cancelled=(lambda: token.cancelled) if token else None) as env:
        yield env


@dataclass
class RegionResult:
    environment: str
    region: str
    status: Literal["ok", "failed", "interrupted"]
    stage: str
    error: str | None = None
    plan: Summary | None = None
    seconds: float = 0.0

    @property
    def summary(self) -> dict[str, Any] | None:
        """``summary.json`` as JSON (the plan command prints from it)."""
        return self.plan.model_dump(mode="json") if self.plan else None

    @property
    def has_changes(self) -> bool:
        return self.plan is not None and self.plan.has_changes

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"environment": self.environment, "region": self.region, "status": self.status,
                               "stage": self.stage, "error": self.error, "seconds": round(self.seconds, 2)}
        if self.plan:
            out["counts"] = self.plan.counts.model_dump()
            out["protected_changes"] = [c.model_dump() for c in self.plan.protected_changes]
            out["mode"] = self.plan.mode
            out["base"] = self.plan.base.model_dump() if self.plan.base else None
        return out


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


def plan_region(project: Project, cfg: RegionConfig, artifacts: Path, opts: PlanOptions,
                progress: Progress | None = None, *, locked: bool = False) -> RegionResult:
    """Run the whole pipeline for one region; never raises for a region-level failure.

    ``locked``: the caller holds the region lock (:mod:`toolkit.artifacts.lock`) for longer
    (``run_plan`` holds it through the scan); otherwise it is taken here for the pipeline.
    """
    layout = RegionLayout.of(artifacts, cfg.environment, cfg.region)
    started = time.monotonic()
    if locked:
        return _plan_region_locked(project, cfg, layout, started, opts, progress)
    try:
        lock = acquire(layout, command="infra plan", wait=parse_duration(opts.lock_timeout))
    except UserError as exc:  # held by another run, or the directory / .lock is a link
        return RegionResult(cfg.environment, cfg.region, "failed", "lock", str(exc), None, 0.0)
    try:
        return _plan_region_locked(project, cfg, layout, started, opts, progress)
    finally:
        lock.release()


def _plan_region_locked(project: Project, cfg: RegionConfig, layout: RegionLayout, started: float,
                        opts: PlanOptions, progress: Progress | None) -> RegionResult:
    from toolkit.adapters.terraform.runner import Terraform, resolve_engine

    root = layout.artifacts
    out, log_file = layout.root, layout.plan_log
    token = opts.cancel
    stage = "render"
    base: Any = None
    me = {"pid": os.getpid(), "host": socket.gethostname(), "mode": opts.mode}

    def write_status(**fields: Any) -> None:
        io.write_artifact(layout.status, Status(**me, updated_at=_now(), **fields), root=root)

    def step(name: str) -> None:
        nonlocal stage
        stage = name
        if token is not None:
            token.check(f"stage {name}")
        if progress:
            progress(cfg.region, name)
        write_status(status="running", stage=name)

    try:
        io.ensure_dir(out, root=root, mode=io.PRIVATE_DIR)  # 0700: nothing in it is readable meanwhile
        step("render")
        for stale in PLAN_OUTPUTS:
            io.remove(layout / stale, root=root)
        io.write_text(log_file, f"# infra plan {cfg.environment}/{cfg.region} ({opts.mode}) {_now()}\n",
                      mode=io.PRIVATE_FILE, root=root)
        io.check_dir(layout.manifests, root=root)  # render replaces it: refuse a link there first
        rendered = render_region(project, cfg, out)
        io.chmod(layout.tfvars, io.PRIVATE_FILE, root=root)  # the stack's inputs hold values
        if opts.mode == "cloud":
            step("preflight")
            from toolkit.adapters import aws

            aws.run_preflight(**preflight_args(project, cfg))
        step("init")
        stack = stage_workdir(project.root, out, opts.mode)
        env: dict[str, str] = {}
        if opts.mode == "sandbox":
            env.update(opts.sandbox_env)
            env["INFRA_SANDBOX_ACCOUNT_ID"] = cfg.account_id
            env[WORLD_ENV] = str((layout / files.SANDBOX_WORLD).resolve())  # out-of-band changes, read at refresh
        tf = Terraform(stack, engine=resolve_engine(opts.terraform), env=env, log_file=log_file, cancel=token)
        override = stack / "backend_override.tf"
        init_args = ["init", "-no-color", "-input=false", "-reconfigure"]
        if opts.mode == "sandbox" and not opts.remote_state:
            # Terraform writes the local state itself: refuse a link in its place (it would write
            # through it); the 0700 region directory keeps it private until it is made 0600.
            for name in STATE_FILES + BASE_FILES:
                io.check_file(layout / name, root=root)
            state = layout.sandbox_state.resolve()
            if opts.base_builder is not None:
                step("base")
                base = opts.base_builder(cfg)
                state = _copy_base_state(layout, base.state)
                step("init")
            from toolkit.render.inputs import hcl_string

            io.write_text(override, "# sandbox: local state (generated)\nterraform {\n  backend \"local\" {\n"
                                    f"    path = {hcl_string(str(state))}\n  }}\n}}\n", root=root)
        else:
            init_args.append(f"-backend-config={layout.backend.resolve()}")
            extra = endpoint_backend_config(os.environ)
            if extra:
                io.write_text(stack / "backend-endpoints.hcl", extra, root=root)
                init_args.append(f"-backend-config={(stack / 'backend-endpoints.hcl').resolve()}")
        fingerprint = init_fingerprint(project.root, stack, init_args, env)
        marker = stack / ".terraform" / "infra-init.sha256"
        if io.check_file(marker, root=root) and io.read_text(marker, root=root).strip() == fingerprint:
            with open(log_file, "a", encoding="utf-8") as fh:
                fh.write("# init skipped: configuration, modules, backend and provider unchanged since the last init\n")
        else:
            io.remove(marker, root=root)
            tf.run(init_args)
            io.write_text(marker, fingerprint + "\n", root=root)
        step("plan")
        # Terraform writes the plan file (cleartext values) with the default umask: let it
        # write into a private directory, then move it into place as 0600.
        io.ensure_dir(layout.private, root=root, mode=io.PRIVATE_DIR)
        tmp_plan = layout.private / "tfplan.tmp"
        try:
            with _shared_provider(opts, {k: v for k, v in env.items() if k == WORLD_ENV}) as reattach_env:
                # plan and show start the provider several times; in sandbox mode one plugin
                # process (private unix socket) serves them all.
                tf_run = Terraform(stack, engine=tf.engine, env=env | reattach_env, log_file=log_file, cancel=token)
                tf_run.plan(tmp_plan, var_files=[layout.tfvars], lock_timeout=opts.lock_timeout)
                io.move(tmp_plan, layout.tfplan, mode=io.PRIVATE_FILE, root=root)
                step("show")
                plan_json = tf_run.show_json(layout.tfplan)
        finally:
            io.remove(tmp_plan, root=root)
            for name in STATE_FILES + BASE_FILES:
                io.chmod(layout / name, io.PRIVATE_FILE, root=root)
        check_plan(plan_json)
        io.write_text(layout.plan_json, dump_json(plan_json), mode=io.PRIVATE_FILE, root=root)
        digest = io.sha256(layout.tfplan, root=root)
        write_plan_sha256(layout.plan_sha256, digest, root=root)
        step("summary")
        summary = Summary.model_validate({
            **summarise(plan_json), "mode": opts.mode, "environment": cfg.environment, "region": cfg.region,
            "aws_region": cfg.aws_region, "terraform_version": plan_json.get("terraform_version"),
            "provider": (opts.sandbox_info if opts.mode == "sandbox"
                         else {"source": "registry.terraform.io/hashicorp/aws"}),
            "plan_sha256": digest, "generated_at": _now(),
            "inputs_sha256": {p.name: io.sha256(p, root=root) for p in rendered.files if p.parent == out},
            "banner": sandbox_banner(base.info if base else None) if opts.mode == "sandbox" else None,
            "base": base.info if base else None,
        })
        io.write_artifact(layout.summary, summary, root=root)
        io.write_text(layout.summary_md, markdown(summary.model_dump(mode="json")), root=root)
        write_bundle(project, cfg, layout, summary, engine_kind=tf.engine.kind, remote_state=opts.remote_state,
                     state=f"local:{(layout / files.BASE_STATE).resolve()}" if base else None)
        elapsed = time.monotonic() - started
        write_status(status="ok", stage="done", seconds=round(elapsed, 2))
        if progress:
            progress(cfg.region, "done")
        return RegionResult(cfg.environment, cfg.region, "ok", "done", None, summary, elapsed)
    except Exception as exc:  # a region's failure must not take the others down
        interrupted = isinstance(exc, Cancelled)
        if isinstance(exc, (InfraError, OSError)):
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        else:
            import traceback

            with contextlib.suppress(OSError), open(log_file, "a", encoding="utf-8") as fh:
                fh.write("".join(traceback.format_exception(exc)))
            first = str(exc).splitlines()[0] if str(exc) else ""
            message = f"unexpected {type(exc).__name__}: {first} (see {log_file.name})"
        elapsed = time.monotonic() - started
        with contextlib.suppress(OSError, InfraError):  # nothing of a failed plan may pass for a plan
            for stale in PLAN_OUTPUTS:
                io.remove(layout / stale, root=root)
        try:
            write_status(status="interrupted" if interrupted else "failed", stage=stage, error=message,
                         log=log_file.name, seconds=round(elapsed, 2))
        except (OSError, InfraError) as status_exc:  # e.g. status.json itself refused: say both
            message = f"{message}; and status.json could not be written: {status_exc}"
        if progress:
            progress(cfg.region, "interrupted" if interrupted else "failed")
        return RegionResult(cfg.environment, cfg.region, "interrupted" if interrupted else "failed", stage, message,
                            None, elapsed)


def _copy_base_state(layout: RegionLayout, source: Path | None) -> Path:
    """A fresh private copy of REF's base state for this plan (none: REF lacks the region, all create)."""
    target = layout / files.BASE_STATE
    for name in BASE_FILES:
        io.remove(layout / name, root=layout.artifacts)
    if source is not None:
        io.write_bytes(target, source.read_bytes(), mode=io.PRIVATE_FILE, root=layout.artifacts)
    return target.resolve()


def preflight_args(project: Project, cfg: RegionConfig) -> dict[str, Any]:
    """Arguments of :func:`toolkit.adapters.aws.run_preflight` for one region."""
    pools = cfg.settings.karpenter.pools
    return {
        "environment": cfg.environment, "region_key": cfg.region, "aws_region": cfg.aws_region,
        "account_id": cfg.account_id,
        # Settings validation already placed the region in one of the environment's zones;
        # preflight re-checks that zone against the AWS region's geography.
        "residency_zone": cfg.zone, "region_zone": project.catalog.regions[cfg.region].zone,
        "gpu_pools": {name: list(pool.instance_families) for name, pool in sorted(pools.items()) if pool.gpu},
        "bucket": cfg.state_bucket,
    }


def plan_regions(project: Project, env: str, regions: list[str], artifacts: Path, opts: PlanOptions, *,
                 parallelism: int, progress: Progress | None = None,
                 locked: Collection[str] = ()) -> list[RegionResult]:
    """Plan several regions in a bounded pool; one region's failure does not stop the others.

    ``locked``: regions whose lock the caller holds. Ctrl-C (KeyboardInterrupt in the main
    thread): queued regions never start, running Terraform children get Terraform's own
    interrupt (then SIGTERM, SIGKILL; :class:`CancelToken`), every region's status.json says
    ``interrupted``, and KeyboardInterrupt is raised again once the workers are done.
    """
    configs = [project.region(env, r) for r in regions]  # settings errors stop everything, before any work
    token = opts.cancel = opts.cancel or CancelToken(grace_seconds=5.0)
    lock = threading.Lock()
    results: dict[str, RegionResult] = {}

    def one(cfg: RegionConfig) -> None:
        if token.cancelled:
            return
        res = plan_region(project, cfg, artifacts, opts, progress, locked=cfg.region in locked)
        with lock:
            results[cfg.region] = res

    pool = ThreadPoolExecutor(max_workers=min(parallelism, len(configs)), thread_name_prefix="plan")
    try:
        futures = [pool.submit(one, c) for c in configs]
        for f in futures:
            f.result()
    except KeyboardInterrupt:
        _stop(pool, token)
        for cfg in configs:  # queued regions that never started: their old artifacts are not this run's
            if cfg.region not in results and cfg.region in locked:
                layout = RegionLayout.of(artifacts, env, cfg.region)
                with contextlib.suppress(OSError, InfraError):
                    io.write_artifact(layout.status, Status(
                        status="interrupted", stage="queued", error="interrupted before this region started",
                        mode=opts.mode, updated_at=_now(), pid=os.getpid(), host=socket.gethostname()),
                        root=layout.artifacts)
                if progress:
                    progress(cfg.region, "interrupted")
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [results[r] for r in regions]


def _stop(pool: ThreadPoolExecutor, token: CancelToken) -> None:
    """Cancel queued work, interrupt running children and wait for the workers (a second Ctrl-C is ignored)."""
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        pool.shutdown(wait=False, cancel_futures=True)
        token.cancel()
        pool.shutdown(wait=True)
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)


def table_rows(results: list[RegionResult]) -> list[list[str]]:
    rows = []
    for r in results:
        if r.plan:
            c = r.plan.counts
            rows.append([f"{r.environment}/{r.region}", r.plan.mode, "ok", str(c.add), str(c.change),
                         str(c.destroy), str(c.replace), str(len(r.plan.protected_changes)),
                         f"{r.seconds:.1f}s"])
        else:
            rows.append([f"{r.environment}/{r.region}", "", f"{r.status} at {r.stage}", "", "", "", "", "",
                         f"{r.seconds:.1f}s"])
    return rows
