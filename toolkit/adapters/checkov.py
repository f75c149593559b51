"""checkov, run offline as a child process: its environment, the prewarmed process, its reports.

One process per scan: every input goes into a single ``checkov -f ... -f ...`` run (frameworks
terraform, terraform_plan, kubernetes and secrets) with our checks. checkov's secrets runner
reads every file it is given; its findings on a file that is not a secrets input (a plan:
values there come from inputs that are scanned themselves) are the caller's to drop. It reports
a secret by its hash and masks it in the code block, which :func:`records` does not keep.
Rules that depend on the environment read a JSON context file named by ``INFRA_POLICY_CONTEXT``
(``policy/checks/infra_common.py``);
this module writes it for the run.

checkov takes seconds to import. A caller that knows a scan will follow starts the process
early and hands it over::

    with CheckovProcess.start(project_root) as checkov:
        ...                                     # other work (the plans) while checkov imports
        run_checkov(project_root, files, checks_dir, context, process=checkov)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from importlib.metadata import version as _dist_version
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, NotRequired

from typing_extensions import TypedDict  # pydantic validates it (the cache) only from here before 3.12

from toolkit.adapters.terraform.process import popen
from toolkit.errors import ToolError

FRAMEWORKS = ("terraform", "terraform_plan", "kubernetes", "secrets")
SECRETS = "secrets"  # check_type of the secrets framework
CONTEXT_ENV = "INFRA_POLICY_CONTEXT"

# checkov processes this interpreter started (tests and the benchmark read it).
runs = 0

Report = dict[str, Any]  # one framework's report, as checkov writes it


class Record(TypedDict):
    """One check result of a checkov report, in our terms."""

    check_type: str | None
    check_id: str
    title: str
    resource: str
    file_path: str
    abs_path: str
    line: int | None
    status: Literal["passed", "failed", "skipped"]
    skip_reason: NotRequired[str]  # an inline ``#checkov:skip=ID:reason``: its reason
    input: NotRequired[str]  # the scanned file, relative to its unit (added by the scan)


def version() -> str:
    return _dist_version("checkov")


def checkov_env(context_file: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BC_", "PRISMA_", "CKV_"))}
    env.update(
        {
            CONTEXT_ENV: str(context_file),
            "EVAL_TF_PLAN_AFTER_UNKNOWN": "true",  # unknown-at-plan values show as "true_after_unknown"
            "BC_SKIP_MAPPING": "TRUE",  # no guideline/mapping download
            "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
            # checkov gives up on a .tf file whose parsing takes over 10 s (a parsing error): on a
            # loaded machine modules/karpenter/variables.tf can take that long.
            "HCL_PARSE_TIMEOUT_SEC": "300",
            "LOG_LEVEL": "WARNING",
            "PYTHONWARNINGS": "ignore",
            "ANSI_COLORS_DISABLED": "1",
        }
    )
    return env


_DRIVER = (
    "import json, os, sys, warnings; warnings.simplefilter('ignore'); "
    "from checkov.main import Checkov; "
    "line = sys.stdin.readline(); "
    "req = json.loads(line) if line.strip() else None; "
    "req is None and sys.exit(0); "
    "os.environ.update(req['env']); "
    "sys.exit(Checkov(argv=req['argv']).run())"
)
_MAIN = (
    "import sys, warnings; warnings.simplefilter('ignore'); "
    "from checkov.main import Checkov; sys.exit(Checkov().run())"
)


class CheckovProcess:
    """A checkov process started ahead of its one request (see the module docstring).

    :func:`run_checkov` uses it once, for a scan of the same project root; unused, it is
    told to exit when the ``with`` block ends.
    """

    def __init__(self, cwd: Path, proc: subprocess.Popen[str]) -> None:
        self.cwd = cwd.resolve()
        self._proc: subprocess.Popen[str] | None = proc

    @classmethod
    def start(cls, project_root: Path) -> CheckovProcess:
        # Killed by the kernel when the toolkit dies, so an interrupted run leaves no checkov behind.
        proc = popen([sys.executable, "-c", _DRIVER], cwd=project_root, env=checkov_env(Path(os.devnull)),
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return cls(project_root, proc)

    def take(self, cwd: Path) -> subprocess.Popen[str] | None:
        """The process, once, if it is still waiting and was started in ``cwd``."""
        proc = self._proc
        if proc is None or self.cwd != cwd.resolve() or proc.poll() is not None:
            return None
        self._proc = None
        return proc

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            try:
                proc.communicate(input="\n", timeout=30)
            except (subprocess.TimeoutExpired, OSError):
                proc.kill()
                proc.wait()

    def __enter__(self) -> CheckovProcess:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def run_checkov(
    project_root: Path,
    files: Sequence[Path],
    checks_dir: Path,
    context: dict[str, Any],
    *,
    enrichment_root: Path | None = None,
    timeout: float = 900.0,
    process: CheckovProcess | None = None,
) -> list[Report]:
    """One checkov process over ``files`` (``process`` if it can serve, else a new one);
    returns its JSON reports (one per framework)."""
    global runs
    with tempfile.TemporaryDirectory(prefix="infra-scan-") as tmp:
        tmpdir = Path(tmp)
        ctx_file = tmpdir / "context.json"
        ctx_file.write_text(json.dumps(context), encoding="utf-8")
        out_dir = tmpdir / "out"
        args: list[str] = []
        for f in files:
            args += ["-f", str(f)]
        args += ["--framework", *FRAMEWORKS, "--external-checks-dir", str(checks_dir), "--skip-download",
                 "--soft-fail", "--compact", "-o", "json", "--output-file-path", str(out_dir)]
        if enrichment_root is not None and enrichment_root.is_dir():
            args += ["--repo-root-for-plan-enrichment", str(enrichment_root)]
        argv = [sys.executable, "-c", _MAIN, *args]
        runs += 1
        warm = process.take(project_root) if process is not None else None
        request = None
        if warm is not None:
            request = json.dumps({"argv": args, "env": {CONTEXT_ENV: str(ctx_file)}}) + "\n"
        child = warm or popen(argv, cwd=project_root, env=checkov_env(ctx_file), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out, err = child.communicate(input=request, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ToolError(f"checkov did not finish within {timeout:.0f}s") from None
        finally:
            if child.poll() is None:  # timed out, or interrupted: never leave it running
                child.kill()
                child.wait()
        proc = subprocess.CompletedProcess(argv, child.returncode, out, err)
        result = out_dir / "results_json.json"
        if proc.returncode != 0 or not result.is_file():
            tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
            raise ToolError(f"checkov failed (exit {proc.returncode}): {tail or 'no output'}")
        data = json.loads(result.read_text(encoding="utf-8"))
    reports = data if isinstance(data, list) else [data]
    return [r for r in reports if isinstance(r, dict) and "results" in r]


def records(reports: list[Report]) -> list[Record]:
    """Every passed, failed and skipped (inline ``#checkov:skip``) check of ``reports``; a parsing
    error of checkov is a ``ToolError``."""
    out: list[Record] = []
    for report in reports:
        check_type = report.get("check_type")
        results = report.get("results") or {}
        errors = results.get("parsing_errors") or []
        if errors:
            raise ToolError(f"checkov could not parse: {', '.join(map(str, errors[:3]))}")
        for key, status in (("failed_checks", "failed"), ("passed_checks", "passed"), ("skipped_checks", "skipped")):
            for rec in results.get(key) or []:
                lines = rec.get("file_line_range") or [None, None]
                record = Record(
                    check_type=check_type,
                    check_id=str(rec.get("check_id")),
                    title=rec.get("check_name") or "",
                    resource=rec.get("resource_address") or rec.get("resource") or "",
                    file_path=rec.get("file_path") or "",
                    abs_path=rec.get("file_abs_path") or "",
                    line=lines[0] if lines and isinstance(lines[0], int) and lines[0] > 0 else None,
                    status="failed" if status == "failed" else "skipped" if status == "skipped" else "passed",
                )
                if status == "skipped":
                    result = rec.get("check_result") or {}
                    record["skip_reason"] = str(result.get("suppress_comment") or "").strip()
                out.append(record)
    return out
