"""``infra bootstrap``: the S3 bucket that holds a region's Terraform state.

Idempotent and additive: every setting is read first and written only when it differs;
settings written by others (lifecycle rules, policy statements, tags) are kept, and nothing
is ever deleted. The result lists what was created and changed, so a second run can say
"nothing to change".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import ClientError

from toolkit.adapters.aws.bucket_settings import (
    ABORT_MULTIPART_DAYS,
    LIFECYCLE_RULE_ID,
    NONCURRENT_VERSION_DAYS,
    POLICY_SIDS,
    desired_policy_statements,
    ensure_encryption,
    ensure_lifecycle,
    ensure_ownership,
    ensure_policy,
    ensure_public_access_block,
    ensure_tags,
    ensure_versioning,
    tag_list,
)
from toolkit.adapters.aws.preflight import check_account
from toolkit.adapters.aws.session import aws_errors, client, error_code, new_session
from toolkit.errors import UserError

__all__ = [
    "ABORT_MULTIPART_DAYS",
    "LIFECYCLE_RULE_ID",
    "NONCURRENT_VERSION_DAYS",
    "POLICY_SIDS",
    "BootstrapResult",
    "bootstrap_state_bucket",
    "desired_policy_statements",
    "normalize_alias",
]

_NOT_FOUND = {"404", "NoSuchBucket", "NotFound"}
_DENIED = {"403", "AccessDenied", "Forbidden"}

Log = Callable[[str], None]


def _no_log(_: str) -> None:
    return None


@dataclass
class BootstrapResult:
    """What ``bootstrap_state_bucket`` found and did.

    ``created``/``changed`` hold short labels (``"bucket"``, ``"versioning"``, ...) with a
    detail after a colon; ``unchanged`` the labels of settings that were already right.
    """

    bucket: str
    aws_region: str
    kms_key_arn: str | None = None
    kms_key_alias: str | None = None
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Settings deliberately not applied, and why."""

    @property
    def changed_anything(self) -> bool:
        return bool(self.created or self.changed)

    def summary_lines(self) -> list[str]:
        """Terraform-style lines: ``+`` created, ``~`` changed, or "nothing to change"."""
        notes = [f"! {note}" for note in self.notes]
        if not self.changed_anything:
            line = (
                f"state bucket {self.bucket} ({self.aws_region}): nothing to change, "
                f"{len(self.unchanged)} settings already as required"
            )
            return [line, *notes]
        return (
            [f"+ {item}" for item in self.created] + [f"~ {item}" for item in self.changed] + notes
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "bucket": self.bucket,
            "aws_region": self.aws_region,
            "kms_key_arn": self.kms_key_arn,
            "kms_key_alias": self.kms_key_alias,
            "created": list(self.created),
            "changed": list(self.changed),
            "unchanged": list(self.unchanged),
            "notes": list(self.notes),
            "changed_anything": self.changed_anything,
        }


def normalize_alias(alias: str) -> str:
    alias = alias.strip()
    return alias if alias.startswith("alias/") else f"alias/{alias}"


