"""Data residency: resources, KMS replicas and secret replicas stay in the zone."""

from __future__ import annotations

from typing import Any

import infra_common as ic
from checkov.common.models.enums import CheckCategories, CheckResult
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


check_region = ResourceRegionInZone()
check_kms_replica = KmsReplicaInZone()
check_secret_replica = SecretReplicaInZone()
