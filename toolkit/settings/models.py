"""Settings models (pydantic v2, ``extra="forbid"``).

Field names are the attribute names of the root stack's variables (see
docs/contracts.md): the rendered tfvars are a dump of these models, so a
rename here is a rename in ``terraform/variables.tf`` too. The Karpenter pools and their
rules are in :mod:`toolkit.settings.pools`.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from toolkit.settings.base import AccountId, FreeText, IamArn, LambdaArn, Name, RegionKey, Strict, Zone
from toolkit.settings.pools import Karpenter

# CloudWatch Logs accepts only these retention periods.
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
                  2557, 2922, 3288, 3653)
CORE_ADDONS = ("vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent", "aws-ebs-csi-driver")
EKS_ACCESS_POLICIES = ("AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSEditPolicy",
                       "AmazonEKSViewPolicy")


def _cidr(value: str) -> str:
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"not a valid CIDR block: {exc}") from None
    if net.version != 4:
        raise ValueError("expected an IPv4 CIDR block")
    return str(net)


class Network(Strict):
    cidr: str
    az_count: int = Field(3, ge=2, le=6)
    nat_gateway_mode: Literal["one_per_az", "single"] = "one_per_az"
    flow_log_retention_days: int = 365

    @field_validator("cidr")
    @classmethod
    def _check_cidr(cls, v: str) -> str:
        v = _cidr(v)
        prefix = ipaddress.ip_network(v).prefixlen
        if not 16 <= prefix <= 20:
            raise ValueError("VPC CIDR prefix must be between /16 and /20")
        return v

    @field_validator("flow_log_retention_days")
    @classmethod
    def _check_retention(cls, v: int) -> int:
        return _retention(v)


def _retention(v: int) -> int:
    if v not in RETENTION_DAYS:
        raise ValueError(f"log retention must be one of CloudWatch's periods {list(RETENTION_DAYS)}")
    return v


class SystemNodeGroup(Strict):
    instance_types: list[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")]] = Field(
        default_factory=lambda: ["m6i.large"], min_length=1)
    min_size: int = Field(2, ge=1, le=20)
    max_size: int = Field(4, ge=1, le=50)
    desired_size: int = Field(2, ge=1, le=50)
    disk_size_gb: int = Field(50, ge=20, le=1000)

    @model_validator(mode="after")
    def _sizes(self) -> SystemNodeGroup:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError("expected min_size <= desired_size <= max_size")
        return self


class Addon(Strict):
    version: str | None = None


class AccessEntry(Strict):
    principal_arn: IamArn
    policy: Literal[EKS_ACCESS_POLICIES]  # type: ignore[valid-type]
    namespaces: list[Name] = Field(default_factory=list)


class Eks(Strict):
    kubernetes_version: Annotated[str, StringConstraints(pattern=r"^1\.[0-9]{2}$")]
    endpoint_public_access: bool = False
    public_access_cidrs: list[str] = Field(default_factory=list)
    log_retention_days: int = 365
    deletion_protection: bool = False
    system_node_group: SystemNodeGroup = Field(default_factory=SystemNodeGroup)
    addons: dict[str, Addon] = Field(default_factory=lambda: {a: Addon() for a in CORE_ADDONS})
    access_entries: dict[Name, AccessEntry] = Field(default_factory=dict)

    @field_validator("public_access_cidrs")
    @classmethod
    def _check_cidrs(cls, v: list[str]) -> list[str]:
        out = [_cidr(c) for c in v]
        if "0.0.0.0/0" in out:
            raise ValueError("0.0.0.0/0 is not an allow-list; name the CIDRs that may reach the endpoint")
        wide = [c for c in out if ipaddress.ip_network(c).prefixlen < 8]
        if wide:
            raise ValueError(f"{wide[0]} is wider than /8; an allow-list names specific networks")
        return out

    @field_validator("log_retention_days")
    @classmethod
    def _check_retention(cls, v: int) -> int:
        return _retention(v)

    @field_validator("addons")
    @classmethod
    def _check_addons(cls, v: dict[str, Addon]) -> dict[str, Addon]:
        missing = [a for a in CORE_ADDONS if a not in v]
        if missing:
            raise ValueError(f"core add-ons missing: {', '.join(missing)}")
        return v

    @model_validator(mode="after")
    def _public_needs_allow_list(self) -> Eks:
        if self.endpoint_public_access and not self.public_access_cidrs:
            raise ValueError("endpoint_public_access needs a non-empty public_access_cidrs allow-list")
        return self


class KmsKey(Strict):
    description: FreeText
    multi_region: bool = False
    replica_regions: list[RegionKey] = Field(default_factory=list)

    @model_validator(mode="after")
    def _replicas_need_multi_region(self) -> KmsKey:
        if self.replica_regions and not self.multi_region:
            raise ValueError("replica_regions needs multi_region: true")
        return self


REQUIRED_KEYS = ("eks-secrets", "logs", "ebs", "secrets-manager")


class Kms(Strict):
    deletion_window_days: int = Field(30, ge=7, le=30)
    rotation_period_days: int = Field(365, ge=90, le=2560)
    administrators: list[IamArn] = Field(default_factory=list)
    keys: dict[Name, KmsKey]

    @field_validator("keys")
    @classmethod
    def _required(cls, v: dict[str, KmsKey]) -> dict[str, KmsKey]:
        missing = [k for k in REQUIRED_KEYS if k not in v]
        if missing:
            raise ValueError(f"KMS keys missing for purposes: {', '.join(missing)}")
        return v


class Secret(Strict):
    description: FreeText
    generate: bool = True
    length: int = Field(32, ge=16, le=4096)
    exclude_punctuation: bool = False
    rotation_days: int | None = Field(None, ge=1, le=90)
    rotation_schedule: Annotated[str, StringConstraints(pattern=r"^(rate\([0-9]+ (hour|hours|day|days)\)|cron\([^()]+\))$")] | None = None
    rotation_lambda_arn: LambdaArn | None = None
    replica_regions: list[RegionKey] = Field(default_factory=list)
    value_version: int = Field(1, ge=1)

    @model_validator(mode="after")
    def _rotation(self) -> Secret:
        if self.rotation_days is not None and self.rotation_schedule is not None:
            raise ValueError("set rotation_days or rotation_schedule, not both")
        rotates = self.rotation_days is not None or self.rotation_schedule is not None
        if rotates != (self.rotation_lambda_arn is not None):
            raise ValueError("rotation (rotation_days or rotation_schedule) and rotation_lambda_arn go together "
                             "(bring your own rotation Lambda)")
        if self.rotation_schedule and self.rotation_schedule.startswith("rate("):
            amount, unit = self.rotation_schedule[5:-1].split()
            days = int(amount) / (24 if unit.startswith("hour") else 1)
            if not 0 < days <= 90:
                raise ValueError("rotation_schedule: rotate at least every 90 days")
        return self


class CostBudget(Strict):
    """Spend ceilings a change may not push past (USD per month; see docs/cost.md).

    ``monthly_ceiling_usd`` bounds the sum of the region's NodePool ceilings; ``pools`` bounds
    one settings pool (all the NodePools its capacity mix renders). Set them in
    ``ENV/env.yaml`` defaults for every region of the environment, or per region.
    """

    monthly_ceiling_usd: float | None = Field(None, gt=0)
    pools: dict[Name, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)


class RegionSettings(Strict):
    """What one environment/region needs; the result of layering."""

    network: Network
    eks: Eks
    karpenter: Karpenter
    kms: Kms
    secrets: dict[Name, Secret] = Field(default_factory=dict)
    cost: CostBudget = Field(default_factory=CostBudget)

    @model_validator(mode="after")
    def _budgets_name_pools(self) -> RegionSettings:
        unknown = sorted(set(self.cost.pools) - set(self.karpenter.pools))
        if unknown:
            raise ValueError(f"cost.pools.{unknown[0]}: no such Karpenter pool "
                             f"(pools: {', '.join(sorted(self.karpenter.pools))})")
        return self


# --- files that are not region settings -------------------------------------------------


class CatalogRegion(Strict):
    aws_region: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]$")]
    zone: Zone
    azs: list[str] = Field(min_length=2)
    description: str = ""

    @model_validator(mode="after")
    def _azs_in_region(self) -> CatalogRegion:
        bad = [a for a in self.azs if not re.fullmatch(re.escape(self.aws_region) + r"[a-z]", a)]
        if bad:
            raise ValueError(f"availability zones {bad} are not in {self.aws_region}")
        return self


class CatalogZone(Strict):
    description: str = ""


class Catalog(Strict):
    zones: dict[Zone, CatalogZone] = Field(min_length=1)
    regions: dict[RegionKey, CatalogRegion] = Field(min_length=1)

    @model_validator(mode="after")
    def _zones_known(self) -> Catalog:
        for key, region in self.regions.items():
            if region.zone not in self.zones:
                raise ValueError(f"region {key}: zone {region.zone!r} is not one of {sorted(self.zones)}")
        return self


StateTemplate = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9{}_./-]+$", max_length=200)]


class StateNaming(Strict):
    bucket: StateTemplate = "infra-tfstate-{environment}-{aws_region}-{account_id}"
    key: StateTemplate = "{environment}/{region}/terraform.tfstate"
    kms_key_alias: StateTemplate = "alias/infra-tfstate-{environment}"


class OrgDefaults(Strict):
    default_environment: Name
    required_tags: list[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$")]] = Field(
        default_factory=lambda: ["owner", "cost-center", "data-classification", "environment"])
    state: StateNaming = Field(default_factory=StateNaming)
    defaults: dict[str, object] = Field(default_factory=dict)


TagValue = Annotated[str, StringConstraints(max_length=256)]


class EnvironmentFile(Strict):
    description: FreeText = ""
    account_id: AccountId
    residency_zones: list[Zone] = Field(min_length=1)
    tags: dict[Annotated[str, StringConstraints(min_length=1, max_length=128)], TagValue]
    state: StateNaming | None = None
    defaults: dict[str, object] = Field(default_factory=dict)

    @field_validator("tags")
    @classmethod
    def _tag_chars(cls, v: dict[str, str]) -> dict[str, str]:
        for key, value in v.items():
            for text in (key, value):
                bad = [c for c in text if not (c.isalnum() or c in " _.:/=+-@")]
                if bad:
                    raise ValueError(f"tag {key!r}: character {bad[0]!r} is not allowed in AWS tags "
                                     "(letters, digits, spaces and _ . : / = + - @)")
            if key.lower().startswith("aws:"):
                raise ValueError(f"tag {key!r}: the aws: prefix is reserved")
        return v