def _ensure_kms_key(
    kms: Any, alias: str, bucket: str, tags: Mapping[str, str], result: BootstrapResult, log: Log
) -> str:
    """ARN of the key behind ``alias``; creates key and alias when the alias is missing."""
    with aws_errors(f"looking up KMS alias {alias} (kms:DescribeKey)"):
        try:
            meta = kms.describe_key(KeyId=alias)["KeyMetadata"]
        except ClientError as exc:
            if error_code(exc) != "NotFoundException":
                raise
            meta = None
    if meta is None:
        if alias.startswith("alias/aws/"):
            raise UserError(f"KMS alias {alias} does not exist and names an AWS managed key")
        log(f"creating KMS key {alias}")
        with aws_errors(f"creating KMS key for {alias} (kms:CreateKey)"):
            meta = kms.create_key(
                Description=f"Terraform state of bucket {bucket}",
                KeyUsage="ENCRYPT_DECRYPT",
                KeySpec="SYMMETRIC_DEFAULT",
                Tags=tag_list(tags, "TagKey", "TagValue"),
            )["KeyMetadata"]
        key_id = str(meta["KeyId"])
        # Alias first: if a later call fails, the next run finds the key by its alias and
        # finishes the job instead of creating a second key.
        with aws_errors(f"creating KMS alias {alias} (kms:CreateAlias)"):
            kms.create_alias(AliasName=alias, TargetKeyId=key_id)
        with aws_errors(f"enabling rotation of KMS key {alias} (kms:EnableKeyRotation)"):
            kms.enable_key_rotation(KeyId=key_id)
        result.created.append(f"kms key: {alias} ({meta['Arn']}), rotation enabled")
        return str(meta["Arn"])

    arn = str(meta["Arn"])
    if meta.get("KeyState") != "Enabled":
        raise UserError(f"KMS key {alias} ({arn}) is {meta.get('KeyState')}, expected Enabled")
    if (
        meta.get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT"
        or meta.get("KeyUsage", "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT"
    ):
        raise UserError(
            f"KMS key {alias} ({arn}) is {meta.get('KeySpec')}/{meta.get('KeyUsage')}, "
            "expected a symmetric ENCRYPT_DECRYPT key for S3"
        )
    if meta.get("KeyManager") == "CUSTOMER":
        with aws_errors(f"reading rotation of KMS key {alias} (kms:GetKeyRotationStatus)"):
            rotating = kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"]
        if rotating:
            result.unchanged.append("kms key rotation")
        else:
            log(f"enabling rotation of KMS key {alias}")
            with aws_errors(f"enabling rotation of KMS key {alias} (kms:EnableKeyRotation)"):
                kms.enable_key_rotation(KeyId=meta["KeyId"])
            result.changed.append(f"kms key rotation: {alias} disabled -> enabled")
    result.unchanged.append("kms key")
    return arn


# ---------------------------------------------------------------------------- bucket


def _bucket_owned(s3: Any, bucket: str) -> bool | None:
    """Whether the caller's account owns ``bucket``; None when ListBuckets is denied."""
    with aws_errors(f"listing buckets named {bucket} (s3:ListAllMyBuckets)"):
        try:
            pages = s3.get_paginator("list_buckets").paginate(
                Prefix=bucket, PaginationConfig={"PageSize": 1000}
            )
            return any(b["Name"] == bucket for page in pages for b in page.get("Buckets", []))
        except ClientError as exc:
            if error_code(exc) in _DENIED:
                return None
            raise


def _bucket_region(s3: Any, bucket: str) -> str:
    with aws_errors(f"reading the region of bucket {bucket} (s3:GetBucketLocation)"):
        constraint = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint")
    if not constraint:
        return "us-east-1"
    return "eu-west-1" if constraint == "EU" else str(constraint)


def _taken(bucket: str, account_id: str, *, or_denied: bool = False) -> UserError:
    if or_denied:
        return UserError(
            f"state bucket {bucket} exists but is not accessible to account {account_id} (403): "
            "another account owns the name, or the credentials lack s3:ListBucket on it"
        )
    return UserError(
        f"state bucket name {bucket} is taken by another AWS account (not {account_id}): "
        "S3 bucket names are global, choose another name in the environment settings"
    )


def _bucket_exists(s3: Any, bucket: str, aws_region: str, account_id: str) -> bool:
    """True when our account owns the bucket (in ``aws_region``), False when it is free.

    Raises ``UserError`` when another account owns the name or ours has it elsewhere.
    ListBuckets is the authority on ownership; without s3:ListAllMyBuckets, HeadBucket with
    ExpectedBucketOwner answers (403 for a bucket of another account).
    """
    owned = _bucket_owned(s3, bucket)
    with aws_errors(f"checking bucket {bucket} (s3:ListBucket)"):
        try:
            if owned is None:
                s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=account_id)
                owned = True
            elif not owned:
                s3.head_bucket(Bucket=bucket)
                raise _taken(bucket, account_id)  # exists, but not in our bucket list
        except ClientError as exc:
            if error_code(exc) not in _NOT_FOUND:
                raise _taken(bucket, account_id, or_denied=error_code(exc) in _DENIED) from exc
            return False
    region = _bucket_region(s3, bucket)
    if region != aws_region:
        raise UserError(
            f"state bucket {bucket} exists in {region}, expected {aws_region} (the state "
            "stays in the cluster's region): choose another bucket name for this region"
        )
    return True


