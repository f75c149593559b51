"""go-plugin server for the sandbox provider: ``python -m infra_sandbox.server``.

Terraform starts the plugin executable with ``TF_PLUGIN_MAGIC_COOKIE`` and
``PLUGIN_CLIENT_CERT`` set and reads one handshake line from its stdout::

    1|6|tcp|127.0.0.1:PORT|grpc|BASE64-DER-CERT

The server uses TLS with a fresh self-signed certificate (sent in the
handshake). It does not verify Terraform's client certificate: Python gRPC
cannot pin a self-signed client certificate the way go-plugin's AutoMTLS does,
and the socket only listens on the loopback interface.

``python -m infra_sandbox.server --reattach SOCKET`` is the long-running mode
behind :mod:`infra_sandbox.reattach`. go-plugin's reattach has no TLS, so
that server listens on a Unix domain socket instead of TCP: the socket file is
mode 0600 inside a private 0700 directory made by the parent, so only the same
user (and root) can connect, and no network listener is opened. Its handshake
line is ``1|6|unix|SOCKET|grpc|``. A small relay in front of the gRPC server
(itself on a second 0600 socket in the same directory) gives each connection a
distinct peer address, which the provider uses to keep one configuration per
Terraform provider instance. Only where the platform has no ``AF_UNIX``
(``--reattach`` without a path) does it fall back to plaintext TCP on 127.0.0.1.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import itertools
import os
import signal
import socket
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
CORE_PROTOCOL_VERSION = 1
APP_PROTOCOL_VERSION = 6


def _self_signed() -> tuple[bytes, bytes, bytes]:
    """(cert PEM, key PEM, cert DER) for CN/SAN localhost, as go-plugin makes them."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "HashiCorp"),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(seconds=30))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_encipherment=True,
                key_cert_sign=True,
                content_commitment=False,
                data_encipherment=False,
                key_agreement=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert_pem, key_pem, cert.public_bytes(serialization.Encoding.DER)


def _fast_protocol_imports() -> None:
    """Import pyvider's generated modules without running its package ``__init__``.

    ``import pyvider`` loads its whole framework (~170 ms); the plugin needs only
    the generated tfplugin6 and go-plugin controller modules. Used in the
    plugin process only, where nothing else imports pyvider.
    """
    import importlib.util
    import types

    if "pyvider" in sys.modules:
        return
    spec = importlib.util.find_spec("pyvider")
    if spec is None or not spec.submodule_search_locations:
        return
    base = Path(next(iter(spec.submodule_search_locations)))
    for name in (
        "pyvider",
        "pyvider.protocols",
        "pyvider.protocols.tfprotov6",
        "pyvider.protocols.tfprotov6.protobuf",
        "pyvider.rpcplugin",
        "pyvider.rpcplugin.protocol",
    ):
        module = types.ModuleType(name)
        module.__path__ = [str(base.joinpath(*name.split(".")[1:]))]
        sys.modules[name] = module


def _check_private_dir(path: Path) -> None:
    parent = path.parent.lstat()
    if not stat.S_ISDIR(parent.st_mode) or parent.st_uid != os.getuid() or stat.S_IMODE(parent.st_mode) & 0o077:
        raise OSError(f"{path.parent}: reattach socket directory must be a private (0700) directory of this user")


def _check_socket(path: Path) -> None:
    os.chmod(path, 0o600)
    mode = path.lstat().st_mode
    if not stat.S_ISSOCK(mode) or stat.S_IMODE(mode) != 0o600:
        raise OSError(f"{path}: reattach socket is not a 0600 socket")


@contextlib.contextmanager
def _private_umask() -> Iterator[None]:
    """Sockets bound inside are created 0600 (narrowed only around the bind).

    The umask is process-wide: used only before the server starts serving.
    """
    old = os.umask(0o177)
    try:
        yield
    finally:
        os.umask(old)


def _bind_unix(server: Any, path: Path) -> None:
    """Bind the gRPC ``server`` to the Unix socket ``path`` (0600, in a private dir)."""
    _check_private_dir(path)
    with _private_umask():
        bound = server.add_insecure_port(f"unix:{path}")
    if not bound:
        raise OSError(f"{path}: cannot listen on this Unix socket")
    _check_socket(path)


def _pump(src: socket.socket, dst: socket.socket, done: Callable[[], None]) -> None:
    try:
        while data := src.recv(1 << 18):
            dst.sendall(data)
    except OSError:
        pass  # either side went away; the other pump sees it too
    finally:
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)
        done()


