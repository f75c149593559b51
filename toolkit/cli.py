"""The `infra` command: thin click commands over the core.

Exit codes: 0 ok, 1 user error (one line), 2 usage error, 3 unexpected error
(one line plus the path of a log file holding the traceback), 130 Ctrl-C.
With ``--detailed-exitcode``, plan exits 2 when there are changes.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from toolkit import __version__
from toolkit.errors import InfraError, UserError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_USER, EXIT_USAGE, EXIT_UNEXPECTED, EXIT_INTERRUPT = 0, 1, 2, 3, 130


# --- context and reusable options -------------------------------------------------------


@dataclass
class Ctx:
    project_opt: str | None = None
    artifacts_opt: str | None = None
    json_out: bool = False
    color: str = "auto"
    _project: Any = None
    _root: Path | None = None
    console: Console = field(default_factory=lambda: Console(stderr=True, soft_wrap=True))

    @property
    def root(self) -> Path:
        if self._root is None:
            from toolkit.project import find_root

            self._root = find_root(self.project_opt)
        return self._root

    @property
    def project(self) -> Any:
        if self._project is None:
            from toolkit.config import Project

            self._project = Project(self.root)
        return self._project

    @property
    def artifacts(self) -> Path:
        from toolkit.project import artifacts_dir

        return artifacts_dir(self.root, self.artifacts_opt)

    def env(self, explicit: str | None) -> str:
        click_ctx = click.get_current_context(silent=True)
        if click_ctx is not None and click_ctx.get_parameter_source("env") == click.core.ParameterSource.ENVIRONMENT:
            explicit = None  # let the project say the value came from $INFRA_ENV
        return str(self.project.default_environment(explicit))

    def emit_json(self, data: Any) -> None:
        click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


pass_ctx = click.make_pass_decorator(Ctx, ensure=True)


def _catalog_names(kind: str) -> list[str]:
    try:
        from toolkit.config import Project
        from toolkit.project import find_root

        project = Project(find_root())
        return sorted(project.catalog.regions) if kind == "region" else project.environment_names()
    except Exception:  # completion must never crash the shell
        return []


def _complete_region(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    return [r for r in _catalog_names("region") if r.startswith(incomplete)]


def _complete_env(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    return [e for e in _catalog_names("env") if e.startswith(incomplete)]


env_option = click.option(
    "--env", "env", envvar="INFRA_ENV", show_envvar=True, default=None, shell_complete=_complete_env,
    help="Environment (a directory under environments/). Defaults to $INFRA_ENV, then to "
         "default_environment in environments/defaults.yaml.",
)
json_option = click.option("--json", "json_flag", is_flag=True, help="Machine-readable JSON on stdout.")
region_argument = click.argument("region", shell_complete=_complete_region)
regions_argument = click.argument("regions", nargs=-1, shell_complete=_complete_region)
all_option = click.option("--all", "all_regions", is_flag=True, help="Every region of the environment.")


def _flag_only(name: str, value: Any) -> Any:
    """The option's value when given on the command line; None when it came from its env var,
    so the core reads the variable itself and names it in messages."""
    click_ctx = click.get_current_context(silent=True)
    if click_ctx is not None and click_ctx.get_parameter_source(name) == click.core.ParameterSource.ENVIRONMENT:
        return None
    return value


def _use_json(ctx: Ctx, flag: bool) -> bool:
    return flag or ctx.json_out


# --- the group ------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="infra", message="%(prog)s %(version)s")
@click.option("--project", "project_opt", envvar="INFRA_PROJECT", show_envvar=True, metavar="DIR",
              help="Project root (default: the nearest parent directory with environments/).")
@click.option("--artifacts", "artifacts_opt", envvar="INFRA_ARTIFACTS", show_envvar=True, metavar="DIR",
              help="Where artifacts go (default: PROJECT/.infra, git-ignored).")
@click.option("--json", "json_out", is_flag=True, help="Machine-readable JSON on stdout (all commands).")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              help="Colour on stderr. NO_COLOR in the environment means never.")
@click.pass_context
def cli(click_ctx: click.Context, project_opt: str | None, artifacts_opt: str | None, json_out: bool,
        color: str) -> None:
    """Plan, check and report on GPU-capable EKS clusters across AWS regions.

    Settings live in environments/ (validated YAML); Terraform modules in modules/ and the
    per-region root stack in terraform/. Artifacts of a run go to .infra/ENV/REGION/.

    \b
    Examples:
      infra regions                       # the region catalog
      infra config show us-east --env prod
      infra render us-east                # tfvars, backend.hcl, manifests
      infra plan us-east                  # sandbox plan when there are no AWS credentials
      infra plan --all --env prod --json
    """
    if os.environ.get("NO_COLOR") and color == "auto":
        color = "never"
    console = Console(
        stderr=True,
        no_color=color == "never",
        force_terminal=True if color == "always" else None,
        highlight=False,
        soft_wrap=True,
    )
    click_ctx.obj = Ctx(project_opt=project_opt, artifacts_opt=artifacts_opt, json_out=json_out, color=color,
                        console=console)


# --- regions / config -----------------------------------------------------------------


@cli.command("regions")
@env_option
@json_option
@pass_ctx
def regions_cmd(ctx: Ctx, env: str | None, json_flag: bool) -> None:
    """List the region catalog and which environments use each region.

    With --env, only that environment's regions. The JSON form is a list of
    {environment, region, aws_region, zone} objects, one per environment/region pair,
    ready to be a CI matrix.

    \b
    Examples:
      infra regions
      infra regions --env prod --json
    """
    from toolkit.core import region_rows

    rows = region_rows(ctx.project, ctx.env(env) if env else None)
    if _use_json(ctx, json_flag):
        ctx.emit_json(rows)
        return
    from rich.table import Table

    table = Table(title="Regions", title_justify="left")
    for col in ("region", "aws region", "zone", "environments"):
        table.add_column(col)
    by_region: dict[str, list[str]] = {}
    for row in rows:
        by_region.setdefault(row["region"], []).append(row["environment"])
    for key, reg in sorted(ctx.project.catalog.regions.items()):
        if env and key not in by_region:
            continue
        table.add_row(key, reg.aws_region, reg.zone, ", ".join(by_region.get(key, [])) or "-")
    Console(no_color=ctx.color == "never").print(table)


@cli.group("config")
def config_grp() -> None:
    """Show effective settings and export their JSON Schema."""


@config_grp.command("show")
@region_argument
@env_option
@json_option
@pass_ctx
def config_show(ctx: Ctx, region: str, env: str | None, json_flag: bool) -> None:
    """Print the effective settings of ENV/REGION after layering.

    Layers: environments/defaults.yaml -> ENV/env.yaml -> ENV/REGION.yaml (deep-merged).

    \b
    Examples:
      infra config show us-east --env prod
      infra config show eu-central --json
    """
    from toolkit.config import stack_inputs

    cfg = ctx.project.region(ctx.env(env), region)
    data = stack_inputs(cfg, ctx.project.catalog)
    if _use_json(ctx, json_flag):
        ctx.emit_json(data)
    else:
        from toolkit.render import dump_yaml

        click.echo(dump_yaml(data), nl=False)


@config_grp.command("schema")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="Write to a file instead of stdout.")
@click.option("--effective", is_flag=True, help="Schema of the merged settings (required keys enforced) "
              "instead of one layer file.")
@pass_ctx
def config_schema(ctx: Ctx, out: str | None, effective: bool) -> None:
    """Export the JSON Schema of region settings files, for editors.

    The committed copy is environments/region.schema.json (a test keeps it in sync);
    region files point at it with a yaml-language-server comment.

    \b
    Example:
      infra config schema --out environments/region.schema.json
    """
    from toolkit.core import settings_json_schema
    from toolkit.fsutil import atomic_write_json, dump_json

    schema = settings_json_schema(layer=not effective)
    if out:
        atomic_write_json(Path(out), schema)
        ctx.console.print(f"wrote {out}")
    else:
        click.echo(dump_json(schema), nl=False)


# --- render ---------------------------------------------------------------------------


@cli.command("render")
@regions_argument
@all_option
@env_option
@json_option
@pass_ctx
def render_cmd(ctx: Ctx, regions: tuple[str, ...], all_regions: bool, env: str | None, json_flag: bool) -> None:
    """Render tfvars, backend config and Karpenter manifests for REGION(s).

    Writes ARTIFACTS/ENV/REGION/terraform.tfvars.json, backend.hcl and manifests/
    (NodePools, EC2NodeClasses, Argo CD Applications for the Karpenter charts).
    Files are written atomically; invalid settings write nothing.

    \b
    Examples:
      infra render us-east
      infra render --all --env prod
      infra --artifacts /tmp/out render eu-central --env staging
    """
    from toolkit.core import render_many

    env_name = ctx.env(env)
    results = render_many(ctx.project, env_name, _pick_regions(ctx, env_name, regions, all_regions), ctx.artifacts)
    if _use_json(ctx, json_flag):
        ctx.emit_json([{"environment": env_name, "region": r, "files": [str(p) for p in res.files]}
                       for r, res in results.items()])
        return
    for region, res in results.items():
        ctx.console.print(f"[green]rendered[/] {env_name}/{region}: {len(res.files)} files in {res.directory}")


def _pick_regions(ctx: Ctx, env: str, regions: tuple[str, ...], all_regions: bool) -> list[str]:
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


# --- plan -----------------------------------------------------------------------------

terraform_option = click.option(
    "--terraform", "terraform", envvar="INFRA_TERRAFORM", show_envvar=True, metavar="PATH",
    help="Use this terraform or tofu binary instead of the embedded Terraform.")
schema_option = click.option(
    "--provider-schema", "provider_schema", envvar="INFRA_PROVIDER_SCHEMA", show_envvar=True,
    type=click.Path(dir_okay=False, path_type=Path), metavar="PATH",
    help="AWS provider schema (terraform providers schema -json) served by the sandbox provider.")
mode_option = click.option(
    "--sandbox/--cloud", "sandbox", default=None,
    help="Force the offline sandbox provider, or the real provider with AWS credentials. "
         "Default: sandbox when no AWS credentials are found.")


def _duration(ctx: click.Context, param: click.Parameter, value: str) -> str:
    import re

    if not re.fullmatch(r"([0-9]+(ms|s|m|h))+", value):
        raise click.BadParameter(f"{value!r} is not a duration such as 0s, 30s, 5m or 1h")
    return value


class RegionProgress:
    """A live line per region on stderr (rich), or plain log lines when not a terminal."""

    def __init__(self, ctx: Ctx, env: str, regions: list[str], enabled: bool) -> None:
        import threading
        import time

        self.ctx, self.env, self.regions = ctx, env, regions
        self.state = {r: "queued" for r in regions}
        self.started = {r: time.monotonic() for r in regions}
        self.lock = threading.Lock()
        self.live: Any = None
        self.enabled = enabled
        self._time = time.monotonic

    def _table(self) -> Any:
        from rich.table import Table

        table = Table.grid(padding=(0, 2))
        for region in self.regions:
            stage = self.state[region]
            style = {"done": "green", "failed": "red", "queued": "dim"}.get(stage, "yellow")
            table.add_row(f"{self.env}/{region}", f"[{style}]{stage}[/]", f"{self._time() - self.started[region]:.0f}s")
        return table

    def __enter__(self) -> RegionProgress:
        if self.enabled and self.ctx.console.is_terminal:
            from rich.live import Live

            self.live = Live(self._table(), console=self.ctx.console, refresh_per_second=4, transient=False)
            self.live.__enter__()
        return self

    def __call__(self, region: str, stage: str) -> None:
        with self.lock:
            if self.state[region] == "queued":
                self.started[region] = self._time()
            self.state[region] = stage
            if self.live is not None:
                self.live.update(self._table())
            elif self.enabled and stage in ("done", "failed"):
                # Not a terminal: no progress, only each region's outcome as a log line.
                self.ctx.console.print(f"{self.env}/{region}: {stage}", markup=False, highlight=False)

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.update(self._table())
            self.live.__exit__(None, None, None)


@cli.command("plan")
@regions_argument
@all_option
@env_option
@mode_option
@click.option("--remote-state", is_flag=True,
              help="Sandbox runs use the region's S3 backend (as in backend.hcl) instead of local state.")
@click.option("--parallelism", type=click.IntRange(1, 64), default=lambda: os.cpu_count() or 2,
              show_default="number of cores", help="Regions planned at the same time.")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when any region has changes and none failed (as terraform plan -detailed-exitcode).")
@click.option("--lock-timeout", default="0s", show_default=True, metavar="DURATION", callback=_duration,
              help="How long to wait for a held state lock (e.g. 30s, 5m).")
@click.option("--scan/--no-scan", default=True, show_default=True,
              help="Run the policy scan over the plans (one checkov run for all regions).")
@terraform_option
@schema_option
@json_option
@pass_ctx
def plan_cmd(ctx: Ctx, regions: tuple[str, ...], all_regions: bool, env: str | None, sandbox: bool | None,
             remote_state: bool, parallelism: int, detailed_exitcode: bool, lock_timeout: str, scan: bool,
             terraform: str | None, provider_schema: Path | None, json_flag: bool) -> None:
    """Plan REGION(s) of an environment: render, init, plan, show, summary, scan.

    Artifacts go to ARTIFACTS/ENV/REGION/: tfplan, plan.json, plan.sha256, summary.json,
    summary.md, findings.json, plan.log and status.json (where and why a region failed).
    Several regions run in parallel; one region's failure does not hide the others.
    Exit code: 1 if any region failed; with --detailed-exitcode, 2 if there are changes.

    Without AWS credentials the plan runs in sandbox mode: the toolkit's offline provider
    serves the real hashicorp/aws schema, state is local unless --remote-state.

    \b
    Examples:
      infra plan us-east
      infra plan --all --env prod --parallelism 4
      infra plan eu-central --env staging --sandbox --remote-state
      infra plan --all --env prod --json --detailed-exitcode
    """
    from toolkit.plan import PlanOptions, choose_mode, plan_regions, prepare_sandbox, table_rows

    env_name = ctx.env(env)
    picked = _pick_regions(ctx, env_name, regions, all_regions)
    mode, why = choose_mode(sandbox)
    opts = PlanOptions(mode=mode, remote_state=remote_state, terraform=terraform, provider_schema=provider_schema,
                       lock_timeout=lock_timeout)
    use_json = _use_json(ctx, json_flag)
    if mode == "sandbox":
        from toolkit.plan import SANDBOX_BANNER

        schema_flag = _flag_only("provider_schema", provider_schema)
        opts.sandbox_env, opts.sandbox_info = prepare_sandbox(ctx.root, schema_flag, opts)
        ctx.console.print(f"[bold yellow]sandbox mode[/] ({why}). {SANDBOX_BANNER}")
    elif remote_state:
        raise click.UsageError("--remote-state only applies to sandbox runs (cloud runs always use the S3 backend)")
    from toolkit.scan import prewarmed_checkov

    # The run's one checkov process starts now: its import overlaps the plans.
    with prewarmed_checkov(ctx.root) if scan else contextlib.nullcontext():
        with RegionProgress(ctx, env_name, picked, enabled=not use_json) as progress:
            results = plan_regions(ctx.project, env_name, picked, ctx.artifacts, opts, parallelism=parallelism,
                                   progress=progress)
        ok_regions = [r.region for r in results if r.status == "ok"]
        scan_note = _scan_after_plan(ctx, env_name, ok_regions, scan, use_json)
    failed = [r for r in results if r.status == "failed"]
    scan_failed = bool(scan_note and scan_note.get("error"))
    if use_json:
        ctx.emit_json({"environment": env_name, "mode": mode, "regions": [r.as_dict() for r in results],
                       "scan": scan_note})
    else:
        from rich.table import Table

        table = Table(title=f"infra plan: {env_name} ({mode})", title_justify="left")
        width = max(len(f"{r.environment}/{r.region}") for r in results)
        # Terraform's own symbols: + add, ~ change, - destroy.
        for col in ("region", "mode", "status", "+", "~", "-", "-/+", "protected", "time"):
            table.add_column(col, justify="right" if col in ("+", "~", "-", "-/+", "protected") else "left",
                             no_wrap=col == "region", min_width=width if col == "region" else None)
        for row in table_rows(results):
            table.add_row(*row)
        ctx.console.print(table)
        from toolkit.summary import plan_line

        for r in results:
            if r.summary:
                ctx.console.print(f"{r.environment}/{r.region}: {plan_line(r.summary['counts'])}", markup=False)
                for c in r.summary["protected_changes"]:
                    ctx.console.print(f"  [bold red]protected {c['action']}[/]: {c['address']}")
            else:
                ctx.console.print(f"[red]{r.environment}/{r.region} failed at {r.stage}[/]: {r.error}",
                                  highlight=False)
        if scan_note:
            ctx.console.print(scan_note["message"], markup=False)
    if failed or scan_failed:
        raise click.exceptions.Exit(EXIT_USER)
    if detailed_exitcode and any(r.has_changes for r in results):
        raise click.exceptions.Exit(2)


def _scan_cache() -> Path:
    """Scan results are keyed by content hash, so one cache serves every checkout and artifacts dir."""
    from toolkit.project import cache_dir

    return cache_dir() / "scan"


def _scan_after_plan(ctx: Ctx, env: str, regions: list[str], enabled: bool, quiet: bool) -> dict[str, Any] | None:
    if not enabled or not regions:
        return None
    from toolkit.scan import scan_regions

    if not quiet:
        ctx.console.print(f"policy scan: checkov over modules, stack, {len(regions)} plan(s) and manifests...",
                          markup=False)
    try:
        results = scan_regions(ctx.root, ctx.artifacts, env, regions, cache_dir=_scan_cache(),
                               progress=None if quiet else
                               (lambda m: ctx.console.print(m, markup=False, highlight=False)))
    except InfraError as exc:
        # The plans are done and their artifacts written: report them, then fail on the scan.
        return {"error": str(exc), "message": f"policy scan failed: {exc}"}
    failed = sum(len(r.failed) for r in results.values())
    waived = sum(len(r.waived) for r in results.values())
    return {"failed": failed, "waived": waived,
            "message": f"policy scan: {failed} unwaived failed and {waived} waived checks across "
                       f"{len(results)} region(s); `infra gate` decides (findings.json per region)"}


# --- validate / test -------------------------------------------------------------------


@cli.command("validate")
@regions_argument
@all_option
@env_option
@terraform_option
@schema_option
@json_option
@pass_ctx
def validate_cmd(ctx: Ctx, regions: tuple[str, ...], all_regions: bool, env: str | None, terraform: str | None,
                 provider_schema: Path | None, json_flag: bool) -> None:
    """Static checks: fmt, settings, terraform validate, manifests against the CRDs.

    terraform validate runs on the root stack and every module example with the sandbox
    provider, which serves the real AWS provider schema: unknown arguments, wrong types,
    missing required arguments or blocks are reported with file and line. Settings are
    checked for every environment (or the one given with --env); the Karpenter manifests
    of every region, or of the REGIONs given.

    \b
    Examples:
      infra validate
      infra validate us-east --env prod --json
    """
    from toolkit import stackcheck
    from toolkit.plan import sandbox_install

    envs = [ctx.env(env)] if env else ctx.project.environment_names()
    if regions or all_regions:
        for e in envs:
            _pick_regions(ctx, e, regions, all_regions)  # names each unknown region, or REGION with --all
    inst = sandbox_install(ctx.root, _flag_only("provider_schema", provider_schema))
    ctx.console.print("checking fmt, settings, manifests, terraform validate (sandbox provider)...")
    checks = [stackcheck.fmt_check(ctx.root, terraform), stackcheck.settings_check(ctx.project, envs),
              stackcheck.manifests_check(ctx.project, envs, None if all_regions else list(regions) or None)]
    checks += stackcheck.terraform_checks(ctx.root, ctx.artifacts / "_validate", inst, terraform,
                                          parallelism=os.cpu_count() or 2)
    failed = [c for c in checks if not c.ok]
    if _use_json(ctx, json_flag):
        ctx.emit_json({"ok": not failed, "checks": [c.as_dict() for c in checks]})
    else:
        for c in checks:
            mark = "[green]ok[/]  " if c.ok else "[red]FAIL[/]"
            ctx.console.print(f"{mark} {c.name}")
            for problem in c.problems:
                ctx.console.print(f"      {problem}", markup=False)
    if failed:
        raise UserError(f"validate: {len(failed)} of {len(checks)} checks failed: "
                        f"{', '.join(c.name for c in failed)}")


@cli.command("test")
@click.argument("modules", nargs=-1)
@terraform_option
@schema_option
@json_option
@pass_ctx
def test_cmd(ctx: Ctx, modules: tuple[str, ...], terraform: str | None, provider_schema: Path | None,
             json_flag: bool) -> None:
    """Run each module's tests/*.tftest.hcl with the sandbox provider.

    \b
    Examples:
      infra test
      infra test karpenter kms
    """
    from toolkit import stackcheck
    from toolkit.plan import sandbox_install

    known = sorted(p.name for p in (ctx.root / "modules").iterdir() if p.is_dir())
    for m in modules:
        if m not in known:
            raise UserError(f"unknown module {m!r}; modules: {', '.join(known)}")
    inst = sandbox_install(ctx.root, _flag_only("provider_schema", provider_schema))
    results = stackcheck.module_tests(ctx.root, ctx.artifacts / "_test", inst, terraform,
                                      list(modules) or None, log=lambda m: ctx.console.print(m, markup=False))
    if not results:
        raise UserError("no module has tests/*.tftest.hcl")
    if _use_json(ctx, json_flag):
        ctx.emit_json([{"module": r.module, "passed": r.passed} for r in results])
    else:
        for r in results:
            tail = [ln for ln in r.output.splitlines() if ln.strip()][-1:] or [""]
            ctx.console.print(f"{'[green]pass[/]' if r.passed else '[red]FAIL[/]'} modules/{r.module}: {tail[0]}",
                              highlight=False)
            if not r.passed:
                ctx.console.print(r.output, markup=False, highlight=False)
    failed = [r.module for r in results if not r.passed]
    if failed:
        raise UserError(f"terraform test failed in: {', '.join(failed)}")


# --- bootstrap / apply / doctor / providers --------------------------------------------


@cli.command("bootstrap")
@region_argument
@env_option
@json_option
@pass_ctx
def bootstrap_cmd(ctx: Ctx, region: str, env: str | None, json_flag: bool) -> None:
    """Create the region's Terraform state bucket if missing (idempotent, never deletes).

    The bucket lives in the cluster's own region: versioning, SSE-KMS with the
    environment's state key (created if missing), public access block, TLS-only bucket
    policy, lifecycle for noncurrent versions. A second run changes nothing and says so.
    AWS_ENDPOINT_URL points it at another endpoint (LocalStack, moto).

    \b
    Examples:
      infra bootstrap us-east --env prod
      AWS_ENDPOINT_URL=http://127.0.0.1:5000 infra bootstrap eu-central
    """
    from toolkit import aws

    cfg = ctx.project.region(ctx.env(env), region)
    result = aws.bootstrap_state_bucket(
        bucket=cfg.state_bucket, aws_region=cfg.aws_region, kms_key_alias=cfg.state_kms_key_alias,
        account_id=cfg.account_id, tags=cfg.tags, environment=cfg.environment,
        log=lambda m: ctx.console.print(m, markup=False, highlight=False))
    if _use_json(ctx, json_flag):
        ctx.emit_json(result.to_dict())
    else:
        for line in result.summary_lines():
            ctx.console.print(line, markup=False, highlight=False)


@cli.command("apply")
@region_argument
@env_option
@terraform_option
@pass_ctx
def apply_cmd(ctx: Ctx, region: str, env: str | None, terraform: str | None) -> None:
    """Apply the reviewed plan file of REGION (cloud plans only).

    Refuses sandbox plans, and plan files whose sha256 differs from plan.sha256 (the
    digest recorded when the plan was made and reviewed).

    \b
    Example:
      infra plan us-east --env prod --cloud && infra apply us-east --env prod
    """
    from toolkit.plan import apply_region

    cfg = ctx.project.region(ctx.env(env), region)
    apply_region(cfg, ctx.artifacts, terraform, log=lambda m: ctx.console.print(m, markup=False, highlight=False))
    ctx.console.print(f"[green]applied[/] {cfg.environment}/{cfg.region}")


@cli.command("doctor")
@terraform_option
@schema_option
@json_option
@pass_ctx
def doctor_cmd(ctx: Ctx, terraform: str | None, provider_schema: Path | None, json_flag: bool) -> None:
    """Report the Terraform engine, versions, provider schema, credentials and cache.

    \b
    Example:
      infra doctor
    """
    from toolkit.doctor import diagnose

    root = ctx.root if _has_project(ctx) else None
    report = diagnose(root, terraform, _flag_only("provider_schema", provider_schema))
    if _use_json(ctx, json_flag):
        ctx.emit_json(report)
        return
    for key, value in report.items():
        if isinstance(value, dict):
            ctx.console.print(f"[bold]{key}[/]")
            for k, v in value.items():
                ctx.console.print(f"  {k}: {v}", markup=False, highlight=False)
        else:
            ctx.console.print(f"[bold]{key}[/]: {value}", highlight=False)


def _has_project(ctx: Ctx) -> bool:
    try:
        return ctx.root.is_dir()
    except UserError:
        return False


@cli.group("providers")
def providers_grp() -> None:
    """Provider schema management for the sandbox."""


@providers_grp.command("schema")
@click.option("--version", "version", default="6.47.0", show_default=True, help="hashicorp/aws version.")
@click.option("--force", is_flag=True, help="Download again even when the schema is cached.")
@terraform_option
@pass_ctx
def providers_schema_cmd(ctx: Ctx, version: str, force: bool, terraform: str | None) -> None:
    """Download the real hashicorp/aws provider and cache its schema for the sandbox.

    Needs registry access: run it once on a networked machine, then copy the cache
    file (or point INFRA_PROVIDER_SCHEMA at it) where plans run offline.

    \b
    Example:
      infra providers schema --version 6.47.0
    """
    from toolkit.doctor import fetch_provider_schema

    path = fetch_provider_schema(version, terraform, log=lambda m: ctx.console.print(m, markup=False), force=force)
    ctx.console.print(f"[green]wrote[/] {path}")


# --- scan / gate -----------------------------------------------------------------------


@cli.command("scan")
@regions_argument
@all_option
@env_option
@click.option("--default-severity", type=click.Choice(["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"]),
              default=None, help="Severity of checks missing from policy/severity.yaml (default: the map's own).")
@json_option
@pass_ctx
def scan_cmd(ctx: Ctx, regions: tuple[str, ...], all_regions: bool, env: str | None,
             default_severity: str | None, json_flag: bool) -> None:
    """Scan modules, the root stack, and each region's plan and manifests with checkov.

    checkov runs offline (--skip-download), once for all regions, with our own policies
    (policy/checks/) and severities from policy/severity.yaml; unchanged inputs are not
    scanned twice (content-hash cache). Waivers from policy/waivers.yaml apply to plan
    findings and to resources inside modules. Writes ARTIFACTS/ENV/REGION/findings.json.
    Needs `infra plan` first.

    \b
    Examples:
      infra scan us-east
      infra scan --all --env prod --json
    """
    from toolkit.scan import scan_regions

    env_name = ctx.env(env)
    picked = _pick_regions(ctx, env_name, regions, all_regions)
    results = scan_regions(ctx.root, ctx.artifacts, env_name, picked, default_severity=default_severity,
                           cache_dir=_scan_cache(),
                           progress=None if _use_json(ctx, json_flag) else
                           (lambda m: ctx.console.print(m, markup=False, highlight=False)))
    if _use_json(ctx, json_flag):
        ctx.emit_json({region: {"failed": len(r.failed), "waived": len(r.waived), "passed": len(r.passed),
                                "cache_hit": r.cache_hit, "findings": str(r.path)}
                       for region, r in results.items()})
        return


@cli.command("gate")
@env_option
@click.option("--fail-on", type=click.Choice(["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"], case_sensitive=False),
              default="HIGH", show_default=True, help="Fail on unwaived findings at or above this severity.")
@click.option("--artifacts", "gate_artifacts", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Artifacts to judge (e.g. downloaded from CI matrix jobs); default: the global --artifacts.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write JUnit, SARIF, JSON and the PR comment (default ARTIFACTS/gate/ENV/).")
@click.option("--region", "regions", multiple=True, shell_complete=_complete_region,
              help="Only these regions (repeatable); default every region with artifacts.")
@json_option
@pass_ctx
def gate_cmd(ctx: Ctx, env: str | None, fail_on: str, gate_artifacts: Path | None, out_dir: Path | None,
             regions: tuple[str, ...], json_flag: bool) -> None:
    """Decide whether a change may merge, from the artifacts of plan and scan.

    Exit 1 on any unwaived finding at or above --fail-on, on a destroy or replace of a
    protected type (KMS keys, EKS cluster, state bucket, secrets) without a waiver, on a
    residency violation, on an expired waiver or a failed region; exit 0 otherwise. Says
    why in one line. Writes gate-ENV.junit.xml, .sarif (2.1.0), .json and .md (one PR
    comment covering every region). Works on artifacts produced on other machines.

    \b
    Examples:
      infra gate --env prod
      infra gate --env prod --fail-on CRITICAL --artifacts downloaded/ --out gate-out/
    """
    from toolkit.gate import run_gate

    env_name = ctx.env(env)
    artifacts = gate_artifacts.resolve() if gate_artifacts else ctx.artifacts
    # Every region of the environment must have artifacts: a CI matrix job that uploaded
    # nothing must fail the gate, not vanish from it.
    expected = _pick_regions(ctx, env_name, regions, all_regions=not regions)
    decision, outputs = run_gate(artifacts, env_name, out_dir=out_dir, fail_on=fail_on.upper(),
                                 waivers_path=ctx.root / "policy" / "waivers.yaml", regions=expected)
    if _use_json(ctx, json_flag):
        ctx.emit_json(decision.to_dict() | {"outputs": {k: str(v) for k, v in vars(outputs).items()}})
    else:
        ctx.console.print(f"outputs: {', '.join(str(v) for v in vars(outputs).values())}", markup=False,
                          highlight=False)
    click.echo(decision.reason, err=True)
    if not decision.passed:
        raise click.exceptions.Exit(decision.exit_code or EXIT_USER)


# --- report ---------------------------------------------------------------------------


@cli.command("report")
@env_option
@regions_argument
@click.option("--format", "fmt", type=click.Choice(["html", "md", "json"]), default="html", show_default=True,
              help="html: one self-contained page; md: for wikis and pull requests; json: versioned schema "
                   "(toolkit/report/report.schema.json) for GRC tools.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here (atomically) instead of ARTIFACTS/ENV/compliance-report.FORMAT.")
@click.option("--stdout", "to_stdout", is_flag=True, help="Print the report on stdout instead of writing a file.")
@pass_ctx
def report_cmd(ctx: Ctx, env: str | None, regions: tuple[str, ...], fmt: str, out: Path | None,
               to_stdout: bool) -> None:
    """Write the compliance report of an environment for auditors.

    For each region and control of the catalogue (controls/catalogue.yaml: CIS EKS, CIS
    AWS Foundations, SOC 2, ISO/IEC 27001:2022, GDPR transfers): met / not met / met with
    exception / not applicable, with evidence (resources, file:line, checks), waivers in
    force, and provenance (git commit, tool versions, sha256 of every plan and scan input).
    Reads the artifacts of `infra plan` and `infra scan`; sensitive values never appear.

    \b
    Examples:
      infra report --env prod
      infra report --env prod --format md --out compliance.md
      infra report --env prod --format json --stdout | jq .summary
    """
    from toolkit.report import build_report, render, write_report

    env_name = ctx.env(env)
    if regions:
        _pick_regions(ctx, env_name, regions, False)
    report = build_report(ctx.root, ctx.artifacts, env_name, regions=list(regions) or None)
    if to_stdout or (ctx.json_out and fmt == "json" and out is None):
        click.echo(render(report, fmt), nl=False)  # type: ignore[arg-type]
        return
    ext = {"html": "html", "md": "md", "json": "json"}[fmt]
    path = write_report(report, fmt, out or ctx.artifacts / env_name / f"compliance-report.{ext}")  # type: ignore[arg-type]
    ctx.console.print(f"[green]wrote[/] {path}", highlight=False)


# --- entry point ----------------------------------------------------------------------


def _crash_log(exc: BaseException) -> Path:
    from toolkit.project import cache_dir

    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%S")
    log_dir = cache_dir() / "logs"
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
    except OSError:
        import tempfile

        log_dir = Path(tempfile.gettempdir())
    path = log_dir / f"crash-{stamp}-{os.getpid()}.log"
    path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point with the toolkit's exit codes."""
    code = run(argv)
    sys.exit(code)


