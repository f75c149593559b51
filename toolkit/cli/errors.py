"""Exit codes and the last line of defence around every command.

0 ok, 1 user error (one line), 2 usage error (or changes, with --detailed-exitcode),
3 unexpected error (one line plus the path of a log file holding the traceback), 130 Ctrl-C.
"""

from __future__ import annotations

import datetime as _dt
import os
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path

import click
from rich.console import Console

from infra_sandbox.errors import SandboxError
from toolkit.errors import InfraError
from toolkit.paths import cache_dir

EXIT_OK, EXIT_USER, EXIT_USAGE, EXIT_UNEXPECTED, EXIT_INTERRUPT = 0, 1, 2, 3, 130


def crash_log(exc: BaseException) -> Path:
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%S")
    log_dir = cache_dir() / "logs"
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
    except OSError:
        log_dir = Path(tempfile.gettempdir())
    path = log_dir / f"crash-{stamp}-{os.getpid()}.log"
    path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
    return path


def guarded(invoke: Callable[[], object]) -> int:
    """Run a click command in non-standalone mode and map every outcome to an exit code."""
    err = Console(stderr=True, highlight=False, no_color=bool(os.environ.get("NO_COLOR")))
    try:
        code = invoke()
        return code if isinstance(code, int) else EXIT_OK
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:
        err.print("aborted", markup=False)
        return EXIT_INTERRUPT
    except click.ClickException as exc:
        exc.show()
        return int(exc.exit_code)
    except (InfraError, SandboxError) as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        return int(getattr(exc, "exit_code", EXIT_USER))
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        return EXIT_INTERRUPT
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:
        if exc.filename is None:
            return unexpected(err, exc)
        # A path the user gave or owns (artifacts, --out): their problem to fix, not a crash.
        err.print(f"error: {exc.filename}: {exc.strerror or exc}", markup=False, soft_wrap=True)
        return EXIT_USER
    except Exception as exc:  # the last line of defence
        return unexpected(err, exc)


def unexpected(err: Console, exc: BaseException) -> int:
    path = crash_log(exc)
    first = str(exc).splitlines()[0] if str(exc) else ""
    err.print(f"unexpected error: {type(exc).__name__}: {first} (traceback in {path})", markup=False, soft_wrap=True)
    return EXIT_UNEXPECTED