def _relay(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways between ``a`` and ``b``; close both when both directions end."""
    remaining = [2]
    lock = threading.Lock()

    def done() -> None:
        with lock:
            remaining[0] -= 1
            last = remaining[0] == 0
        if last:
            a.close()
            b.close()

    threading.Thread(target=_pump, args=(a, b, done), daemon=True).start()
    threading.Thread(target=_pump, args=(b, a, done), daemon=True).start()


def _front_door(path: Path, backend: Path) -> socket.socket:
    """Listen on ``path`` and relay each connection to the gRPC server on ``backend``.

    The provider keeps one configuration per connection, keyed by the gRPC peer
    address. Terraform's client sockets are unnamed, so every connection on a
    Unix socket has the same peer (``unix:``). The relay connects to the gRPC
    server from a socket bound to a fresh name in the private directory (the
    name is unlinked at once; the kernel keeps it as the peer address), so each
    Terraform connection keeps a distinct peer.
    """
    _check_private_dir(path)
    front = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with _private_umask():
        front.bind(str(path))
    _check_socket(path)
    front.listen(64)
    numbers = itertools.count()

    def accept_loop() -> None:
        while True:
            try:
                conn, _ = front.accept()
            except OSError:
                return  # closed at shutdown
            up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            name = path.parent / f"c{next(numbers)}"
            try:
                # No umask change here (other threads may be writing the cache):
                # the name lives in the 0700 directory and is gone right after.
                up.bind(str(name))
                up.connect(str(backend))
            except OSError:
                conn.close()
                up.close()
                continue
            finally:
                with contextlib.suppress(OSError):
                    name.unlink()
            _relay(conn, up)

    threading.Thread(target=accept_loop, daemon=True).start()
    return front


def serve(schema_path: Path, *, reattach: bool = False, socket_path: Path | None = None) -> int:
    """Serve until Terraform shuts us down (or, with ``reattach``, until stdin closes).

    ``reattach`` is the long-running mode behind :mod:`infra_sandbox.reattach`:
    Terraform connects through ``TF_REATTACH_PROVIDERS`` instead of starting a
    process per command step. go-plugin's reattach has no TLS, so the server
    listens in plaintext on the Unix socket ``socket_path`` (0600, in the
    parent's private 0700 directory: only the same user can connect, no network
    listener) and lives only as long as the parent's pipe. Without
    ``socket_path`` (platforms without ``AF_UNIX``) it falls back to plaintext
    TCP on 127.0.0.1, reachable by every local user.
    """
    import grpc
    from grpc_health.v1 import health, health_pb2, health_pb2_grpc
    from pyvider.protocols.tfprotov6.protobuf import tfplugin6_pb2_grpc as pb_grpc
    from pyvider.rpcplugin.protocol import grpc_controller_pb2, grpc_controller_pb2_grpc

    from infra_sandbox.provider import SandboxProvider

    stop = threading.Event()
    # Ctrl-C reaches the whole process group; Terraform decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    class Controller(grpc_controller_pb2_grpc.GRPCControllerServicer):
        def Shutdown(self, request: Any, context: Any) -> Any:
            if not reattach:  # a reattached server belongs to the toolkit, not to Terraform
                stop.set()
            return grpc_controller_pb2.Empty()

    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8),
        options=[("grpc.max_receive_message_length", 256 << 20), ("grpc.max_send_message_length", 256 << 20)],
    )
    pb_grpc.add_ProviderServicer_to_server(SandboxProvider(schema_path), server)  # type: ignore[no-untyped-call]
    grpc_controller_pb2_grpc.add_GRPCControllerServicer_to_server(Controller(), server)  # type: ignore[no-untyped-call]
    health_servicer = health.HealthServicer()
    health_servicer.set("plugin", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)

    if reattach:
        if socket_path is not None:
            backend = socket_path.parent / "g"
            _bind_unix(server, backend)
            network, address = "unix", str(socket_path)
        else:  # no AF_UNIX on this platform: the documented TCP fallback
            network, address = "tcp", f"127.0.0.1:{server.add_insecure_port('127.0.0.1:0')}"
        cert_b64 = ""

        def _watch_parent() -> None:
            sys.stdin.buffer.read()  # returns at EOF: the parent is gone or done
            stop.set()

        threading.Thread(target=_watch_parent, daemon=True).start()
    else:
        cert_pem, key_pem, cert_der = _self_signed()
        creds = grpc.ssl_server_credentials([(key_pem, cert_pem)], require_client_auth=False)
        network, address = "tcp", f"127.0.0.1:{server.add_secure_port('127.0.0.1:0', creds)}"
        cert_b64 = base64.b64encode(cert_der).decode().rstrip("=")
    server.start()
    if reattach and socket_path is not None:
        _front_door(socket_path, socket_path.parent / "g")
    sys.stdout.write(f"{CORE_PROTOCOL_VERSION}|{APP_PROTOCOL_VERSION}|{network}|{address}|grpc|{cert_b64}\n")
    sys.stdout.flush()

    stop.wait()
    # Let the Shutdown reply go out, then leave without the slow interpreter teardown.
    server.stop(grace=0.2).wait(0.5)
    if socket_path is not None:
        for leftover in (socket_path, socket_path.parent / "g"):
            with contextlib.suppress(OSError):  # the parent removes the whole directory anyway
                leftover.unlink()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def main() -> int:
    args = sys.argv[1:]
    reattach = args[:1] == ["--reattach"] and len(args) <= 2
    socket_path = Path(args[1]) if reattach and len(args) == 2 else None
    if socket_path is not None and not hasattr(socket, "AF_UNIX"):
        sys.stderr.write("this platform has no Unix domain sockets; start with --reattach alone\n")
        return 1
    if not reattach and os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        sys.stderr.write(
            "This is the infra sandbox provider for hashicorp/aws, a Terraform plugin.\n"
            "Terraform starts it; it is not meant to be run directly.\n"
        )
        return 1
    versions = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", "6")
    if "6" not in versions.split(","):
        sys.stderr.write(f"sandbox provider speaks protocol 6, Terraform offers {versions}\n")
        return 1
    from infra_sandbox.schema import schema_path_from_env

    try:
        path = schema_path_from_env()
    except Exception as exc:  # reported on stderr, Terraform shows it
        sys.stderr.write(f"{exc}\n")
        return 1
    _fast_protocol_imports()
    try:
        return serve(path, reattach=reattach, socket_path=socket_path)
    except OSError as exc:  # the parent reports stderr when there is no handshake
        sys.stderr.write(f"{exc}\n")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
