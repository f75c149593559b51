"""The reattach server: a private Unix socket, no network listener, cleaned up on exit."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from infra_sandbox.install import SandboxInstall, prepare_workdir
from infra_sandbox.reattach import REATTACH_ENV, reattached_provider
from infra_sandbox.schema import PROVIDER_ADDRESS
from infra_sandbox.server import MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE
from tests.support import REPO
from tests.support.sandbox import FIXTURES
from toolkit.adapters.terraform.runner import Terraform

pytestmark = pytest.mark.skipif(not Path("/proc/self/net/tcp").exists(),
                                reason="reads the server's sockets from Linux /proc/<pid>/net: not on this OS")

TCP_LISTEN = "0A"


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def _listening_tcp_ports(pid: int) -> set[int]:
    """Ports of the TCP (v4 and v6) sockets in LISTEN state that process ``pid`` holds."""
    mine = _socket_inodes(pid)
    ports = set()
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == TCP_LISTEN and inode in mine:
                ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


def _unix_socket_paths(pid: int) -> set[str]:
    mine = _socket_inodes(pid)
    paths = set()
    for line in Path(f"/proc/{pid}/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 8 and fields[6] in mine:
            paths.add(fields[7])
    return paths


def _reattach_config(env: dict[str, str]) -> dict[str, object]:
    config: dict[str, object] = json.loads(env[REATTACH_ENV])[PROVIDER_ADDRESS]
    return config


def test_reattach_listens_on_a_private_unix_socket_and_no_tcp_port(sandbox: SandboxInstall) -> None:
    with reattached_provider(sandbox) as env:
        config = _reattach_config(env)
        addr = config["Addr"]
        assert isinstance(addr, dict) and addr["Network"] == "unix"
        sock = Path(addr["String"])
        pid = config["Pid"]
        assert isinstance(pid, int)
        sock_stat, dir_stat = sock.lstat(), sock.parent.lstat()
        assert stat.S_ISSOCK(sock_stat.st_mode) and stat.S_IMODE(sock_stat.st_mode) == 0o600
        assert stat.S_ISDIR(dir_stat.st_mode) and stat.S_IMODE(dir_stat.st_mode) == 0o700
        assert dir_stat.st_uid == os.getuid() == sock_stat.st_uid
        assert sock.parent.parent in (sandbox.cache_dir.resolve(), Path(tempfile.gettempdir()).resolve(), Path("/tmp"))
        # The server holds the socket Terraform is told about, and no TCP listener at all.
        assert str(sock) in _unix_socket_paths(pid)
        assert _listening_tcp_ports(pid) == set()
        # The socket serves gRPC (plaintext is fine: only this user can reach it).
        with grpc.insecure_channel(f"unix:{sock}") as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service="plugin"), timeout=10
            )
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    assert not sock.parent.exists()
    assert not Path(f"/proc/{pid}").exists()


def test_tcp_listener_check_sees_the_normal_tls_plugin(sandbox: SandboxInstall) -> None:
    """The /proc check above is not vacuous: the per-step TLS plugin is found listening on TCP."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME")}
    env.update(sandbox.env())
    env[MAGIC_COOKIE_KEY] = MAGIC_COOKIE_VALUE
    env["PLUGIN_PROTOCOL_VERSIONS"] = "6"
    proc = subprocess.Popen(
        [str(sandbox.plugin_path)], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        network, address = proc.stdout.readline().split("|")[2:4]
        assert network == "tcp"
        assert _listening_tcp_ports(proc.pid) == {int(address.rsplit(":", 1)[1])}
    finally:
        proc.kill()
        proc.wait(timeout=30)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()


def test_socket_directory_removed_and_server_stopped_on_error(sandbox: SandboxInstall) -> None:
    with pytest.raises(RuntimeError, match="boom"), reattached_provider(sandbox) as env:
        config = _reattach_config(env)
        addr = config["Addr"]
        assert isinstance(addr, dict)
        sock_dir = Path(addr["String"]).parent
        assert sock_dir.is_dir()
        raise RuntimeError("boom")
    assert not sock_dir.exists()
    assert not Path(f"/proc/{config['Pid']}").exists()


def test_server_refuses_a_socket_in_a_shared_directory(sandbox: SandboxInstall, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME")}
    env.update(sandbox.env())
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.run(
        [sys.executable, "-m", "infra_sandbox.server", "--reattach", str(shared / "provider.sock")],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1 and proc.stdout == ""
    assert "private (0700) directory" in proc.stderr
    assert not (shared / "provider.sock").exists()


def test_init_validate_plan_and_test_through_the_unix_socket(sandbox: SandboxInstall, tmp_path: Path) -> None:
    workdir = prepare_workdir(FIXTURES / "stack", tmp_path / "stack")
    with reattached_provider(sandbox) as reattach_env:
        addr = _reattach_config(reattach_env)["Addr"]
        assert isinstance(addr, dict) and addr["Network"] == "unix"
        tf = Terraform(workdir, env={**sandbox.env(), **reattach_env})
        tf.init(backend=False)
        assert tf.validate().valid
        plan = tf.plan(workdir / "tfplan", var_files=[workdir / "sandbox.tfvars.json"])
        assert plan.has_changes
        shown = tf.show_json(plan.plan_file)
        addresses = {rc["address"] for rc in shown["resource_changes"]}
        assert {"aws_vpc.this", "aws_kms_key.this", "aws_secretsmanager_secret.db"} <= addresses
        result = tf.test()
        assert result.passed, result.output
        assert "1 passed, 0 failed" in result.output


def test_socket_dirs_of_dead_processes_are_removed_at_start(sandbox: SandboxInstall) -> None:
    from infra_sandbox.reattach import remove_stale_socket_dirs

    base = sandbox.cache_dir
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = base / "reattach-deadbeef"
    stale.mkdir(mode=0o700)
    (stale / "owner.pid").write_text(f"{dead.pid}\n")
    (stale / "provider.sock").write_text("")
    orphan = base / "reattach-noowner1"
    orphan.mkdir(mode=0o700)
    os.utime(orphan, (time.time() - 120, time.time() - 120))  # half-made long ago: stale
    fresh = base / "reattach-beingmade"
    fresh.mkdir(mode=0o700)  # no owner yet, just created (a parallel region): kept
    live = base / "reattach-liveowner"
    live.mkdir(mode=0o700)
    (live / "owner.pid").write_text(f"{os.getpid()}\n")
    try:
        assert sorted(remove_stale_socket_dirs(base)) == sorted([stale, orphan])
        assert not stale.exists() and not orphan.exists() and live.is_dir() and fresh.is_dir()
        with reattached_provider(sandbox) as env:
            assert env[REATTACH_ENV]
        assert live.is_dir()  # another live run's directory is left alone
        assert not [p for p in base.glob("reattach-*") if p not in (live, fresh)]  # ours is gone after use
    finally:
        shutil.rmtree(live, ignore_errors=True)
        shutil.rmtree(fresh, ignore_errors=True)
