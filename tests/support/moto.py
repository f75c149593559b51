"""A moto server over HTTP on loopback for tests that talk to "AWS" (boto3 and Terraform).

Either reuse a server that is already running (``INFRA_TEST_MOTO_ENDPOINT``, e.g. started by
``.ci/run``) or start moto's ``ThreadedMotoServer`` on 127.0.0.1 with a port chosen by the
kernel (port 0: no race between picking and binding). Clients reach it through the standard
SDK setting ``AWS_ENDPOINT_URL``, which boto3 and Terraform's S3 backend both honour.

The server is shared by every test of a session and is never reset (another process may be
using it too), so tests use unique bucket names and KMS aliases (:func:`unique_name`).

Usage from a conftest::

    from tests.support.moto import moto_endpoint_fixture, aws_env_fixture
    moto_endpoint = moto_endpoint_fixture()        # session scope
    aws_env = aws_env_fixture()                    # function scope, sets the env

Outside pytest fixtures: ``with moto_server() as ep: subprocess.run(..., env=os.environ |
ep.env())``. ``CallRecorder`` (``session.events.register("before-call", recorder)``) lists
the AWS operations a boto3 session made, e.g. to prove a run was read-only.
"""

from __future__ import annotations

import logging
import os
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ENV_VAR = "INFRA_TEST_MOTO_ENDPOINT"
MOTO_ACCOUNT_ID = "123456789012"  # moto's default account (credentials "testing")

# Variables that could point a test at real AWS or at a user's profile; removed in aws_env.
_SCRUB = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    "MOTO_ACCOUNT_ID",
)


@dataclass(frozen=True)
class MotoEndpoint:
    url: str
    """``http://127.0.0.1:PORT`` (no trailing slash)."""
    started_here: bool

    def env(self, region: str = "us-east-1") -> dict[str, str]:
        """The environment a process needs to talk to this server as moto's default account."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            "AWS_EC2_METADATA_DISABLED": "true",
        }


def _reachable(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def moto_server() -> Iterator[MotoEndpoint]:
    """Yield a running moto server: the one in ``INFRA_TEST_MOTO_ENDPOINT`` or a new one."""
    external = os.environ.get(ENV_VAR, "").strip().rstrip("/")
    if external:
        if not _reachable(external):
            raise RuntimeError(f"{ENV_VAR}={external} is set but no moto server answers there")
        yield MotoEndpoint(url=external, started_here=False)
        return
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield MotoEndpoint(url=f"http://{host}:{port}", started_here=True)
    finally:
        server.stop()


def apply_aws_env(
    monkeypatch: pytest.MonkeyPatch,
    endpoint: MotoEndpoint,
    tmp_path: Path,
    region: str = "us-east-1",
) -> dict[str, str]:
    """Point boto3 (and any Terraform started from this process) at ``endpoint``.

    Shared config/credentials files are replaced by empty ones under ``tmp_path`` so a
    developer's ``~/.aws`` cannot leak in; per-service endpoint variables are removed.
    """
    for name in list(os.environ):
        if name in _SCRUB or name.startswith("AWS_ENDPOINT_URL_"):
            monkeypatch.delenv(name, raising=False)
    aws_dir = tmp_path / "aws-config"
    aws_dir.mkdir(exist_ok=True)
    (aws_dir / "config").write_text("")
    (aws_dir / "credentials").write_text("")
    values = endpoint.env(region) | {
        "AWS_CONFIG_FILE": str(aws_dir / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(aws_dir / "credentials"),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def unique_name(prefix: str) -> str:
    """A bucket-safe unique name (lowercase, <= 63 chars)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


MUTATING_PREFIXES = (
    "Put",
    "Create",
    "Delete",
    "Enable",
    "Disable",
    "Update",
    "Tag",
    "Untag",
    "Schedule",
)


class CallRecorder:
    """Records every AWS operation a boto3 session makes, as (service, operation) pairs."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def __call__(self, model: Any, **_: Any) -> None:
        self.calls.append((model.service_model.service_name, model.name))

    def mutating(self) -> list[tuple[str, str]]:
        return [c for c in self.calls if c[1].startswith(MUTATING_PREFIXES)]

    def clear(self) -> None:
        self.calls.clear()


def moto_endpoint_fixture() -> Callable[..., Any]:
    """A session-scoped fixture yielding a :class:`MotoEndpoint`."""

    @pytest.fixture(scope="session")
    def moto_endpoint() -> Iterator[MotoEndpoint]:
        with moto_server() as endpoint:
            yield endpoint

    return moto_endpoint


def aws_env_fixture() -> Callable[..., Any]:
    """A function-scoped fixture: the test's env points at the session's moto server."""

    @pytest.fixture
    def aws_env(
        moto_endpoint: MotoEndpoint, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> dict[str, str]:
        return apply_aws_env(monkeypatch, moto_endpoint, tmp_path)

    return aws_env