def run(argv: list[str] | None = None) -> int:
    err = Console(stderr=True, highlight=False, no_color=bool(os.environ.get("NO_COLOR")))
    try:
        # With standalone_mode=False, click returns the code of a click.exceptions.Exit.
        code = cli.main(args=argv, prog_name="infra", standalone_mode=False)
        return code if isinstance(code, int) else EXIT_OK
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:
        err.print("aborted", markup=False)
        return EXIT_INTERRUPT
    except click.ClickException as exc:
        exc.show()
        return int(exc.exit_code)
    except UserError as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        return EXIT_USER
    except InfraError as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        return getattr(exc, "exit_code", EXIT_USER)
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        return EXIT_INTERRUPT
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:
        if exc.filename is None:
            return _unexpected(err, exc)
        # A path the user gave or owns (artifacts, --out): their problem to fix, not a crash.
        err.print(f"error: {exc.filename}: {exc.strerror or exc}", markup=False, soft_wrap=True)
        return EXIT_USER
    except Exception as exc:  # the last line of defence
        return _unexpected(err, exc)


def _unexpected(err: Console, exc: BaseException) -> int:
    path = _crash_log(exc)
    first = str(exc).splitlines()[0] if str(exc) else ""
    err.print(f"unexpected error: {type(exc).__name__}: {first} (traceback in {path})", markup=False, soft_wrap=True)
    return EXIT_UNEXPECTED


if __name__ == "__main__":
    main()
