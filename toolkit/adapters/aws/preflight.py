"""Checks against the real AWS account before Terraform runs (skipped in sandbox mode).

Each check is a function that raises :class:`toolkit.errors.UserError` with one line naming
what was expected and what was found; :func:`run_preflight` runs them in order (the check that
needs no network first) and stops at the first failure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import ClientError

from toolkit.adapters.aws.session import aws_errors, client, error_code, new_session
from toolkit.errors import UserError

__all__ = [
    "AWS_GEOGRAPHY",
    "PreflightResult",
    "caller_account",
    "check_account",
    "check_gpu_offerings",
    "check_residency",
    "check_state_bucket",
    "region_availability_zones",
    "run_preflight",
]

# AWS region name prefixes per residency zone: a second, independent opinion on the
# catalog's zone of a region (a catalog typo placing eu-central-1 in "us" is caught).
AWS_GEOGRAPHY: dict[str, tuple[str, ...]] = {"us": ("us-",), "eu": ("eu-",)}


@dataclass(frozen=True)
class PreflightResult:
    environment: str
    region_key: str
    aws_region: str
    account_id: str
    caller_arn: str
    availability_zones: tuple[str, ...]
    gpu_offerings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Instance type or family -> AZs where it is offered."""
    bucket: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "region": self.region_key,
            "aws_region": self.aws_region,
            "account_id": self.account_id,
            "caller_arn": self.caller_arn,
            "availability_zones": list(self.availability_zones),
            "gpu_offerings": {k: list(v) for k, v in sorted(self.gpu_offerings.items())},
            "bucket": self.bucket,
        }


def caller_account(session: boto3.Session, aws_region: str) -> tuple[str, str]:
    """(account id, caller ARN) of the credentials in ``session`` (STS GetCallerIdentity)."""
    sts = client(session, "sts", aws_region)
    with aws_errors("checking the caller identity (sts:GetCallerIdentity)"):
        identity = sts.get_caller_identity()
    return str(identity["Account"]), str(identity["Arn"])


def check_account(
    *, environment: str, account_id: str, aws_region: str, session: boto3.Session
) -> str:
    """The credentials belong to the environment's account; returns the caller ARN."""
    actual, arn = caller_account(session, aws_region)
    if actual != account_id:
        who = f"environment {environment}" if environment else "the environment"
        raise UserError(
            f"AWS credentials are for account {actual} ({arn}), but {who} is account "
            f"{account_id}: switch credentials (AWS_PROFILE) or fix account_id"
        )
    return arn


def check_residency(
    *,
    environment: str,
    region_key: str,
    aws_region: str,
    residency_zone: str,
    region_zone: str,
) -> None:
    """The region lies in the environment's residency zone.

    ``region_zone`` is the zone the catalog assigns to ``region_key``; the AWS region name is
    also checked against :data:`AWS_GEOGRAPHY` when the zone is known there.
    """
    if region_zone != residency_zone:
        raise UserError(
            f"region {region_key} ({aws_region}) is in residency zone {region_zone!r}, "
            f"outside zone {residency_zone!r} of environment {environment}"
        )
    prefixes = AWS_GEOGRAPHY.get(residency_zone)
    if prefixes and not aws_region.startswith(prefixes):
        raise UserError(
            f"region {region_key} maps to AWS region {aws_region}, which is outside residency "
            f"zone {residency_zone!r} of environment {environment} "
            f"(expected an AWS region named {' or '.join(p + '*' for p in prefixes)})"
        )


def region_availability_zones(session: boto3.Session, aws_region: str) -> tuple[str, ...]:
    """Names of the region's availability zones (not Local/Wavelength zones)."""
    ec2 = client(session, "ec2", aws_region)
    with aws_errors(f"listing availability zones of {aws_region} (ec2:DescribeAvailabilityZones)"):
        zones = ec2.describe_availability_zones(
            Filters=[{"Name": "zone-type", "Values": ["availability-zone"]}]
        )["AvailabilityZones"]
    return tuple(sorted(str(z["ZoneName"]) for z in zones))