def _create_bucket(
    s3: Any, bucket: str, aws_region: str, account_id: str, result: BootstrapResult, log: Log
) -> None:
    log(f"creating bucket {bucket} in {aws_region}")
    kwargs: dict[str, Any] = {"Bucket": bucket, "ObjectOwnership": "BucketOwnerEnforced"}
    if aws_region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": aws_region}
    with aws_errors(f"creating bucket {bucket} in {aws_region} (s3:CreateBucket)"):
        try:
            s3.create_bucket(**kwargs)
        except ClientError as exc:
            if error_code(exc) == "BucketAlreadyExists":
                raise _taken(bucket, account_id) from exc
            if error_code(exc) != "BucketAlreadyOwnedByYou":
                raise
    result.created.append(f"bucket: {bucket} in {aws_region}")


def bootstrap_state_bucket(
    *,
    bucket: str,
    aws_region: str,
    kms_key_alias: str | None,
    account_id: str,
    tags: Mapping[str, str],
    environment: str = "",
    noncurrent_version_days: int = NONCURRENT_VERSION_DAYS,
    abort_incomplete_multipart_days: int = ABORT_MULTIPART_DAYS,
    tls_only_policy: bool | None = None,
    deny_non_kms_uploads: bool = False,
    session: boto3.Session | None = None,
    log: Log = _no_log,
) -> BootstrapResult:
    """Create or converge the state bucket of one environment/region.

    - Checks the caller's account first (STS) and refuses to touch another account.
    - Bucket in ``aws_region`` (location constraint unless us-east-1), ACLs disabled.
    - Versioning on; default encryption SSE-KMS with bucket key, using the key behind
      ``kms_key_alias`` (created with rotation on and ``tags`` when the alias is missing;
      ``None`` means the AWS managed key ``aws/s3``).
    - Public access block all on; bucket policy statements of
      :func:`desired_policy_statements` merged into any existing policy. ``tls_only_policy``
      None means on, except when the S3 endpoint in use is plain ``http://`` (an emulator
      such as moto or LocalStack): a TLS-only policy would lock every client out there.
    - Lifecycle rule ``LIFECYCLE_RULE_ID`` merged with existing rules.
    - ``tags`` merged into existing bucket tags.

    Never deletes a bucket, key, object, rule, statement or tag.
    """
    session = session or new_session(aws_region)
    check_account(
        environment=environment, account_id=account_id, aws_region=aws_region, session=session
    )
    result = BootstrapResult(bucket=bucket, aws_region=aws_region)
    s3 = client(session, "s3", aws_region)
    exists = _bucket_exists(s3, bucket, aws_region, account_id)  # before creating any key
    key_names: set[str] = set()
    if kms_key_alias:
        alias = normalize_alias(kms_key_alias)
        kms = client(session, "kms", aws_region)
        key_arn = _ensure_kms_key(kms, alias, bucket, tags, result, log)
        result.kms_key_arn, result.kms_key_alias = key_arn, alias
        key_names = {
            key_arn,
            key_arn.rsplit("/", 1)[-1],
            alias,
            f"{key_arn.split(':key/')[0]}:{alias}",
        }
    if exists:
        result.unchanged.append("bucket")
    else:
        _create_bucket(s3, bucket, aws_region, account_id, result, log)
    new = not exists
    ensure_versioning(s3, bucket, result, new, log)
    ensure_encryption(s3, bucket, result.kms_key_arn, key_names, result, new, log)
    ensure_public_access_block(s3, bucket, result, new, log)
    ensure_ownership(s3, bucket, result, new, log)
    endpoint = str(s3.meta.endpoint_url)
    tls_only = endpoint.startswith("https://") if tls_only_policy is None else tls_only_policy
    if tls_only_policy is None and not tls_only:
        result.notes.append(
            f"bucket policy: TLS-only statement not applied, the S3 endpoint {endpoint} is not TLS"
        )
    ensure_policy(s3, bucket, tls_only, deny_non_kms_uploads, result, new, log)
    ensure_lifecycle(
        s3, bucket, noncurrent_version_days, abort_incomplete_multipart_days, result, new, log
    )
    ensure_tags(s3, bucket, tags, result, new, log)
    return result
