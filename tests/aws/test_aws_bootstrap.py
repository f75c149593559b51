"""`infra bootstrap` core against a real moto server over HTTP (boto3 via AWS_ENDPOINT_URL)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from tests.support.moto import CallRecorder
from toolkit.adapters.aws import LIFECYCLE_RULE_ID, POLICY_SIDS, bootstrap_state_bucket
from toolkit.errors import UserError

TAGS = {"owner": "platform", "cost-center": "cc-42", "environment": "prod"}
Make = Callable[[str], tuple[boto3.Session, CallRecorder]]


def _bootstrap(
    session: boto3.Session, bucket: str, region: str, alias: str | None, **kw: Any
) -> Any:
    return bootstrap_state_bucket(
        bucket=bucket,
        aws_region=region,
        kms_key_alias=alias,
        account_id=kw.pop("account_id", "123456789012"),
        tags=kw.pop("tags", TAGS),
        environment="prod",
        session=session,
        **kw,
    )


def test_bootstrap_creates_every_setting(
    recorded_session: Make, names: Callable[[str], str]
) -> None:
    session, recorder = recorded_session("us-east-1")
    bucket, alias = names("state"), f"alias/{names('state-key')}"
    logged: list[str] = []

    result = _bootstrap(
        session,
        bucket,
        "us-east-1",
        alias,
        log=logged.append,
        tls_only_policy=True,
        deny_non_kms_uploads=True,
    )

    s3, kms = session.client("s3"), session.client("kms")
    key = kms.describe_key(KeyId=alias)["KeyMetadata"]
    assert result.kms_key_arn == key["Arn"] and key["KeyState"] == "Enabled"
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True
    key_tags = {
        t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]
    }
    assert key_tags == TAGS

    assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] is None  # us-east-1
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    [rule] = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": key["Arn"],
    }
    assert rule["BucketKeyEnabled"] is True
    pab = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert pab == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]

    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert set(by_sid) == set(POLICY_SIDS)
    tls = by_sid["InfraDenyInsecureTransport"]
    assert tls["Effect"] == "Deny" and tls["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }
    assert tls["Resource"] == [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
    kms_only = by_sid["InfraDenyNonKmsObjectUploads"]
    assert kms_only["Action"] == "s3:PutObject"
    assert kms_only["Condition"]["Null"] == {"s3:x-amz-server-side-encryption": "false"}

    [lifecycle] = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert lifecycle["ID"] == LIFECYCLE_RULE_ID and lifecycle["Status"] == "Enabled"
    assert lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] == 90
    assert lifecycle["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    assert {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]} == TAGS

    created = [item.split(":")[0] for item in result.created]
    assert created == [
        "kms key",
        "bucket",
        "versioning",
        "encryption",
        "public access block",
        "bucket policy",
        "lifecycle rule " + LIFECYCLE_RULE_ID,
        "tags",
    ]  # object ownership: set by CreateBucket (ObjectOwnership) already
    assert result.changed == [] and result.changed_anything
    assert result.summary_lines()[0].startswith("+ kms key: " + alias)
    assert any("creating bucket" in line for line in logged)
    # The state key is created before the bucket only after the name was found free.
    ops = [op for _, op in recorder.calls]
    assert ops.index("ListBuckets") < ops.index("CreateKey") < ops.index("CreateBucket")
    assert not [c for c in recorder.calls if c[1].startswith("Delete")]


def test_second_run_changes_nothing(recorded_session: Make, names: Callable[[str], str]) -> None:
    session, recorder = recorded_session("us-east-1")
    bucket, alias = names("state"), f"alias/{names('state-key')}"
    policy = {"tls_only_policy": True, "deny_non_kms_uploads": True}
    first = _bootstrap(session, bucket, "us-east-1", alias, **policy)
    recorder.clear()

    second = _bootstrap(session, bucket, "us-east-1", alias, **policy)

    assert not second.changed_anything
    assert second.created == [] and second.changed == []
    assert second.kms_key_arn == first.kms_key_arn
    line = (
        f"state bucket {bucket} (us-east-1): nothing to change, "
        f"{len(second.unchanged)} settings already as required"
    )
    assert second.summary_lines() == [line]
    assert len(second.unchanged) == 10
    assert recorder.mutating() == []  # read-only: no Put*/Create*/Enable*/Delete* call at all
    assert ("sts", "GetCallerIdentity") in recorder.calls


def test_bucket_in_eu_central_1_has_its_location_constraint(
    recorded_session: Make, names: Callable[[str], str]
) -> None:
    session, _ = recorded_session("eu-central-1")
    bucket, alias = names("state-eu"), f"alias/{names('state-key')}"

    result = _bootstrap(session, bucket, "eu-central-1", alias)

    s3 = session.client("s3", region_name="eu-central-1")
    assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] == "eu-central-1"
    assert result.kms_key_arn is not None and ":kms:eu-central-1:" in result.kms_key_arn
    assert "bucket: " + bucket + " in eu-central-1" in result.created
    # the key lives in the bucket's region: us-east-1 does not know the alias
    with pytest.raises(session.client("kms", region_name="us-east-1").exceptions.NotFoundException):
        session.client("kms", region_name="us-east-1").describe_key(KeyId=alias)


def test_converges_existing_bucket_without_deleting(
    recorded_session: Make, names: Callable[[str], str]
) -> None:
    session, recorder = recorded_session("us-east-1")
    s3 = session.client("s3")
    bucket, alias = names("state"), f"alias/{names('state-key')}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    s3.put_object(Bucket=bucket, Key="prod/us-east/terraform.tfstate", Body=b"{}")
    s3.put_object(Bucket=bucket, Key="notes/keep-me.txt", Body=b"hello")
    foreign_rule = {
        "ID": "team-logs",
        "Filter": {"Prefix": "logs/"},
        "Status": "Enabled",
        "Expiration": {"Days": 30},
    }
    stale_rule = {
        "ID": LIFECYCLE_RULE_ID,
        "Filter": {"Prefix": ""},
        "Status": "Enabled",
        "NoncurrentVersionExpiration": {"NoncurrentDays": 5},
    }
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={"Rules": [foreign_rule, stale_rule]}
    )
    foreign_statement = {
        "Sid": "TeamReadOnly",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps({"Version": "2012-10-17", "Statement": [foreign_statement]}),
    )
    s3.put_bucket_tagging(
        Bucket=bucket,
        Tagging={"TagSet": [{"Key": "team", "Value": "infra"}, {"Key": "owner", "Value": "old"}]},
    )
    recorder.clear()

    result = _bootstrap(
        session, bucket, "us-east-1", alias, noncurrent_version_days=30, tls_only_policy=True
    )

    assert "bucket" in result.unchanged
    labels = [c.split(":")[0] for c in result.changed]
    assert labels == [
        "versioning",
        "encryption",
        "public access block",
        "object ownership",
        "bucket policy",
        "lifecycle rule " + LIFECYCLE_RULE_ID,
        "tags",
    ]
    assert "versioning: Suspended -> Enabled" in result.changed
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert keys == {"prod/us-east/terraform.tfstate", "notes/keep-me.txt"}
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
    assert rules["team-logs"]["Expiration"] == {"Days": 30}
    assert rules[LIFECYCLE_RULE_ID]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    statements = {
        s["Sid"] for s in json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    }
    assert statements == {"TeamReadOnly", "InfraDenyInsecureTransport"}
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags == {"team": "infra", **TAGS}
    assert not [c for c in recorder.calls if c[1].startswith("Delete")]

    again = _bootstrap(
        session, bucket, "us-east-1", alias, noncurrent_version_days=30, tls_only_policy=True
    )
    assert not again.changed_anything


def test_plain_http_endpoint_gets_no_tls_only_policy(
    recorded_session: Make, names: Callable[[str], str], aws_env: dict[str, str]
) -> None:
    session, recorder = recorded_session("us-east-1")
    bucket = names("state")

    result = _bootstrap(session, bucket, "us-east-1", None)

    note = (
        "bucket policy: TLS-only statement not applied, the S3 endpoint "
        f"{aws_env['AWS_ENDPOINT_URL']} is not TLS"
    )
    assert result.notes == [note] and result.summary_lines()[-1] == "! " + note
    assert not [c for c in recorder.calls if "BucketPolicy" in c[1]]
    second = _bootstrap(session, bucket, "us-east-1", None)
    assert not second.changed_anything and second.summary_lines()[1:] == ["! " + note]


def test_existing_alias_is_reused_and_rotation_turned_on(
    recorded_session: Make, names: Callable[[str], str]
) -> None:
    session, recorder = recorded_session("us-east-1")
    kms = session.client("kms")
    alias = f"alias/{names('shared-state-key')}"
    key = kms.create_key(Description="pre-existing")["KeyMetadata"]
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    recorder.clear()

    result = _bootstrap(session, names("state"), "us-east-1", alias.removeprefix("alias/"))

    assert result.kms_key_arn == key["Arn"] and result.kms_key_alias == alias
    assert ("kms", "CreateKey") not in recorder.calls
    assert f"kms key rotation: {alias} disabled -> enabled" in result.changed
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True


def test_without_alias_uses_the_aws_managed_s3_key(
    recorded_session: Make, names: Callable[[str], str]
) -> None:
    session, recorder = recorded_session("us-east-1")
    bucket = names("state")

    result = _bootstrap(session, bucket, "us-east-1", None)

    [rule] = session.client("s3").get_bucket_encryption(Bucket=bucket)[
        "ServerSideEncryptionConfiguration"
    ]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms"}
    assert result.kms_key_arn is None
    assert not [c for c in recorder.calls if c[0] == "kms"]
    assert not _bootstrap(session, bucket, "us-east-1", None).changed_anything


def _other_account_session(region: str, account: str) -> boto3.Session:
    """A session moto treats as ``account`` (moto's x-moto-account-id request header)."""
    session = boto3.Session(region_name=region)

    def add_header(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account

    session.events.register("before-send", add_header)
    return session


def test_bucket_owned_by_another_account_is_refused(
    recorded_session: Make, names: Callable[[str], str]
) -> None:
    bucket = names("taken")
    _other_account_session("us-east-1", "999988887777").client("s3").create_bucket(Bucket=bucket)
    session, recorder = recorded_session("us-east-1")

    with pytest.raises(UserError) as caught:
        _bootstrap(session, bucket, "us-east-1", f"alias/{names('k')}")

    assert str(caught.value) == (
        f"state bucket name {bucket} is taken by another AWS account (not 123456789012): "
        "S3 bucket names are global, choose another name in the environment settings"
    )
    assert recorder.mutating() == []  # no key created for a bucket we cannot have


def test_bucket_in_another_region_is_refused(
    recorded_session: Make, names: Callable[[str], str]
) -> None:
    session, _ = recorded_session("eu-central-1")
    bucket = names("state")
    session.client("s3", region_name="eu-west-1").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )

    with pytest.raises(UserError) as caught:
        _bootstrap(session, bucket, "eu-central-1", None)

    assert str(caught.value) == (
        f"state bucket {bucket} exists in eu-west-1, expected eu-central-1 (the state stays in "
        "the cluster's region): choose another bucket name for this region"
    )


def test_wrong_account_is_refused_before_any_change(
    recorded_session: Make, names: Callable[[str], str]
) -> None:
    session, recorder = recorded_session("us-east-1")

    with pytest.raises(UserError) as caught:
        _bootstrap(session, names("state"), "us-east-1", None, account_id="111122223333")

    assert str(caught.value) == (
        "AWS credentials are for account 123456789012 (arn:aws:sts::123456789012:user/moto), "
        "but environment prod is account 111122223333: switch credentials (AWS_PROFILE) or "
        "fix account_id"
    )
    assert recorder.calls == [("sts", "GetCallerIdentity")]