def _offerings_by_type(session: boto3.Session, aws_region: str) -> dict[str, set[str]]:
    """Instance type -> AZs offering it, for the whole region.

    One paginated listing, matched here rather than with an ``instance-type`` wildcard
    filter: families expand the same way against AWS and against moto, whose filter
    matches exact names only.
    """
    ec2 = client(session, "ec2", aws_region)
    result: dict[str, set[str]] = {}
    with aws_errors(
        f"listing instance type offerings of {aws_region} (ec2:DescribeInstanceTypeOfferings)"
    ):
        pages = ec2.get_paginator("describe_instance_type_offerings").paginate(
            LocationType="availability-zone", PaginationConfig={"PageSize": 1000}
        )
        for page in pages:
            for offering in page["InstanceTypeOfferings"]:
                result.setdefault(str(offering["InstanceType"]), set()).add(
                    str(offering["Location"])
                )
    return result


def check_gpu_offerings(
    *,
    region_key: str,
    aws_region: str,
    gpu_pools: Mapping[str, Sequence[str]],
    session: boto3.Session,
) -> dict[str, tuple[str, ...]]:
    """Every GPU instance type or family of the region's pools is offered in some AZ.

    ``gpu_pools`` maps a pool name to its instance families (``"g5"``) or exact types
    (``"g5.xlarge"``). A family passes when any of its types is offered. Returns each
    type/family with the AZs offering it.
    """
    wanted = [(pool, item) for pool, items in sorted(gpu_pools.items()) for item in items]
    if not wanted:
        return {}
    offered = _offerings_by_type(session, aws_region)
    found: dict[str, tuple[str, ...]] = {}
    for pool, item in wanted:
        if "." in item:
            zones = offered.get(item, set())
            kind = "instance type"
        else:
            zones = set().union(*(z for t, z in offered.items() if t.split(".", 1)[0] == item))
            kind = "instance family"
        if not zones:
            azs = region_availability_zones(session, aws_region)
            raise UserError(
                f"GPU pool {pool} of region {region_key}: {kind} {item} is not offered in any "
                f"availability zone of {aws_region} ({', '.join(azs) or 'no AZs listed'})"
            )
        found[item] = tuple(sorted(zones))
    return found


def check_state_bucket(
    *,
    environment: str,
    region_key: str,
    aws_region: str,
    account_id: str,
    bucket: str,
    session: boto3.Session,
) -> None:
    """The state bucket exists, belongs to the account and lives in the cluster's region."""
    s3 = client(session, "s3", aws_region)
    with aws_errors(f"checking state bucket {bucket} (s3:ListBucket)"):
        try:
            response = s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=account_id)
        except ClientError as exc:
            code = error_code(exc)
            if code in {"404", "NoSuchBucket", "NotFound"}:
                raise UserError(
                    f"state bucket {bucket} does not exist: run "
                    f"`infra bootstrap {region_key} --env {environment}`"
                ) from exc
            if code in {"403", "AccessDenied", "Forbidden"}:
                raise UserError(
                    f"state bucket {bucket} is not accessible to account {account_id} (403): "
                    "it is owned by another account or the credentials lack s3:ListBucket on it"
                ) from exc
            raise
    region = response.get("BucketRegion") or response["ResponseMetadata"]["HTTPHeaders"].get(
        "x-amz-bucket-region"
    )
    if region and region != aws_region:
        raise UserError(
            f"state bucket {bucket} is in {region}, but region {region_key} keeps its state "
            f"in {aws_region} (residency): choose another bucket name for this region"
        )


def run_preflight(
    *,
    environment: str,
    region_key: str,
    aws_region: str,
    account_id: str,
    residency_zone: str,
    region_zone: str,
    gpu_pools: Mapping[str, Sequence[str]],
    bucket: str,
    session: boto3.Session | None = None,
) -> PreflightResult:
    """All checks for one environment/region; raises ``UserError`` on the first failure."""
    check_residency(
        environment=environment,
        region_key=region_key,
        aws_region=aws_region,
        residency_zone=residency_zone,
        region_zone=region_zone,
    )
    session = session or new_session(aws_region)
    arn = check_account(
        environment=environment, account_id=account_id, aws_region=aws_region, session=session
    )
    offerings = check_gpu_offerings(
        region_key=region_key, aws_region=aws_region, gpu_pools=gpu_pools, session=session
    )
    check_state_bucket(
        environment=environment,
        region_key=region_key,
        aws_region=aws_region,
        account_id=account_id,
        bucket=bucket,
        session=session,
    )
    return PreflightResult(
        environment=environment,
        region_key=region_key,
        aws_region=aws_region,
        account_id=account_id,
        caller_arn=arn,
        availability_zones=region_availability_zones(session, aws_region),
        gpu_offerings=offerings,
        bucket=bucket,
    )
