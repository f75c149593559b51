"""Child processes that stop when asked, and never outlive the toolkit.

Terraform runs in its own session (a terminal's Ctrl-C reaches only the toolkit, which then
decides), with the parent-death signal set on Linux: if the toolkit is killed (SIGKILL), the
kernel sends SIGTERM to its children, so no Terraform or provider process is left behind.

:class:`CancelToken` is how a run is stopped: ``cancel()`` sends each running child SIGINT
(Terraform's own interrupt: it stops gracefully and releases a state lock it holds), then
SIGTERM to those still running after the grace period, then SIGKILL; commands not yet
started raise :class:`Cancelled` instead of starting.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

from toolkit.errors import ToolError

_PR_SET_PDEATHSIG = 1


class Cancelled(ToolError):
    """The run was interrupted before or while this command ran."""


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            pass


def popen(cmd: Sequence[str], **kwargs: Any) -> subprocess.Popen[str]:
    """``subprocess.Popen`` in a new session, terminated by the kernel if this process dies."""
    return subprocess.Popen(cmd, start_new_session=True, preexec_fn=_die_with_parent, **kwargs)


class CancelToken:
    """Shared by the commands of one run; ``cancel()`` stops them (see the module docstring)."""

    def __init__(self, grace_seconds: float = 10.0) -> None:
        self.grace_seconds = grace_seconds
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[str]] = set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self, what: str) -> None:
        if self._event.is_set():
            raise Cancelled(f"interrupted: {what} not started")

    def track(self, proc: subprocess.Popen[str]) -> None:
        with self._lock:
            self._running.add(proc)
        if self._event.is_set():  # cancelled between check() and start
            _signal(proc, signal.SIGINT)

    def untrack(self, proc: subprocess.Popen[str]) -> None:
        with self._lock:
            self._running.discard(proc)

    def cancel(self) -> None:
        """Interrupt every running child; returns when all have exited (at most ~grace + 2 s)."""
        self._event.set()
        with self._lock:
            procs = list(self._running)
        for proc in procs:
            _signal(proc, signal.SIGINT)
        deadline = time.monotonic() + self.grace_seconds
        for sig, until in ((signal.SIGTERM, deadline), (signal.SIGKILL, deadline + 2.0)):
            for proc in procs:
                remaining = until - time.monotonic()
                try:
                    proc.wait(timeout=max(remaining, 0.01))
                except subprocess.TimeoutExpired:
                    _signal(proc, sig)
        for proc in procs:
            try:
                proc.wait(timeout=2.0)
            except subprocess.TimeoutExpired:
                pass


def _signal(proc: subprocess.Popen[str], sig: int) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)  # the child leads its own session: its process group is its pid
        except (ProcessLookupError, PermissionError):
            pass
