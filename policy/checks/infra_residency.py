"""Data residency: resources, KMS replicas and secret replicas stay in the zone, and no resource
refers by ARN to a resource in another zone."""

from __future__ import annotations

from typing import Any

import infra_common as ic
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.data.base_check import BaseDataCheck
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


def _zone_regions(entity_path: str) -> list[str] | None:
    ctx = ic.file_context(entity_path)
    if not ctx or not ctx.get("zone_regions"):
        return None
    return [str(r) for r in ctx["zone_regions"]]


class ResourceRegionInZone(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Resources are placed in a region of the environment's residency zone",
            id="CKV_INFRA_4",
            categories=[CheckCategories.GENERAL_SECURITY],
            supported_resources=["aws_*"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        zone = _zone_regions(self.entity_path)
        region = ic.get(conf, "region")
        if zone is None or not isinstance(region, str) or region == ic.UNKNOWN_VALUE or ic.is_unresolved(region):
            return CheckResult.UNKNOWN
        self.evaluated_keys = ["region"]
        return CheckResult.PASSED if region in zone else CheckResult.FAILED


class KmsReplicaInZone(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="KMS replica keys are created only in the residency zone",
            id="CKV_INFRA_5",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=["aws_kms_replica_key", "aws_kms_replica_external_key"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        zone = _zone_regions(self.entity_path)
        region = ic.get(conf, "region")
        if zone is None or not isinstance(region, str) or region == ic.UNKNOWN_VALUE or ic.is_unresolved(region):
            return CheckResult.UNKNOWN
        self.evaluated_keys = ["region"]
        return CheckResult.PASSED if region in zone else CheckResult.FAILED


class SecretReplicaInZone(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Secrets Manager replicas are created only in the residency zone",
            id="CKV_INFRA_6",
            categories=[CheckCategories.SECRETS],
            supported_resources=["aws_secretsmanager_secret"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        zone = _zone_regions(self.entity_path)
        if zone is None:
            return CheckResult.UNKNOWN
        replicas = ic.blocks(conf.get("replica"))
        self.evaluated_keys = ["replica"]
        for replica in replicas:
            region = ic.get(replica, "region")
            known = isinstance(region, str) and not ic.is_unresolved(region) and region != ic.UNKNOWN_VALUE
            if known and region not in zone:
                return CheckResult.FAILED
        return CheckResult.PASSED


# Parts already judged by a dedicated residency check: a secret's replicas (CKV_INFRA_6; AWS
# requires a replica's key in the replica's own region) and the region arguments (CKV_INFRA_4/5).
_OWNED_ELSEWHERE = {"aws_secretsmanager_secret": ("replica",)}


def foreign_arn_regions(conf: dict[str, Any], zone: list[str], skip: tuple[str, ...] = ()) -> list[str]:
    """Regions outside ``zone`` named by ARNs anywhere in the configuration (policy JSON included)."""
    found: list[str] = []
    for path, text in ic.walk_strings(conf):
        if path.split("/", 1)[0] in skip:
            continue
        found.extend(r for r in ic.ARN_REGION.findall(text) if r not in zone)
    return found


ARN_RESIDENCY_NAME = "ARNs in a resource (keys, topics, functions, policies) name only regions of the residency zone"


class ArnsInZone(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name=ARN_RESIDENCY_NAME,
            id="CKV_INFRA_32",
            categories=[CheckCategories.GENERAL_SECURITY],
            supported_resources=["aws_*"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Every ARN with a region (``arn:aws:kms:eu-west-1:...``), in any string attribute, names a
        region of ``zone_regions``; global ARNs (IAM, ``arn:aws:s3:::``) and wildcard regions have none.
        UNKNOWN without a zone in the context (HCL)."""
        zone = _zone_regions(self.entity_path)
        if zone is None:
            return CheckResult.UNKNOWN
        skip = _OWNED_ELSEWHERE.get(self.entity_type, ()) if hasattr(self, "entity_type") else ()
        return CheckResult.FAILED if foreign_arn_regions(conf, zone, skip) else CheckResult.PASSED


class ArnsInZoneData(BaseDataCheck):
    def __init__(self) -> None:
        super().__init__(
            name=ARN_RESIDENCY_NAME,
            id="CKV_INFRA_32",
            categories=[CheckCategories.GENERAL_SECURITY],
            supported_data=["aws_*"],
        )

    def scan_data_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Data sources read during apply (a policy document naming a key or queue ARN) count too."""
        zone = _zone_regions(self.entity_path)
        if zone is None:
            return CheckResult.UNKNOWN
        return CheckResult.FAILED if foreign_arn_regions(conf, zone) else CheckResult.PASSED


check_region = ResourceRegionInZone()
check_kms_replica = KmsReplicaInZone()
check_secret_replica = SecretReplicaInZone()
check_arns = ArnsInZone()
check_arns_data = ArnsInZoneData()
