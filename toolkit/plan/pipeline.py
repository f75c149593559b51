"""The per-region plan pipeline and its parallel driver.

Per region: render -> preflight (cloud only) -> stage a work dir -> init (the
region's backend, or local sandbox state) -> plan -out -> show -json -> summary.
Artifacts land in ``ARTIFACTS/ENV/REGION/``; every file is written atomically, and
``status.json`` says how far the region got and, on failure, where and why.
Regions run in a bounded thread pool; each Terraform run is its own child process.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from infra_sandbox.world import WORLD_ENV
from toolkit.artifacts import layout as files
from toolkit.artifacts.io import write_artifact
from toolkit.artifacts.layout import RegionLayout
from toolkit.artifacts.summary import Status, Summary
from toolkit.artifacts.terraform import write_plan_sha256
from toolkit.errors import InfraError
from toolkit.fsutil import atomic_write_text, dump_json, sha256_file
from toolkit.paths import Given
from toolkit.plan.bundle import write_bundle
from toolkit.plan.mode import SANDBOX_BANNER, Mode
from toolkit.plan.summary import markdown, summarise
from toolkit.plan.workdir import stage_workdir
from toolkit.render.inputs import render_region
from toolkit.settings import Project, RegionConfig

Progress = Callable[[str, str], None]  # (region, stage)

# Outputs of a previous run that must not outlive a new one (findings.json judged an older plan).
PLAN_OUTPUTS = files.PLAN_OUTPUTS


@dataclass
class PlanOptions:
    mode: Mode
    remote_state: bool = False
    terraform: Given | None = None
    lock_timeout: str | None = None
    sandbox_env: dict[str, str] = field(default_factory=dict)
    sandbox_info: dict[str, Any] = field(default_factory=dict)
    install: Any = None  # infra_sandbox.SandboxInstall in sandbox mode


@contextlib.contextmanager
def _shared_provider(opts: PlanOptions, extra_env: dict[str, str] | None = None) -> Iterator[dict[str, str]]:
    if opts.mode != "sandbox" or opts.install is None:
        yield {}
        return
    from infra_sandbox.reattach import reattached_provider

    with reattached_provider(opts.install, extra_env=extra_env) as env:
        yield env


@dataclass
class RegionResult:
    environment: str
    region: str
    status: Literal["ok", "failed"]
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
        return out


def _endpoint_backend_config(environ: Any) -> str | None:
    """Extra S3 backend settings when AWS_ENDPOINT_URL(_S3) points elsewhere (LocalStack, moto).

    Terraform reads the endpoint variables itself; path-style addressing is the one
    setting the environment cannot carry, and the endpoints are repeated for the record.
    """
    from toolkit.adapters.aws import backend_endpoint_overrides
    from toolkit.render.inputs import hcl_value

    extra = backend_endpoint_overrides(environ)
    if not extra:
        return None
    lines = ["# endpoint overrides from AWS_ENDPOINT_URL*; generated per run"]
    lines += [f"{key} = {hcl_value(value)}" for key, value in sorted(extra.items())]
    return "\n".join(lines) + "\n"


def _init_fingerprint(root: Path, stack: Path, init_args: list[str], env: dict[str, str]) -> str:
    """What `terraform init` depends on: if none of it changed, the last init still holds.

    The stack's files, every module file (local sources are resolved at init), the
    backend settings and endpoint overrides, the provider installation config and lock.
    """
    import hashlib

    h = hashlib.sha256()
    # The lock file is an output of init; the committed one (cloud mode) counts through root.
    files = sorted(p for p in stack.iterdir() if p.is_file() and p.name != ".terraform.lock.hcl") + sorted(
        p for p in (root / "modules").rglob("*") if p.is_file() and ".terraform" not in p.parts)
    for path in files:
        h.update(str(path.relative_to(stack if path.is_relative_to(stack) else root)).encode())
        h.update(path.read_bytes())
    committed_lock = root / "terraform" / ".terraform.lock.hcl"
    if committed_lock.is_file():
        h.update(committed_lock.read_bytes())
    for arg in init_args:
        h.update(arg.encode())
        if arg.startswith("-backend-config="):
            h.update(Path(arg.split("=", 1)[1]).read_bytes())
    cli_config = env.get("TF_CLI_CONFIG_FILE")
    if cli_config and Path(cli_config).is_file():
        h.update(Path(cli_config).read_bytes())
    for var in sorted(k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")):
        h.update(f"{var}={os.environ[var]}".encode())
    return h.hexdigest()


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


def plan_region(project: Project, cfg: RegionConfig, artifacts: Path, opts: PlanOptions,
                progress: Progress | None = None) -> RegionResult:
    """Run the whole pipeline for one region; never raises for a region-level failure."""
    layout = RegionLayout.of(artifacts, cfg.environment, cfg.region)
    out = layout.root
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    # One run per region directory at a time: a second run would delete the first one's outputs.
    lock_fh = open(layout / files.LOCK, "a+")  # noqa: SIM115 - held for the whole pipeline
    try:
        fcntl.flock(lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock_fh.close()
        message = f"another infra run is using {out}; wait for it or use another --artifacts directory"
        return RegionResult(cfg.environment, cfg.region, "failed", "lock", message, None, 0.0)
    try:
        return _plan_region_locked(project, cfg, layout, started, opts, progress)
    finally:
        lock_fh.close()


def _plan_region_locked(project: Project, cfg: RegionConfig, layout: RegionLayout, started: float,
                        opts: PlanOptions, progress: Progress | None) -> RegionResult:
    from toolkit.adapters.terraform.runner import Terraform, resolve_engine

    out, log_file = layout.root, layout.plan_log
    stage = "render"

    def step(name: str) -> None:
        nonlocal stage
        stage = name
        if progress:
            progress(cfg.region, name)
        write_artifact(layout.status, Status(status="running", stage=name, mode=opts.mode, updated_at=_now()))

    try:
        step("render")
        for stale in PLAN_OUTPUTS:
            (layout / stale).unlink(missing_ok=True)
        log_file.write_text(f"# infra plan {cfg.environment}/{cfg.region} ({opts.mode}) {_now()}\n",
                            encoding="utf-8")
        rendered = render_region(project, cfg, out)
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
        tf = Terraform(stack, engine=resolve_engine(opts.terraform), env=env, log_file=log_file)
        override = stack / "backend_override.tf"
        init_args = ["init", "-no-color", "-input=false", "-reconfigure"]
        if opts.mode == "sandbox" and not opts.remote_state:
            state = (layout / files.SANDBOX_STATE).resolve()
            from toolkit.render.inputs import hcl_string

            atomic_write_text(override, "# sandbox: local state (generated)\nterraform {\n  backend \"local\" {\n"
                                        f"    path = {hcl_string(str(state))}\n  }}\n}}\n")
        else:
            init_args.append(f"-backend-config={layout.backend.resolve()}")
            extra = _endpoint_backend_config(os.environ)
            if extra:
                atomic_write_text(stack / "backend-endpoints.hcl", extra)
                init_args.append(f"-backend-config={(stack / 'backend-endpoints.hcl').resolve()}")
        fingerprint = _init_fingerprint(project.root, stack, init_args, env)
        marker = stack / ".terraform" / "infra-init.sha256"
        if marker.is_file() and marker.read_text(encoding="utf-8").strip() == fingerprint:
            with open(log_file, "a", encoding="utf-8") as fh:
                fh.write("# init skipped: configuration, modules, backend and provider unchanged since the last init\n")
        else:
            marker.unlink(missing_ok=True)
            tf.run(init_args)
            atomic_write_text(marker, fingerprint + "\n")
        step("plan")
        plan_file = layout.tfplan
        # Terraform writes the plan file (cleartext values) with the default umask: let it
        # write into a private directory, then move it into place as 0600.
        private = layout / files.PRIVATE
        private.mkdir(mode=0o700, exist_ok=True)
        private.chmod(0o700)
        tmp_plan = private / "tfplan.tmp"
        try:
            with _shared_provider(opts, {k: v for k, v in env.items() if k == WORLD_ENV}) as reattach_env:
                # plan and show start the provider several times; in sandbox mode one plugin
                # process (private unix socket) serves them all.
                tf_run = Terraform(stack, engine=tf.engine, env=env | reattach_env, log_file=log_file)
                tf_run.plan(tmp_plan, var_files=[layout.tfvars], lock_timeout=opts.lock_timeout)
                os.chmod(tmp_plan, 0o600)
                os.replace(tmp_plan, plan_file)
                step("show")
                plan_json = tf_run.show_json(plan_file)
        finally:
            tmp_plan.unlink(missing_ok=True)
        atomic_write_text(layout.plan_json, dump_json(plan_json), mode=0o600)
        digest = sha256_file(plan_file)
        write_plan_sha256(layout.plan_sha256, digest)
        step("summary")
        summary = Summary.model_validate({
            **summarise(plan_json), "mode": opts.mode, "environment": cfg.environment, "region": cfg.region,
            "aws_region": cfg.aws_region, "terraform_version": plan_json.get("terraform_version"),
            "provider": (opts.sandbox_info if opts.mode == "sandbox"
                         else {"source": "registry.terraform.io/hashicorp/aws"}),
            "plan_sha256": digest, "generated_at": _now(),
            "inputs_sha256": {p.name: sha256_file(p) for p in rendered.files if p.parent == out},
            "banner": SANDBOX_BANNER if opts.mode == "sandbox" else None,
        })
        write_artifact(layout.summary, summary)
        atomic_write_text(layout.summary_md, markdown(summary.model_dump(mode="json")))
        write_bundle(project, cfg, layout, summary, engine_kind=tf.engine.kind, remote_state=opts.remote_state)
        elapsed = time.monotonic() - started
        write_artifact(layout.status, Status(status="ok", stage="done", mode=opts.mode, seconds=round(elapsed, 2),
                                             updated_at=_now()))
        if progress:
            progress(cfg.region, "done")
        return RegionResult(cfg.environment, cfg.region, "ok", "done", None, summary, elapsed)
    except Exception as exc:  # a region's failure must not take the others down
        if isinstance(exc, (InfraError, OSError)):
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        else:
            import traceback

            with open(log_file, "a", encoding="utf-8") as fh:
                fh.write("".join(traceback.format_exception(exc)))
            first = str(exc).splitlines()[0] if str(exc) else ""
            message = f"unexpected {type(exc).__name__}: {first} (see {log_file.name})"
        elapsed = time.monotonic() - started
        write_artifact(layout.status, Status(status="failed", stage=stage, error=message, mode=opts.mode,
                                             log=log_file.name, seconds=round(elapsed, 2), updated_at=_now()))
        if progress:
            progress(cfg.region, "failed")
        return RegionResult(cfg.environment, cfg.region, "failed", stage, message, None, elapsed)


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
                 parallelism: int, progress: Progress | None = None) -> list[RegionResult]:
    """Plan several regions in a bounded pool; one region's failure does not stop the others."""
    configs = [project.region(env, r) for r in regions]  # settings errors stop everything, before any work
    lock = threading.Lock()
    results: dict[str, RegionResult] = {}

    def one(cfg: RegionConfig) -> None:
        res = plan_region(project, cfg, artifacts, opts, progress)
        with lock:
            results[cfg.region] = res

    with ThreadPoolExecutor(max_workers=min(parallelism, len(configs)), thread_name_prefix="plan") as pool:
        for f in [pool.submit(one, c) for c in configs]:
            f.result()
    return [results[r] for r in regions]


def table_rows(results: list[RegionResult]) -> list[list[str]]:
    rows = []
    for r in results:
        if r.plan:
            c = r.plan.counts
            rows.append([f"{r.environment}/{r.region}", r.plan.mode, "ok", str(c.add), str(c.change),
                         str(c.destroy), str(c.replace), str(len(r.plan.protected_changes)),
                         f"{r.seconds:.1f}s"])
        else:
            rows.append([f"{r.environment}/{r.region}", "", f"failed at {r.stage}", "", "", "", "", "",
                         f"{r.seconds:.1f}s"])
    return rows
