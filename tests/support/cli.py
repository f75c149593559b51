"""The ``infra`` CLI called in-process, outside pytest's per-test capture (for session fixtures)."""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(*args: str) -> Result:
    """``infra ARGS`` in this process with stdout/stderr captured (NO_COLOR, no INFRA_ENV)."""
    from toolkit.cli import run

    saved = {k: os.environ.get(k) for k in ("NO_COLOR", "INFRA_ENV")}
    os.environ["NO_COLOR"] = "1"
    os.environ.pop("INFRA_ENV", None)
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run(list(args))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return Result(code, out.getvalue(), err.getvalue())
