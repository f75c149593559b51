"""Terraform children stop when the run is cancelled, and never outlive the toolkit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from toolkit.adapters.terraform.process import Cancelled, CancelToken, popen
from toolkit.adapters.terraform.runner import Engine, Terraform

TRAP = textwrap.dedent("""\
    import signal, sys, time
    mode = sys.argv[1]
    if mode == "graceful":
        signal.signal(signal.SIGINT, lambda *a: (print("interrupted", flush=True), sys.exit(1)))
    else:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    print("ready", flush=True)
    time.sleep(60)
""")


def _start(token: CancelToken, mode: str) -> subprocess.Popen[str]:
    proc = popen([sys.executable, "-c", TRAP, mode], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    token.track(proc)
    return proc


def test_cancel_interrupts_first(tmp_path: Path) -> None:
    token = CancelToken(grace_seconds=5)
    proc = _start(token, "graceful")
    token.cancel()
    assert proc.returncode == 1
    assert proc.stdout is not None and proc.stdout.read().strip() == "interrupted"  # its own SIGINT handler ran


def test_a_child_that_ignores_the_interrupt_is_terminated_after_the_grace_period() -> None:
    token = CancelToken(grace_seconds=0.5)
    proc = _start(token, "stubborn")
    started = time.monotonic()
    token.cancel()
    assert proc.returncode == -signal.SIGTERM
    assert time.monotonic() - started < 5


def test_commands_after_cancel_do_not_start(tmp_path: Path) -> None:
    token = CancelToken()
    token.cancel()
    tf = Terraform(tmp_path, engine=Engine("binary", Path(sys.executable)), cancel=token)
    with pytest.raises(Cancelled, match="interrupted: terraform version not started"):
        tf.run(["version"])


def test_children_die_with_the_toolkit(tmp_path: Path) -> None:
    """SIGKILL of the parent: the kernel sends the child SIGTERM (parent-death signal)."""
    pid_file = tmp_path / "child.pid"
    parent = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""\
        import sys, time
        from toolkit.adapters.terraform.process import popen
        child = popen([sys.executable, "-c", "import time; time.sleep(60)"])
        open({str(pid_file)!r}, "w").write(str(child.pid))
        time.sleep(60)
    """)])
    for _ in range(100):
        if pid_file.exists() and pid_file.read_text():
            break
        time.sleep(0.05)
    child = int(pid_file.read_text())
    parent.kill()
    parent.wait()
    for _ in range(100):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail("the child outlived its killed parent")
