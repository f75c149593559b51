"""``infra drift``: a refresh-only plan per region, in parallel, against the region's real state.

Cloud mode reads the region's S3 state with the caller's credentials (account checked first).
Sandbox mode reads the region's local sandbox state (``sandbox.tfstate``, written by
``infra apply --sandbox``) and the region's world file (``sandbox-world.json``: out-of-band
changes the sandbox provider shows at refresh, see :mod:`infra_sandbox.world`). A region with
no state was never applied: that is an error, never "no drift".

Per region: ``ARTIFACTS/ENV/REGION/drift.json`` and ``drift.md`` (names only, no values);
the refresh-only plan itself (which holds values) is deleted once read.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra_sandbox.world import WORLD_ENV
from toolkit.artifacts import layout as files
from toolkit.artifacts.io import write_artifact
from toolkit.artifacts.layout import RegionLayout
from toolkit.drift.report import DriftReport, count_resources, drifted_resources, region_markdown
from toolkit.errors import InfraError, UserError
from toolkit.fsutil import atomic_write_text
from toolkit.paths import Given
from toolkit.plan.mode import Mode
from toolkit.settings import Project, RegionConfig

Progress = Callable[[str, str], None]


@dataclass
class DriftOptions:
    mode: Mode
    terraform: Given | None = None
    lock_timeout: str | None = None
    sandbox_env: dict[str, str] = field(default_factory=dict)
    install: Any = None


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


def _one_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text if isinstance(exc, InfraError) else f"{type(exc).__name__}: {text}"


@contextlib.contextmanager
def _locked(layout: RegionLayout) -> Iterator[None]:
    with open(layout / files.LOCK, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError(f"another infra run is using {layout.root}; wait for it") from None
        yield


def _sandbox_state(layout: RegionLayout, where: str) -> Path:
    state = layout / files.SANDBOX_STATE
    try:
        resources = json.loads(state.read_text(encoding="utf-8")).get("resources") if state.is_file() else None
    except (OSError, ValueError) as exc:
        raise UserError(f"{state}: unreadable sandbox state ({exc})") from None
    if not resources:
        raise UserError(f"{where}: no sandbox state to check ({state} is missing or empty): the region was never "
                        "applied; run `infra apply --sandbox` first")
    return state


def _refresh_plan(project: Project, cfg: RegionConfig, layout: RegionLayout, opts: DriftOptions,
                  progress: Progress | None) -> dict[str, Any]:
    from toolkit.adapters.terraform.runner import Terraform, resolve_engine
    from toolkit.plan.workdir import stage_workdir
    from toolkit.render.inputs import hcl_string, render_region

    where = f"{cfg.environment}/{cfg.region}"
    work = layout / files.DRIFT_WORK
    work.mkdir(mode=0o700, exist_ok=True)
    work.chmod(0o700)
    log_file = layout / files.DRIFT_LOG
    atomic_write_text(log_file, f"# infra drift {where} ({opts.mode}) {_now()}\n", mode=0o600)
    state = _sandbox_state(layout, where) if opts.mode == "sandbox" else None
    if progress:
        progress(cfg.region, "render")
    rendered = render_region(project, cfg, work, manifests=False)
    tfvars = next(p for p in rendered.files if p.name == files.TFVARS_JSON)
    env: dict[str, str] = {}
    if opts.mode == "cloud":
        if progress:
            progress(cfg.region, "preflight")
        from toolkit.adapters import aws

        aws.check_account(environment=cfg.environment, account_id=cfg.account_id, aws_region=cfg.aws_region,
                          session=aws.new_session(cfg.aws_region))
    else:
        env.update(opts.sandbox_env)
        env["INFRA_SANDBOX_ACCOUNT_ID"] = cfg.account_id
        env[WORLD_ENV] = str((layout / files.SANDBOX_WORLD).resolve())
    if progress:
        progress(cfg.region, "init")
    stack = stage_workdir(project.root, work, opts.mode)
    init_args = ["init", "-no-color", "-input=false", "-reconfigure"]
    if state is not None:
        atomic_write_text(stack / "backend_override.tf", "# sandbox: local state (generated)\nterraform {\n"
                          f"  backend \"local\" {{\n    path = {hcl_string(str(state.resolve()))}\n  }}\n}}\n")
    else:
        (stack / "backend_override.tf").unlink(missing_ok=True)
        init_args.append(f"-backend-config={(work / files.BACKEND_HCL).resolve()}")
    tf = Terraform(stack, engine=resolve_engine(opts.terraform), env=env, log_file=log_file)
    tf.run(init_args)
    if progress:
        progress(cfg.region, "refresh")
    plan_file = work / "drift.tfplan"
    args = ["plan", "-refresh-only", "-no-color", "-input=false", "-detailed-exitcode", f"-out={plan_file}",
            f"-var-file={tfvars.resolve()}"]
    if opts.lock_timeout:
        args.append(f"-lock-timeout={opts.lock_timeout}")
    try:
        with _provider(opts, {k: env[k] for k in (WORLD_ENV, "INFRA_SANDBOX_ACCOUNT_ID") if k in env}) as reattach:
            run = Terraform(stack, engine=tf.engine, env=env | reattach, log_file=log_file)
            run.run(args, ok_codes=(0, 2))
            return run.show_json(plan_file)
    finally:
        plan_file.unlink(missing_ok=True)


@contextlib.contextmanager
def _provider(opts: DriftOptions, extra_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """One sandbox provider process for the refresh and the show (it reads the world file)."""
    if opts.mode != "sandbox" or opts.install is None:
        yield {}
        return
    from infra_sandbox.reattach import reattached_provider

    with reattached_provider(opts.install, extra_env=extra_env) as env:
        yield env


def drift_region(project: Project, cfg: RegionConfig, artifacts: Path, opts: DriftOptions,
                 progress: Progress | None = None) -> DriftReport:
    """Check one region; never raises for a region-level failure (the report says ``error``)."""
    layout = RegionLayout.of(artifacts, cfg.environment, cfg.region)
    layout.root.mkdir(parents=True, exist_ok=True)
    base = {"environment": cfg.environment, "region": cfg.region, "aws_region": cfg.aws_region, "mode": opts.mode}
    try:
        with _locked(layout):
            plan = _refresh_plan(project, cfg, layout, opts, progress)
        drifted = drifted_resources(plan)
        resources = count_resources(plan)
        if not resources and not drifted:
            raise UserError(f"{cfg.environment}/{cfg.region}: the state holds no resources: the region was never "
                            "applied (nothing to compare)")
        report = DriftReport(**base, status="drift" if drifted else "clean", resources=resources, drifted=drifted,
                             terraform_version=plan.get("terraform_version"), checked_at=_now())
    except Exception as exc:  # one region's failure must not hide the others
        report = DriftReport(**base, status="error", error=_one_line(exc), checked_at=_now())
    write_artifact(layout / files.DRIFT_JSON, report)
    atomic_write_text(layout / files.DRIFT_MD, "\n".join(region_markdown(report, level="##")) + "\n")
    if progress:
        progress(cfg.region, "failed" if report.status == "error" else "done")
    return report


def drift_regions(project: Project, env: str, regions: list[str], artifacts: Path, opts: DriftOptions, *,
                  parallelism: int, progress: Progress | None = None) -> list[DriftReport]:
    """Check several regions in a bounded pool, as ``infra plan`` plans them; reports in ``regions`` order."""
    configs = [project.region(env, r) for r in regions]
    out: dict[str, DriftReport] = {}
    lock = threading.Lock()

    def one(cfg: RegionConfig) -> None:
        report = drift_region(project, cfg, artifacts, opts, progress)
        with lock:
            out[cfg.region] = report

    with ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(configs))), thread_name_prefix="drift") as pool:
        for f in [pool.submit(one, c) for c in configs]:
            f.result()
    return [out[r] for r in regions]


def run_drift(project: Project, env: str, regions: list[str], artifacts: Path, *, mode: Mode,
              terraform: Given | None = None, provider_schema: Given | None = None, lock_timeout: str | None = None,
              parallelism: int = 2, progress: Progress | None = None) -> list[DriftReport]:
    opts = DriftOptions(mode=mode, terraform=terraform, lock_timeout=lock_timeout)
    if mode == "sandbox":
        from toolkit.plan.mode import prepare_sandbox

        opts.install, opts.sandbox_env, _info = prepare_sandbox(provider_schema)
    return drift_regions(project, env, regions, artifacts, opts, parallelism=parallelism, progress=progress)


def collect(directory: Path, env: str | None = None) -> list[DriftReport]:
    """Every ``ENV/REGION/drift.json`` under ``directory`` (downloaded CI artifacts), sorted."""
    from toolkit.artifacts.io import read_artifact

    found = sorted(directory.glob(f"{env or '*'}/*/{files.DRIFT_JSON}"))
    if not found:
        raise UserError(f"{directory}: no drift reports (expected ENV/REGION/{files.DRIFT_JSON})")
    return [read_artifact(p, DriftReport) for p in found]
