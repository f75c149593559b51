"""boto3 sessions, clients and the translation of AWS failures into one-line errors.

Endpoints come from the standard SDK settings (``AWS_ENDPOINT_URL`` and friends, see
:mod:`toolkit.adapters.aws.endpoints`); credentials from the standard chain. Nothing here logs a
credential or a request body.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
    TokenRetrievalError,
    UnauthorizedSSOTokenError,
)

from toolkit.adapters.aws.endpoints import endpoint_source
from toolkit.errors import ToolError, UserError

__all__ = [
    "CredentialStatus", "aws_errors", "client", "credential_status", "credentials_configured", "error_code",
    "new_session",
]

# Standard retry mode (bounded exponential backoff); AWS_MAX_ATTEMPTS still applies.
_CLIENT_CONFIG = Config(
    user_agent_extra="infra-toolkit",
    connect_timeout=10,
    read_timeout=60,
    retries={"mode": "standard"},
)

ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AuthorizationError",
        "Forbidden",
        "UnauthorizedOperation",
        "403",
    }
)
BAD_CREDENTIAL_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
        "AuthFailure",
    }
)


def new_session(aws_region: str) -> boto3.Session:
    """A session for ``aws_region`` with the standard credential chain."""
    try:
        return boto3.Session(region_name=aws_region)
    except ProfileNotFound as exc:
        raise UserError(
            f"AWS profile not found: {exc.kwargs.get('profile')} (check AWS_PROFILE)"
        ) from exc


def client(session: boto3.Session, service: str, aws_region: str) -> Any:
    """A client for ``service`` in ``aws_region``; endpoint overrides come from the env."""
    return session.client(service, region_name=aws_region, config=_CLIENT_CONFIG)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _error_message(exc: ClientError) -> str:
    message = " ".join(str(exc.response.get("Error", {}).get("Message", "")).split())
    return message or exc.operation_name


def _endpoint_hint(url: str) -> str:
    """Which variable set ``url``, when it came from an endpoint override."""
    for service in ("s3", "sts", "ec2", "kms"):
        name = endpoint_source(service, os.environ)
        base = os.environ[name].strip().rstrip("/") if name else ""
        if base and (url.rstrip("/") == base or url.startswith(base + "/")):
            return f" (set by {name})"
    return ""


@contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """Turn AWS failures inside the block into one-line ``UserError``/``ToolError``.

    ``action`` says what was being done, e.g. ``"creating state bucket b (s3:CreateBucket)"``.
    """
    try:
        yield
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise UserError(
            f"no usable AWS credentials while {action}: set AWS_PROFILE, or "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws sso login`"
        ) from exc
    except (CredentialRetrievalError, TokenRetrievalError, UnauthorizedSSOTokenError) as exc:
        raise UserError(f"AWS credentials could not be loaded while {action}: {exc}") from exc
    except ProfileNotFound as exc:
        raise UserError(
            f"AWS profile not found while {action}: {exc.kwargs.get('profile')}"
        ) from exc
    except NoRegionError as exc:  # pragma: no cover - every client gets an explicit region
        raise UserError(f"no AWS region while {action}") from exc
    except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError) as exc:
        url = str(exc.kwargs.get("endpoint_url", "")) or "?"
        raise UserError(
            f"cannot reach AWS endpoint {url}{_endpoint_hint(url)} while {action}: "
            f"{type(exc).__name__}"
        ) from exc
    except ClientError as exc:
        code = error_code(exc)
        if code in ACCESS_DENIED_CODES:
            raise UserError(f"access denied while {action}: {code}: {_error_message(exc)}") from exc
        if code in BAD_CREDENTIAL_CODES:
            raise UserError(
                f"AWS rejected the credentials while {action}: {code}: {_error_message(exc)}"
            ) from exc
        raise ToolError(f"AWS error while {action}: {code}: {_error_message(exc)}") from exc
    except BotoCoreError as exc:
        raise ToolError(" ".join(f"AWS SDK error while {action}: {exc}".split())) from exc


@dataclass(frozen=True)
class CredentialStatus:
    """What the standard chain finds without asking the network: ``none``, ``found`` or ``broken``."""

    state: Literal["none", "found", "broken"]
    detail: str


def credential_status() -> CredentialStatus:
    """The AWS credentials a user has configured (environment, profiles, SSO, credential process).

    The EC2 instance-metadata provider is left out: probing it is a network call, and an
    instance role is used with ``--cloud`` (the full chain then applies). A profile that does
    not exist, a key without its secret, or a failing SSO/process provider is ``broken``, so a
    user who asked for the cloud is never silently given a sandbox plan.
    """
    import botocore.session

    named = os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE")
    try:
        resolver = botocore.session.get_session().get_component("credential_provider")
        resolver.remove("iam-role")
        creds = resolver.load_credentials()
    except ProfileNotFound as exc:
        source = "AWS_PROFILE" if os.environ.get("AWS_PROFILE") else "AWS_DEFAULT_PROFILE"
        return CredentialStatus("broken", f"{source}={exc.kwargs.get('profile')!r}: no such profile in the AWS config")
    except PartialCredentialsError as exc:
        return CredentialStatus("broken", f"partial credentials from {exc.kwargs.get('provider')}: "
                                          f"{exc.kwargs.get('cred_var')} is missing")
    except (BotoCoreError, ValueError) as exc:
        return CredentialStatus("broken", " ".join(str(exc).split()))
    if creds is None:
        if named:
            return CredentialStatus("broken", f"profile {named!r} has no credentials")
        return CredentialStatus("none", "no AWS credentials configured")
    return CredentialStatus("found", f"AWS credentials from {creds.method}")


def credentials_configured() -> bool:
    """True when :func:`credential_status` finds usable credentials."""
    return credential_status().state == "found"
