"""The state bucket's settings, each read first and written only when it differs.

Versioning, SSE-KMS, public access block, object ownership, the TLS-only / KMS-only bucket
policy, the lifecycle rule for noncurrent versions and tags. Settings written by others
(lifecycle rules, policy statements, tags) are kept; nothing is deleted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from toolkit.adapters.aws.session import aws_errors, error_code

if TYPE_CHECKING:
    from toolkit.adapters.aws.bootstrap import BootstrapResult

LIFECYCLE_RULE_ID = "infra-state-noncurrent-versions"
NONCURRENT_VERSION_DAYS = 90
ABORT_MULTIPART_DAYS = 7
POLICY_SIDS = ("InfraDenyInsecureTransport", "InfraDenyNonKmsObjectUploads")
PUBLIC_ACCESS_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}

Log = Callable[[str], None]


def tag_list(
    tags: Mapping[str, str], key: str = "Key", value: str = "Value"
) -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in sorted(tags.items())]


# ---------------------------------------------------------------------------- KMS


def _get_or_none(call: Callable[[], Any], missing: set[str]) -> Any:
    try:
        return call()
    except ClientError as exc:
        if error_code(exc) in missing:
            return None
        raise


def _record(result: BootstrapResult, label: str, before: str, after: str, created: bool) -> None:
    if created:  # a bucket created in this run: list its settings as created
        result.created.append(f"{label}: {after}")
    else:
        result.changed.append(f"{label}: {before} -> {after}")


def ensure_versioning(s3: Any, bucket: str, result: BootstrapResult, new: bool, log: Log) -> None:
    with aws_errors(f"reading versioning of {bucket} (s3:GetBucketVersioning)"):
        status = s3.get_bucket_versioning(Bucket=bucket).get("Status") or "Disabled"
    if status == "Enabled":
        result.unchanged.append("versioning")
        return
    log(f"enabling versioning on {bucket}")
    with aws_errors(f"enabling versioning on {bucket} (s3:PutBucketVersioning)"):
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    _record(result, "versioning", status, "Enabled", new)


def ensure_encryption(
    s3: Any,
    bucket: str,
    key_arn: str | None,
    key_names: set[str],
    result: BootstrapResult,
    new: bool,
    log: Log,
) -> None:
    with aws_errors(f"reading default encryption of {bucket} (s3:GetEncryptionConfiguration)"):
        current = _get_or_none(
            lambda: s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"],
            {"ServerSideEncryptionConfigurationNotFoundError"},
        )
    rules = (current or {}).get("Rules", [])
    rule = rules[0] if len(rules) == 1 else {}
    default = rule.get("ApplyServerSideEncryptionByDefault", {})
    key_ok = (
        default.get("KMSMasterKeyID") in key_names
        if key_arn
        else default.get("KMSMasterKeyID") in (None, "", "alias/aws/s3")
    )
    if default.get("SSEAlgorithm") == "aws:kms" and key_ok and rule.get("BucketKeyEnabled"):
        result.unchanged.append("encryption")
        return
    by_default: dict[str, str] = {"SSEAlgorithm": "aws:kms"}
    if key_arn:
        by_default["KMSMasterKeyID"] = key_arn
    log(f"setting SSE-KMS default encryption on {bucket}")
    with aws_errors(f"setting default encryption of {bucket} (s3:PutEncryptionConfiguration)"):
        s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {"ApplyServerSideEncryptionByDefault": by_default, "BucketKeyEnabled": True}
                ]
            },
        )
    before = (
        f"{default.get('SSEAlgorithm', 'none')} {default.get('KMSMasterKeyID', '')}".strip()
        + (" (bucket key)" if rule.get("BucketKeyEnabled") else "")
    )
    _record(result, "encryption", before, f"aws:kms {key_arn or 'aws/s3'} (bucket key)", new)


def ensure_public_access_block(
    s3: Any, bucket: str, result: BootstrapResult, new: bool, log: Log
) -> None:
    with aws_errors(f"reading public access block of {bucket} (s3:GetBucketPublicAccessBlock)"):
        current = (
            _get_or_none(
                lambda: s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"],
                {"NoSuchPublicAccessBlockConfiguration"},
            )
            or {}
        )
    if all(current.get(k) is True for k in PUBLIC_ACCESS_BLOCK):
        result.unchanged.append("public access block")
        return
    log(f"blocking public access to {bucket}")
    with aws_errors(f"blocking public access to {bucket} (s3:PutBucketPublicAccessBlock)"):
        s3.put_public_access_block(
            Bucket=bucket, PublicAccessBlockConfiguration=PUBLIC_ACCESS_BLOCK
        )
    off = sorted(k for k in PUBLIC_ACCESS_BLOCK if current.get(k) is not True)
    _record(result, "public access block", f"{', '.join(off)} off", "all on", new)


def ensure_ownership(s3: Any, bucket: str, result: BootstrapResult, new: bool, log: Log) -> None:
    with aws_errors(f"reading object ownership of {bucket} (s3:GetBucketOwnershipControls)"):
        current = (
            _get_or_none(
                lambda: s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"],
                {"OwnershipControlsNotFoundError"},
            )
            or {}
        )
    modes = [r.get("ObjectOwnership") for r in current.get("Rules", [])]
    if modes == ["BucketOwnerEnforced"]:
        result.unchanged.append("object ownership")
        return
    log(f"disabling ACLs on {bucket} (BucketOwnerEnforced)")
    with aws_errors(f"setting object ownership of {bucket} (s3:PutBucketOwnershipControls)"):
        s3.put_bucket_ownership_controls(
            Bucket=bucket,
            OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        )
    _record(
        result,
        "object ownership",
        ",".join(m or "?" for m in modes) or "unset",
        "BucketOwnerEnforced",
        new,
    )


def desired_policy_statements(
    bucket: str, *, tls_only: bool = True, deny_non_kms_uploads: bool = False
) -> list[dict[str, Any]]:
    """The bucket policy statements bootstrap maintains (identified by ``Sid``).

    1. ``tls_only``: deny every request not made over TLS (``aws:SecureTransport`` false).
    2. ``deny_non_kms_uploads`` (opt-in): deny ``PutObject`` requests that *ask for* an
       encryption other than SSE-KMS. Requests without the header still pass and get the
       bucket's default SSE-KMS, so Terraform's state and ``.tflock`` writes pass -- unless
       the backend sets ``encrypt = true`` without ``kms_key_id``, which asks for AES256.
    """
    arn = f"arn:aws:s3:::{bucket}"
    statements: list[dict[str, Any]] = []
    if tls_only:
        statements.append(
            {
                "Sid": POLICY_SIDS[0],
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        )
    if deny_non_kms_uploads:
        statements.append(
            {
                "Sid": POLICY_SIDS[1],
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"{arn}/*",
                "Condition": {
                    "Null": {"s3:x-amz-server-side-encryption": "false"},
                    "StringNotEquals": {
                        "s3:x-amz-server-side-encryption": ["aws:kms", "aws:kms:dsse"]
                    },
                },
            }
        )
    return statements


def _canonical(value: Any) -> Any:
    """Policy JSON in a comparable form (AWS may reorder keys or unwrap 1-item lists)."""
    if isinstance(value, dict):
        if set(value) == {"AWS"} and value["AWS"] == "*":
            return "*"
        return {k: _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        items = sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
        return items[0] if len(items) == 1 else items
    if isinstance(value, bool):
        return str(value).lower()
    return value


def ensure_policy(
    s3: Any,
    bucket: str,
    tls_only: bool,
    deny_non_kms_uploads: bool,
    result: BootstrapResult,
    new: bool,
    log: Log,
) -> None:
    desired = desired_policy_statements(
        bucket, tls_only=tls_only, deny_non_kms_uploads=deny_non_kms_uploads
    )
    if not desired:
        return
    with aws_errors(f"reading bucket policy of {bucket} (s3:GetBucketPolicy)"):
        raw = _get_or_none(
            lambda: s3.get_bucket_policy(Bucket=bucket)["Policy"], {"NoSuchBucketPolicy"}
        )
    policy: dict[str, Any] = json.loads(raw) if raw else {"Version": "2012-10-17", "Statement": []}
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    by_sid = {s.get("Sid"): i for i, s in enumerate(statements)}
    touched: list[str] = []
    for wanted in desired:
        index = by_sid.get(wanted["Sid"])
        if index is None:
            statements.append(wanted)
            touched.append(f"+{wanted['Sid']}")
        elif _canonical(statements[index]) != _canonical(wanted):
            statements[index] = wanted
            touched.append(f"~{wanted['Sid']}")
    if not touched:
        result.unchanged.append("bucket policy")
        return
    policy["Statement"] = statements
    policy.setdefault("Version", "2012-10-17")
    log(f"updating bucket policy of {bucket}: {', '.join(touched)}")
    with aws_errors(f"setting bucket policy of {bucket} (s3:PutBucketPolicy)"):
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy, sort_keys=True))
    _record(result, "bucket policy", "statements " + ", ".join(touched), "applied", new)


def _lifecycle_rule(noncurrent_days: int, abort_days: int) -> dict[str, Any]:
    return {
        "ID": LIFECYCLE_RULE_ID,
        "Filter": {"Prefix": ""},
        "Status": "Enabled",
        "NoncurrentVersionExpiration": {"NoncurrentDays": noncurrent_days},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": abort_days},
    }


def _rule_matches(rule: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    whole_bucket = rule.get("Filter", {}) in ({}, {"Prefix": ""}) and not rule.get("Prefix")
    noncurrent = rule.get("NoncurrentVersionExpiration", {})
    return (
        whole_bucket
        and rule.get("Status") == "Enabled"
        and noncurrent.get("NoncurrentDays")
        == wanted["NoncurrentVersionExpiration"]["NoncurrentDays"]
        and not noncurrent.get("NewerNoncurrentVersions")
        and rule.get("AbortIncompleteMultipartUpload") == wanted["AbortIncompleteMultipartUpload"]
        and not rule.get("Expiration")
        and not rule.get("Transitions")
        and not rule.get("NoncurrentVersionTransitions")
    )


def ensure_lifecycle(
    s3: Any,
    bucket: str,
    noncurrent_days: int,
    abort_days: int,
    result: BootstrapResult,
    new: bool,
    log: Log,
) -> None:
    with aws_errors(f"reading lifecycle of {bucket} (s3:GetLifecycleConfiguration)"):
        rules = (
            _get_or_none(
                lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"],
                {"NoSuchLifecycleConfiguration"},
            )
            or []
        )
    wanted = _lifecycle_rule(noncurrent_days, abort_days)
    ours = [i for i, r in enumerate(rules) if r.get("ID") == LIFECYCLE_RULE_ID]
    if ours and _rule_matches(rules[ours[0]], wanted):
        result.unchanged.append("lifecycle")
        return
    if ours:
        before = json.dumps(rules[ours[0]].get("NoncurrentVersionExpiration", {}), sort_keys=True)
        rules[ours[0]] = wanted
    else:
        before = "no rule"
        rules.append(wanted)
    log(f"setting lifecycle rule {LIFECYCLE_RULE_ID} on {bucket}")
    with aws_errors(f"setting lifecycle of {bucket} (s3:PutLifecycleConfiguration)"):
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={"Rules": rules}
        )
    _record(
        result,
        f"lifecycle rule {LIFECYCLE_RULE_ID}",
        before,
        f"noncurrent versions expire after {noncurrent_days} days, "
        f"incomplete uploads aborted after {abort_days} days",
        new,
    )


def ensure_tags(
    s3: Any, bucket: str, tags: Mapping[str, str], result: BootstrapResult, new: bool, log: Log
) -> None:
    with aws_errors(f"reading tags of {bucket} (s3:GetBucketTagging)"):
        current_list = (
            _get_or_none(lambda: s3.get_bucket_tagging(Bucket=bucket)["TagSet"], {"NoSuchTagSet"})
            or []
        )
    current = {t["Key"]: t["Value"] for t in current_list}
    differing = sorted(k for k, v in tags.items() if current.get(k) != v)
    if not differing:
        result.unchanged.append("tags")
        return
    merged = {**current, **tags}  # tags set by others stay
    log(f"tagging {bucket}: {', '.join(differing)}")
    with aws_errors(f"tagging {bucket} (s3:PutBucketTagging)"):
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tag_list(merged)})
    _record(result, "tags", "missing or different: " + ", ".join(differing), "set", new)
