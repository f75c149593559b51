"""One long-running sandbox provider shared by many Terraform commands.

Terraform normally starts the provider plugin for every step of every command
(three times for a plan, twice per ``run`` block of ``terraform test``). With
``TF_REATTACH_PROVIDERS`` it connects to a running server instead::

    with reattached_provider(inst) as env:
        Terraform(stack, env={**inst.env(), **env}).plan(...)

``init`` still needs the filesystem mirror (``inst.env()``): Terraform records
the provider in the lock file even when it is reattached. Each Terraform
provider instance gets its own connection, and the server keeps one provider
configuration (region, account, default tags) per connection, so aliases and
parallel commands do not mix.

Security: go-plugin's reattach protocol has no TLS, so the server listens on a
Unix domain socket, never on a network port. The socket (mode 0600) lives in a
fresh private directory (mode 0700, ``tempfile.mkdtemp`` under the cache dir,
or under ``$TMPDIR`` when the cache path is too long for a socket address), so
only the same user (and root) can connect to it and read what it hands out
(e.g. ephemeral random passwords). The directory is removed when the context
exits, also on errors. Only on a platform without ``AF_UNIX`` does the server
fall back to plaintext TCP on 127.0.0.1, which every local user can reach.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from infra_sandbox.errors import SandboxError
from infra_sandbox.install import SandboxInstall
from infra_sandbox.schema import PROVIDER_ADDRESSES

REATTACH_ENV = "TF_REATTACH_PROVIDERS"


# sun_path holds 108 bytes on Linux and 104 on macOS, terminating NUL included.
_MAX_SOCKET_PATH = 100
_SOCKET_NAME = "provider.sock"


_OWNER_FILE = "owner.pid"
_HALF_MADE_SECONDS = 60.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_socket_dirs(base: Path) -> list[Path]:
    """Remove ``reattach-*`` directories left by a toolkit process that died (SIGKILL, power loss)."""
    removed = []
    for path in sorted(base.glob("reattach-*")):
        if not path.is_dir() or path.is_symlink():
            continue
        try:
            owner = int((path / _OWNER_FILE).read_text().strip())
        except (OSError, ValueError):
            owner = 0  # no owner recorded yet: being made right now by a parallel run, or left half-made
        if owner and _alive(owner):
            continue
        if not owner and time.time() - path.stat().st_mtime < _HALF_MADE_SECONDS:
            continue  # another region of this run (or another run) is creating it this instant
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _private_socket_dir(cache_dir: Path) -> Path:
    """A fresh 0700 directory whose socket path fits in a ``sockaddr_un``, owned by this process."""
    # mkdtemp adds "/" + prefix + 8 random characters; the socket name follows.
    room = len("/reattach-") + 8 + len("/" + _SOCKET_NAME)
    for base in (cache_dir, Path(tempfile.gettempdir()), Path("/tmp")):
        if len(os.fsencode(base.resolve())) + room <= _MAX_SOCKET_PATH and base.is_dir():
            remove_stale_socket_dirs(base.resolve())
            path = Path(tempfile.mkdtemp(prefix="reattach-", dir=base.resolve()))
            os.chmod(path, 0o700)  # mkdtemp already makes it 0700; be explicit
            (path / _OWNER_FILE).write_text(f"{os.getpid()}\n")
            return path
    raise SandboxError(f"no directory with a path short enough for a Unix socket (tried {cache_dir} and $TMPDIR)")


Spawn = Callable[..., "subprocess.Popen[str]"]


@contextmanager
def reattached_provider(inst: SandboxInstall, *, timeout: float = 60.0,
                        extra_env: dict[str, str] | None = None, spawn: Spawn | None = None,
                        cancelled: Callable[[], bool] | None = None) -> Iterator[dict[str, str]]:
    """Start the provider once; yield the env that makes Terraform reattach to it.

    ``extra_env`` reaches the provider process (e.g. ``INFRA_SANDBOX_WORLD``, the account id):
    a reattached provider does not see the environment of the Terraform that uses it.
    ``spawn`` starts the server instead of ``subprocess.Popen`` (the toolkit passes one that
    puts it in its own session, so a terminal's Ctrl-C reaches only the toolkit, and makes
    the kernel end it if the toolkit dies). When ``cancelled()`` is true at exit (the run
    was interrupted), the server gets 2 seconds to stop instead of ``timeout``.

    The server listens on a 0600 Unix socket in a private 0700 directory (see
    the module docstring); the directory is removed on exit.
    """
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "TMPDIR", "LANG")}
    env.update(inst.env())
    env.update(extra_env or {})
    package_root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = package_root
    sock_dir = _private_socket_dir(inst.cache_dir) if hasattr(socket, "AF_UNIX") else None
    try:
        args = ["--reattach"] if sock_dir is None else ["--reattach", str(sock_dir / _SOCKET_NAME)]
        with _server(args, env, timeout, spawn or subprocess.Popen, cancelled) as (pid, network, address):
            entry = {"Protocol": "grpc", "ProtocolVersion": 6, "Pid": pid, "Test": True,
                     "Addr": {"Network": network, "String": address}}
            config = dict.fromkeys(PROVIDER_ADDRESSES, entry)
            yield {REATTACH_ENV: json.dumps(config, separators=(",", ":"))}
    finally:
        if sock_dir is not None:
            shutil.rmtree(sock_dir, ignore_errors=True)


@contextmanager
def _server(args: list[str], env: dict[str, str], timeout: float, spawn: Spawn,
            cancelled: Callable[[], bool] | None) -> Iterator[tuple[int, str, str]]:
    """Run the reattach server; yield (pid, network, address) from its handshake."""
    expected = "unix" if len(args) > 1 else "tcp"
    proc = spawn(
        [sys.executable, "-m", "infra_sandbox.server", *args],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        parts = line.split("|")
        if len(parts) < 5 or parts[2] != expected:
            err = proc.stderr.read() if proc.stderr and proc.poll() is not None else ""
            raise SandboxError(f"sandbox provider did not start: {line or err.strip() or 'no handshake'}")
        yield proc.pid, parts[2], parts[3]
    finally:
        if proc.stdin is not None:
            proc.stdin.close()  # the server stops at EOF
        try:
            proc.wait(timeout=2.0 if cancelled is not None and cancelled() else timeout)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=2.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
