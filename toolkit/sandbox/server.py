"""go-plugin server for the sandbox provider: ``python -m toolkit.sandbox.server``.

Terraform starts the plugin executable with ``TF_PLUGIN_MAGIC_COOKIE`` and
``PLUGIN_CLIENT_CERT`` set and reads one handshake line from its stdout::

    1|6|tcp|127.0.0.1:PORT|grpc|BASE64-DER-CERT

The server uses TLS with a fresh self-signed certificate (sent in the
handshake). It does not verify Terraform's client certificate: Python gRPC
cannot pin a self-signed client certificate the way go-plugin's AutoMTLS does,
and the socket only listens on the loopback interface.
"""

from __future__ import annotations

import base64
import datetime
import os
import signal
import sys
import threading
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
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "HashiCorp")])
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
            x509.KeyUsage(digital_signature=True, key_encipherment=True, key_cert_sign=True,
                          content_commitment=False, data_encipherment=False, key_agreement=True,
                          crl_sign=False, encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
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
    for name in ("pyvider", "pyvider.protocols", "pyvider.protocols.tfprotov6",
                 "pyvider.protocols.tfprotov6.protobuf", "pyvider.rpcplugin", "pyvider.rpcplugin.protocol"):
        module = types.ModuleType(name)
        module.__path__ = [str(base.joinpath(*name.split(".")[1:]))]
        sys.modules[name] = module


def serve(schema_path: Path) -> int:
    import grpc  # type: ignore[import-untyped]
    from grpc_health.v1 import health, health_pb2, health_pb2_grpc  # type: ignore[import-untyped]
    from pyvider.protocols.tfprotov6.protobuf import tfplugin6_pb2_grpc as pb_grpc
    from pyvider.rpcplugin.protocol import grpc_controller_pb2, grpc_controller_pb2_grpc

    from toolkit.sandbox.provider import SandboxProvider

    stop = threading.Event()
    # Ctrl-C reaches the whole process group; Terraform decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    class Controller(grpc_controller_pb2_grpc.GRPCControllerServicer):
        def Shutdown(self, request: Any, context: Any) -> Any:
            stop.set()
            return grpc_controller_pb2.Empty()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8),
                         options=[("grpc.max_receive_message_length", 256 << 20),
                                  ("grpc.max_send_message_length", 256 << 20)])
    pb_grpc.add_ProviderServicer_to_server(SandboxProvider(schema_path), server)  # type: ignore[no-untyped-call]
    grpc_controller_pb2_grpc.add_GRPCControllerServicer_to_server(Controller(), server)  # type: ignore[no-untyped-call]
    health_servicer = health.HealthServicer()
    health_servicer.set("plugin", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)

    cert_pem, key_pem, cert_der = _self_signed()
    creds = grpc.ssl_server_credentials([(key_pem, cert_pem)], require_client_auth=False)
    port = server.add_secure_port("127.0.0.1:0", creds)
    server.start()
    cert_b64 = base64.b64encode(cert_der).decode().rstrip("=")
    sys.stdout.write(f"{CORE_PROTOCOL_VERSION}|{APP_PROTOCOL_VERSION}|tcp|127.0.0.1:{port}|grpc|{cert_b64}\n")
    sys.stdout.flush()

    stop.wait()
    # Let the Shutdown reply go out, then leave without the slow interpreter teardown.
    server.stop(grace=0.2).wait(0.5)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def main() -> int:
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        sys.stderr.write(
            "This is the infra sandbox provider for hashicorp/aws, a Terraform plugin.\n"
            "Terraform starts it; it is not meant to be run directly.\n"
        )
        return 1
    versions = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", "6")
    if "6" not in versions.split(","):
        sys.stderr.write(f"sandbox provider speaks protocol 6, Terraform offers {versions}\n")
        return 1
    from toolkit.sandbox.schema import schema_path_from_env

    try:
        path = schema_path_from_env()
    except Exception as exc:  # noqa: BLE001 - reported on stderr, Terraform shows it
        sys.stderr.write(f"{exc}\n")
        return 1
    _fast_protocol_imports()
    return serve(path)


if __name__ == "__main__":
    raise SystemExit(main())
