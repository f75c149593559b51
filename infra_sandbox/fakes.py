"""What the sandbox answers in place of AWS: fake values, data sources, policies.

Everything here is deterministic: the same configuration gives the same ids and
ARNs on every run, so sandbox plans and states can be compared.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from infra_sandbox.cty import UNKNOWN, CtyType, Dynamic, to_plain
from infra_sandbox.policy_document import render_policy_document

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"

# Availability zones per region (names; zone ids follow the AWS short-code scheme).
AZ_CATALOG: dict[str, tuple[str, list[str]]] = {
    "us-east-1": ("use1", ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"]),
    "us-east-2": ("use2", ["us-east-2a", "us-east-2b", "us-east-2c"]),
    "us-west-1": ("usw1", ["us-west-1a", "us-west-1c"]),
    "us-west-2": ("usw2", ["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"]),
    "ca-central-1": ("cac1", ["ca-central-1a", "ca-central-1b", "ca-central-1d"]),
    "eu-central-1": ("euc1", ["eu-central-1a", "eu-central-1b", "eu-central-1c"]),
    "eu-west-1": ("euw1", ["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
    "eu-west-2": ("euw2", ["eu-west-2a", "eu-west-2b", "eu-west-2c"]),
    "eu-west-3": ("euw3", ["eu-west-3a", "eu-west-3b", "eu-west-3c"]),
    "eu-north-1": ("eun1", ["eu-north-1a", "eu-north-1b", "eu-north-1c"]),
    "ap-southeast-1": ("apse1", ["ap-southeast-1a", "ap-southeast-1b", "ap-southeast-1c"]),
    "ap-northeast-1": ("apne1", ["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"]),
}

REGION_DESCRIPTIONS = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "eu-central-1": "Europe (Frankfurt)",
    "eu-west-1": "Europe (Ireland)",
    "eu-west-2": "Europe (London)",
    "eu-west-3": "Europe (Paris)",
    "eu-north-1": "Europe (Stockholm)",
}

_EC2_PREFIXES = {
    "vpc": "vpc",
    "subnet": "subnet",
    "security_group": "sg",
    "route_table": "rtb",
    "internet_gateway": "igw",
    "egress_only_internet_gateway": "eigw",
    "nat_gateway": "nat",
    "eip": "eipalloc",
    "launch_template": "lt",
    "flow_log": "fl",
    "vpc_endpoint": "vpce",
    "network_interface": "eni",
    "network_acl": "acl",
    "instance": "i",
    "vpc_security_group_ingress_rule": "sgr",
    "vpc_security_group_egress_rule": "sgr",
    "security_group_rule": "sgrule",
    "route": "r",
}
_ID_SUFFIXES = (
    ("route_table_id", "rtb"),
    ("security_group_id", "sg"),
    ("network_acl_id", "acl"),
    ("subnet_id", "subnet"),
    ("vpc_id", "vpc"),
    ("dhcp_options_id", "dopt"),
    ("network_interface_id", "eni"),
    ("allocation_id", "eipalloc"),
)
_EC2_TYPES = set(_EC2_PREFIXES) | {
    "default_security_group",
    "default_route_table",
    "default_network_acl",
    "route_table_association",
    "main_route_table_association",
    "vpc_dhcp_options",
}
_GLOBAL_SERVICES = {"iam", "route53", "cloudfront", "organizations", "s3"}


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


@dataclass
class Context:
    """Provider settings the fake values depend on."""

    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT_ID
    default_tags: dict[str, str] = field(default_factory=dict)

    @property
    def partition(self) -> str:
        return partition_of(self.region)


def _digest(*parts: Any) -> str:
    blob = json.dumps([to_plain(p) if p is not UNKNOWN else None for p in parts], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _uuid(seed: str) -> str:
    return f"{seed[0:8]}-{seed[8:12]}-{seed[12:16]}-{seed[16:20]}-{seed[20:32]}"


class Faker:
    """Deterministic values for one object (a resource, data source or ephemeral)."""

    def __init__(self, ctx: Context, type_name: str, config: Any) -> None:
        self.ctx = ctx
        self.type_name = type_name
        self.short = type_name.removeprefix("aws_")
        known = _known_part(config)
        self.seed = _digest(type_name, known)
        self.name = _pick_name(known)
        self._id: str | None = None

    def hexid(self, n: int = 17, salt: str = "") -> str:
        return hashlib.sha256((self.seed + salt).encode()).hexdigest()[:n]

    @property
    def ident(self) -> str:
        if self._id is None:
            if self.short in _EC2_PREFIXES:
                self._id = f"{_EC2_PREFIXES[self.short]}-{self.hexid()}"
            elif self.short == "kms_key":
                self._id = _uuid(self.hexid(32))
            elif self.name:
                self._id = self.name
            else:
                self._id = f"{self.short.replace('_', '-')}-{self.hexid(12)}"
        return self._id

    def arn(self) -> str:
        parts = self.short.split("_")
        service, resource = parts[0], "-".join(parts[1:]) or parts[0]
        region, account = self.ctx.region, self.ctx.account_id
        if self.short in _EC2_TYPES:
            service, resource = "ec2", self.short.replace("_", "-")
        elif self.short == "kms_key":
            resource = "key"
        elif self.short == "cloudwatch_log_group":
            return f"arn:{self.ctx.partition}:logs:{region}:{account}:log-group:{self.ident}"
        elif service == "secretsmanager":
            secret = f"{self.name or self.ident}-{self.hexid(6)}"
            return f"arn:{self.ctx.partition}:secretsmanager:{region}:{account}:secret:{secret}"
        if service == "s3":
            return f"arn:{self.ctx.partition}:s3:::{self.ident}"
        if service in _GLOBAL_SERVICES:
            region = ""
        return f"arn:{self.ctx.partition}:{service}:{region}:{account}:{resource}/{self.ident}"

    def string(self, attr: str, path: str) -> str:
        if attr == "id" and "." not in path:
            return self.ident
        if attr == "arn" and "." not in path:
            return self.arn()
        if attr in ("key_id",) and self.short == "kms_key":
            return self.ident
        if attr in ("owner_id", "account_id", "owner_account_id"):
            return self.ctx.account_id
        if attr == "region":
            return self.ctx.region
        if attr == "partition":
            return self.ctx.partition
        if attr == "availability_zone":
            return f"{self.ctx.region}a"
        if attr == "availability_zone_id":
            return f"{AZ_CATALOG.get(self.ctx.region, ('az', []))[0]}-az1"
        if attr.endswith("cidr_block"):
            return "2001:db8::/56" if attr.startswith("ipv6") else "10.0.0.0/16"
        for suffix, prefix in _ID_SUFFIXES:
            if attr.endswith(suffix):
                return f"{prefix}-{self.hexid(17, path)}"
        if attr.endswith("_arn") or attr == "arn":
            service, kind = self.short.split("_")[0], attr[:-4] or "resource"
            where = f"{self.ctx.partition}:{service}:{self.ctx.region}:{self.ctx.account_id}"
            return f"arn:{where}:{kind}/{self.hexid(12, path)}"
        if attr == "endpoint" or attr.endswith(("_endpoint", "_url")):
            return f"https://{self.hexid(16, path)}.{self.ctx.region}.sandbox.amazonaws.com"
        if attr.endswith("_id"):
            return f"{attr[:-3].replace('_', '-')}-{self.hexid(12, path)}"
        return f"{attr.replace('_', '-')}-{self.hexid(8, path)}"

    def value(self, ty: CtyType, attr: str, path: str) -> Any:
        """A known value of type ``ty`` for an unknown attribute."""
        if ty == "string":
            return self.string(attr, path)
        if ty == "number":
            return 0
        if ty == "bool":
            return False
        if ty == "dynamic":
            return None
        if isinstance(ty, list) and ty[0] in ("list", "set") and isinstance(ty[1], list) and ty[1][0] == "object":
            # Computed nested objects (certificate_authority, identity...) have one element in AWS answers.
            return [self.value(ty[1], attr, f"{path}[0]")]
        if isinstance(ty, list) and ty[0] in ("list", "set", "tuple"):
            return []
        if isinstance(ty, list) and ty[0] == "map":
            return {}
        if isinstance(ty, list) and ty[0] == "object":
            return {k: self.value(t, k, f"{path}.{k}") for k, t in ty[1].items()}
        return None

    def fill_unknowns(self, value: Any, ty: CtyType, attr: str = "", path: str = "") -> Any:
        """Replace every unknown inside ``value`` by a fake known value."""
        if value is UNKNOWN:
            return self.value(ty, attr, path)
        if value is None:
            return None
        if isinstance(value, Dynamic):
            return Dynamic(value.type, self.fill_unknowns(value.value, value.type, attr, path))
        if isinstance(ty, str):
            return value
        kind = ty[0]
        if kind in ("list", "set"):
            return [self.fill_unknowns(v, ty[1], attr, f"{path}[{i}]") for i, v in enumerate(value)]
        if kind == "map":
            return {k: self.fill_unknowns(v, ty[1], attr, f"{path}[{k}]") for k, v in value.items()}
        if kind == "object":
            return {k: self.fill_unknowns(value.get(k), t, k, f"{path}.{k}" if path else k) for k, t in ty[1].items()}
        if kind == "tuple":
            return [
                self.fill_unknowns(v, t, attr, f"{path}[{i}]")
                for i, (v, t) in enumerate(zip(value, ty[1], strict=False))
            ]
        return value


def _known_part(value: Any) -> Any:
    if value is UNKNOWN:
        return None
    if isinstance(value, Dynamic):
        return _known_part(value.value)
    if isinstance(value, dict):
        return {k: _known_part(v) for k, v in value.items() if k not in ("tags_all",)}
    if isinstance(value, list):
        return [_known_part(v) for v in value]
    return value


def _pick_name(config: Any) -> str | None:
    if not isinstance(config, dict):
        return None
    for key in ("name", "cluster_name", "bucket", "role_name", "function_name", "alias_name"):
        val = config.get(key)
        if isinstance(val, str) and val:
            return val
    prefix = config.get("name_prefix")
    if isinstance(prefix, str) and prefix:
        return prefix + "20260101000000000000000001"
    return None


# ---------------------------------------------------------------- data sources


def read_data_source(ctx: Context, type_name: str, config: dict[str, Any]) -> dict[str, Any]:
    """Fill a data source's computed attributes (the caller fills the rest)."""
    state = dict(config)
    region = state.get("region") or ctx.region
    if type_name == "aws_caller_identity":
        state.update(
            account_id=ctx.account_id,
            arn=f"arn:{ctx.partition}:iam::{ctx.account_id}:user/infra-sandbox",
            user_id="AIDASANDBOX" + ctx.account_id,
            id=ctx.account_id,
        )
    elif type_name == "aws_partition":
        part = ctx.partition
        suffix = "amazonaws.com.cn" if part == "aws-cn" else "amazonaws.com"
        state.update(
            partition=part, dns_suffix=suffix, reverse_dns_prefix=".".join(reversed(suffix.split("."))), id=part
        )
    elif type_name == "aws_region":
        name = state.get("region") or state.get("name") or ctx.region
        state.update(
            region=name,
            name=name,
            id=name,
            description=REGION_DESCRIPTIONS.get(name, name),
            endpoint=state.get("endpoint") or f"ec2.{name}.amazonaws.com",
        )
    elif type_name == "aws_availability_zones":
        code, names = AZ_CATALOG.get(region, (region.replace("-", "")[:6], [f"{region}a", f"{region}b", f"{region}c"]))
        zones = [(n, f"{code}-az{i + 1}") for i, n in enumerate(names)]
        exclude_names = set(state.get("exclude_names") or [])
        exclude_ids = set(state.get("exclude_zone_ids") or [])
        zones = [(n, z) for n, z in zones if n not in exclude_names and z not in exclude_ids]
        state.update(
            names=[n for n, _ in zones],
            zone_ids=[z for _, z in zones],
            group_names=[region],
            id=region,
            region=region,
        )
    elif type_name == "aws_iam_policy_document":
        doc = render_policy_document(state)
        state.update(
            json=json.dumps(doc, indent=2),
            minified_json=json.dumps(doc, separators=(",", ":")),
            id=str(int(hashlib.sha256(json.dumps(doc).encode()).hexdigest()[:8], 16)),
        )
    elif "region" in state and state.get("region") is None:
        state["region"] = region
    return state


def random_password(config: dict[str, Any]) -> str:
    """A password honouring aws_secretsmanager_random_password's arguments."""
    length = int(config.get("password_length") or 32)
    excluded = set(config.get("exclude_characters") or "")
    classes: list[str] = []
    if not config.get("exclude_lowercase"):
        classes.append(string.ascii_lowercase)
    if not config.get("exclude_uppercase"):
        classes.append(string.ascii_uppercase)
    if not config.get("exclude_numbers"):
        classes.append(string.digits)
    if not config.get("exclude_punctuation"):
        classes.append("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
    if config.get("include_space"):
        classes.append(" ")
    classes = ["".join(c for c in cls if c not in excluded) for cls in classes]
    classes = [c for c in classes if c]
    if not classes:
        raise ValueError("every character class is excluded")
    alphabet = "".join(classes)
    chars = []
    if config.get("require_each_included_type", True):
        chars = [secrets.choice(c) for c in classes][:length]
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    for i in range(len(chars) - 1, 0, -1):
        j = secrets.randbelow(i + 1)
        chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)
