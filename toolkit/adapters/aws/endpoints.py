"""Endpoint overrides shared by boto3 and Terraform's S3 backend.

Both read the standard AWS SDK settings on their own:

- boto3 >= 1.28 (botocore's config chain) honours ``AWS_ENDPOINT_URL`` and the per-service
  ``AWS_ENDPOINT_URL_<SERVICE>`` variables (``AWS_ENDPOINT_URL_S3``, ``AWS_ENDPOINT_URL_STS``,
  ...), unless ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`` is true. The toolkit adds no endpoint
  plumbing of its own for boto3.
- Terraform's S3 backend (1.6+) reads the same variables: ``endpoints.s3`` falls back to
  ``AWS_ENDPOINT_URL_S3``, ``endpoints.sts`` to ``AWS_ENDPOINT_URL_STS``, ``endpoints.iam`` to
  ``AWS_ENDPOINT_URL_IAM``, and ``AWS_ENDPOINT_URL`` is the base for every service
  (hashicorp/terraform ``website/docs/language/backend/s3.mdx``, "Overriding AWS API
  endpoints").

What the environment cannot express is path-style addressing: without ``use_path_style =
true`` the backend asks for ``http://<bucket>.<host>:<port>/``, which only resolves when the
host is an IP address. :func:`backend_endpoint_overrides` returns the backend arguments to add
to ``backend.hcl`` whenever an S3 endpoint override is active.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "BACKEND_SERVICES",
    "active_endpoint",
    "backend_endpoint_overrides",
    "endpoint_source",
]

# Services the S3 backend talks to, and the suffix of their AWS_ENDPOINT_URL_<SUFFIX> variable.
BACKEND_SERVICES: dict[str, str] = {"s3": "S3", "sts": "STS", "iam": "IAM"}

_TRUE = {"1", "true", "yes", "on"}


def _ignored(environ: Mapping[str, str]) -> bool:
    return environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").strip().lower() in _TRUE


def endpoint_source(service: str, environ: Mapping[str, str]) -> str | None:
    """Name of the variable that overrides ``service``'s endpoint, or None.

    ``service`` is the botocore service name (``s3``, ``sts``, ``ec2``, ``kms``); the
    per-service variable wins over ``AWS_ENDPOINT_URL``, as in every AWS SDK.
    """
    if _ignored(environ):
        return None
    suffix = service.upper().replace("-", "_").replace(" ", "_")
    for name in (f"AWS_ENDPOINT_URL_{suffix}", "AWS_ENDPOINT_URL"):
        if environ.get(name, "").strip():
            return name
    return None


def active_endpoint(service: str, environ: Mapping[str, str]) -> str | None:
    """The overridden endpoint URL for ``service``, or None when AWS's own is used."""
    name = endpoint_source(service, environ)
    return environ[name].strip() if name else None


def backend_endpoint_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """Arguments for Terraform's S3 backend when an endpoint override is active.

    Returns ``{}`` when S3 uses AWS's own endpoint. Otherwise::

        {"endpoints": {"s3": URL, "sts": URL, ...}, "use_path_style": True}

    ``endpoints`` repeats what Terraform would read from the environment anyway (it keeps
    ``backend.hcl`` self-describing; dropping it changes nothing while the variables are
    set); ``use_path_style`` is the one setting the environment cannot carry.
    """
    if active_endpoint("s3", environ) is None:
        return {}
    endpoints = {
        service: url
        for service in BACKEND_SERVICES
        if (url := active_endpoint(service, environ)) is not None
    }
    return {"endpoints": endpoints, "use_path_style": True}
