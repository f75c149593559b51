"""Preflight checks against a real moto server over HTTP; each failure has its exact line."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.support.moto import CallRecorder
from toolkit.adapters.aws import bootstrap_state_bucket, run_preflight
from toolkit.adapters.aws.session import aws_errors
from toolkit.errors import ToolError, UserError

Make = Callable[[str], tuple[boto3.Session, CallRecorder]]
US_EAST_AZS = "us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1e, us-east-1f"


def _preflight(session: boto3.Session | None, bucket: str, **overrides: Any) -> Any:
    args: dict[str, Any] = {
        "environment": "prod",
        "region_key": "us-east",
        "aws_region": "us-east-1",
        "account_id": "123456789012",
        "residency_zone": "us",
        "region_zone": "us",
        "gpu_pools": {},  # the GPU tests set pools; listing offerings costs ~0.5 s on moto
        "bucket": bucket,
        "session": session,
    }
    return run_preflight(**(args | overrides))


@pytest.fixture
def state_bucket(recorded_session: Make, names: Callable[[str], str]) -> str:
    session, _ = recorded_session("us-east-1")
    bucket = names("state")
    bootstrap_state_bucket(
        bucket=bucket,
        aws_region="us-east-1",
        kms_key_alias=None,
        account_id="123456789012",
        tags={},
        session=session,
    )
    return bucket


def test_preflight_passes_and_is_read_only(recorded_session: Make, state_bucket: str) -> None:
    session, recorder = recorded_session("us-east-1")

    result = _preflight(
        session, state_bucket, gpu_pools={"gpu": ["g5", "g6"], "inference": ["g4dn.xlarge"]}
    )

    assert result.caller_arn == "arn:aws:sts::123456789012:user/moto"
    assert ", ".join(result.availability_zones) == US_EAST_AZS
    assert set(result.gpu_offerings) == {"g5", "g6", "g4dn.xlarge"}
    assert "us-east-1a" in result.gpu_offerings["g5"]
    assert result.to_dict()["bucket"] == state_bucket
    assert recorder.mutating() == []


def test_preflight_uses_the_env_endpoint_without_a_session(
    aws_env: dict[str, str], state_bucket: str
) -> None:
    assert _preflight(None, state_bucket).account_id == "123456789012"


def test_wrong_account(recorded_session: Make, state_bucket: str) -> None:
    session, _ = recorded_session("us-east-1")
    with pytest.raises(UserError) as caught:
        _preflight(session, state_bucket, account_id="210987654321")
    assert str(caught.value) == (
        "AWS credentials are for account 123456789012 (arn:aws:sts::123456789012:user/moto), "
        "but environment prod is account 210987654321: switch credentials (AWS_PROFILE) or "
        "fix account_id"
    )


def test_region_outside_residency_zone(recorded_session: Make, state_bucket: str) -> None:
    session, recorder = recorded_session("eu-central-1")
    with pytest.raises(UserError) as caught:
        _preflight(
            session,
            state_bucket,
            region_key="eu-central",
            aws_region="eu-central-1",
            region_zone="eu",
        )
    assert str(caught.value) == (
        "region eu-central (eu-central-1) is in residency zone 'eu', outside zone 'us' of "
        "environment prod"
    )
    assert recorder.calls == []  # decided before any AWS call


def test_catalog_zone_contradicting_the_aws_region_name(
    recorded_session: Make, state_bucket: str
) -> None:
    session, _ = recorded_session("eu-central-1")
    with pytest.raises(UserError) as caught:
        _preflight(session, state_bucket, region_key="us-typo", aws_region="eu-central-1")
    assert str(caught.value) == (
        "region us-typo maps to AWS region eu-central-1, which is outside residency zone 'us' of "
        "environment prod (expected an AWS region named us-*)"
    )


@pytest.mark.parametrize(
    ("item", "kind"),
    [
        ("g99.xlarge", "instance type"),
        ("g99", "instance family"),
        ("g5.nonexistent", "instance type"),
    ],
)
def test_gpu_type_not_offered(
    recorded_session: Make, state_bucket: str, item: str, kind: str
) -> None:
    session, _ = recorded_session("us-east-1")
    with pytest.raises(UserError) as caught:
        _preflight(session, state_bucket, gpu_pools={"gpu": ["g5", item]})
    assert str(caught.value) == (
        f"GPU pool gpu of region us-east: {kind} {item} is not offered in any availability zone "
        f"of us-east-1 ({US_EAST_AZS})"
    )


def test_gpu_family_offered_in_only_some_azs_passes(
    recorded_session: Make, state_bucket: str
) -> None:
    session, _ = recorded_session("us-east-1")
    result = _preflight(session, state_bucket, gpu_pools={"gpu": ["p5en"]})  # moto: 2 of 6 AZs
    assert 0 < len(result.gpu_offerings["p5en"]) < len(result.availability_zones)


def test_no_state_bucket(recorded_session: Make, names: Callable[[str], str]) -> None:
    session, _ = recorded_session("us-east-1")
    missing = names("missing")
    with pytest.raises(UserError) as caught:
        _preflight(session, missing)
    assert (
        str(caught.value)
        == f"state bucket {missing} does not exist: run `infra bootstrap us-east --env prod`"
    )


def test_state_bucket_in_another_region(
    recorded_session: Make, names: Callable[[str], str]
) -> None:
    session, _ = recorded_session("us-east-1")
    bucket = names("state")
    session.client("s3", region_name="us-west-2").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "us-west-2"}
    )
    with pytest.raises(UserError) as caught:
        _preflight(session, bucket)
    assert str(caught.value) == (
        f"state bucket {bucket} is in us-west-2, but region us-east keeps its state in us-east-1 "
        "(residency): choose another bucket name for this region"
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_endpoint_names_it(
    aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with pytest.raises(UserError) as caught:
        _preflight(None, "any-bucket")
    assert str(caught.value) == (
        f"cannot reach AWS endpoint {url}/ (set by AWS_ENDPOINT_URL) while checking the caller "
        "identity (sts:GetCallerIdentity): EndpointConnectionError"
    )


def test_no_credentials(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(UserError) as caught:
        bootstrap_state_bucket(
            bucket="any-bucket",
            aws_region="us-east-1",
            kms_key_alias=None,
            account_id="123456789012",
            tags={},
        )
    assert str(caught.value) == (
        "no usable AWS credentials while checking the caller identity (sts:GetCallerIdentity): "
        "set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws sso login`"
    )


def _client_error(code: str, message: str, status: int) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "PutBucketPolicy",
    )


@pytest.mark.parametrize(
    ("code", "expected_type", "expected"),
    [
        ("AccessDenied", UserError, "access denied while setting the policy: AccessDenied: nope"),
        (
            "ExpiredToken",
            UserError,
            "AWS rejected the credentials while setting the policy: ExpiredToken: nope",
        ),
        ("InternalError", ToolError, "AWS error while setting the policy: InternalError: nope"),
    ],
)
def test_service_errors_become_one_line(
    code: str, expected_type: type[Exception], expected: str
) -> None:
    # moto does not enforce IAM by default, so denial is raised here as botocore would parse it.
    with pytest.raises(expected_type) as caught, aws_errors("setting the policy"):
        raise _client_error(code, "nope\nsecond line", 403)
    assert str(caught.value) == expected.replace("nope", "nope second line")


def test_unknown_profile(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    with pytest.raises(UserError) as caught:
        _preflight(None, "any-bucket")
    assert str(caught.value) == "AWS profile not found: no-such-profile (check AWS_PROFILE)"
