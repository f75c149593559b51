"""Provider schema document -> tfplugin6 protobuf, with a cache.

The document is the output of ``terraform providers schema -json`` for
``registry.terraform.io/hashicorp/aws``. Terraform starts the plugin several
times per command, so the converted ``GetProviderSchema.Response`` is cached as
serialized protobuf keyed by the document's sha256.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra_sandbox._files import atomic_write_bytes
from infra_sandbox.cty import CtyType
from infra_sandbox.errors import SandboxError

PROVIDER_ADDRESS = "registry.terraform.io/hashicorp/aws"
# The same provider as OpenTofu names it by default; the sandbox serves both addresses.
PROVIDER_ADDRESSES = (PROVIDER_ADDRESS, "registry.opentofu.org/hashicorp/aws")
# How the plugin process learns its inputs: set by SandboxInstall.env() for the Terraform that starts it.
SCHEMA_ENV = "INFRA_SANDBOX_SCHEMA"
CACHE_ENV = "INFRA_SANDBOX_CACHE"
_CONVERTER_VERSION = "3"

PROVIDER_META = {"version": 0, "block": {"attributes": {
    "user_agent": {"type": ["list", "string"], "optional": True},
}}}

_BLOCK_NESTING = {"single": 1, "list": 2, "set": 3, "map": 4, "group": 5}
_OBJECT_NESTING = {"single": 1, "list": 2, "set": 3, "map": 4}


def cache_dir_from_env() -> Path | None:
    """The cache directory the installer handed to the plugin process, if any."""
    value = os.environ.get(CACHE_ENV)
    return Path(value) if value else None


def schema_path_from_env() -> Path:
    value = os.environ.get(SCHEMA_ENV)
    if not value:
        raise SandboxError(
            f"${SCHEMA_ENV} is not set: the plugin is started by Terraform with the environment of "
            "SandboxInstall.env() (`infra sandbox env` prints it)"
        )
    path = Path(value)
    if not path.is_file():
        raise SandboxError(f"{path}: provider schema document not found (${SCHEMA_ENV})")
    return path


def read_document(path: Path) -> bytes:
    """The schema document's bytes; ``*.gz`` files (the bundled copy) are decompressed."""
    import gzip

    data = path.read_bytes()
    if path.name.endswith(".gz"):
        try:
            return gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise SandboxError(f"{path}: not a readable gzip file ({exc})") from None
    return data


def file_sha256(path: Path) -> str:
    """sha256 of the (uncompressed) document: the same for a schema and its gzip copy."""
    return hashlib.sha256(read_document(path)).hexdigest()


@dataclass
class ProviderSchema:
    """The hashicorp/aws part of a schema document."""

    path: Path
    sha256: str
    provider: dict[str, Any]
    resources: dict[str, Any]
    data_sources: dict[str, Any]
    ephemeral: dict[str, Any]
    _types: dict[tuple[str, str], CtyType] = field(default_factory=dict)

    def block(self, kind: str, type_name: str) -> dict[str, Any]:
        table = {"resource": self.resources, "data": self.data_sources, "ephemeral": self.ephemeral}[kind]
        try:
            return dict(table[type_name]["block"])
        except KeyError:
            raise KeyError(f"{kind} type {type_name} is not in the provider schema") from None

    def provider_block(self) -> dict[str, Any]:
        return dict(self.provider["block"])

    def implied_type(self, kind: str, type_name: str) -> CtyType:
        key = (kind, type_name)
        if key not in self._types:
            blk = self.provider_block() if kind == "provider" else self.block(kind, type_name)
            self._types[key] = block_type(blk)
        return self._types[key]


def load_schema(path: Path) -> ProviderSchema:
    data = read_document(path)
    try:
        doc = json.loads(data)
        aws = doc["provider_schemas"][PROVIDER_ADDRESS]
    except (ValueError, KeyError, TypeError):
        raise SandboxError(f"{path}: not a provider schema document with provider_schemas.{PROVIDER_ADDRESS}") from None
    return ProviderSchema(
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        provider=aws.get("provider", {"block": {}}),
        resources=aws.get("resource_schemas", {}),
        data_sources=aws.get("data_source_schemas", {}),
        ephemeral=aws.get("ephemeral_resource_schemas", {}),
    )


# ---------------------------------------------------------------- cty types


def attribute_type(attr: dict[str, Any]) -> CtyType:
    if "nested_type" in attr:
        nested = attr["nested_type"]
        obj: CtyType = ["object", {n: attribute_type(a) for n, a in nested.get("attributes", {}).items()}]
        mode = nested.get("nesting_mode", "single")
        if mode == "single":
            return obj
        return [mode, obj]
    ty: CtyType = attr["type"]
    return ty


def _has_dynamic(ty: CtyType) -> bool:
    if ty == "dynamic":
        return True
    if isinstance(ty, str):
        return False
    if ty[0] == "object":
        return any(_has_dynamic(t) for t in ty[1].values())
    if ty[0] == "tuple":
        return any(_has_dynamic(t) for t in ty[1])
    return _has_dynamic(ty[1])


def block_type(block: dict[str, Any]) -> CtyType:
    attrs: dict[str, CtyType] = {}
    for name, attr in block.get("attributes", {}).items():
        attrs[name] = attribute_type(attr)
    for name, nested in block.get("block_types", {}).items():
        inner = block_type(nested["block"])
        mode = nested.get("nesting_mode", "single")
        if mode in ("single", "group"):
            attrs[name] = inner
        elif mode in ("list", "map") and _has_dynamic(inner):
            attrs[name] = "dynamic"
        else:
            attrs[name] = [mode, inner]
    return ["object", attrs]


# ---------------------------------------------------------------- protobuf


def _pb() -> Any:
    from pyvider.protocols.tfprotov6.protobuf import tfplugin6_pb2

    return tfplugin6_pb2


def _attr_pb(pb: Any, name: str, attr: dict[str, Any]) -> Any:
    msg = pb.Schema.Attribute(
        name=name,
        description=attr.get("description", ""),
        required=bool(attr.get("required", False)),
        optional=bool(attr.get("optional", False)),
        computed=bool(attr.get("computed", False)),
        sensitive=bool(attr.get("sensitive", False)),
        deprecated=bool(attr.get("deprecated", False)),
        write_only=bool(attr.get("write_only", False)),
        description_kind=1 if attr.get("description_kind") == "markdown" else 0,
    )
    if "nested_type" in attr:
        nested = attr["nested_type"]
        msg.nested_type.CopyFrom(
            pb.Schema.Object(
                attributes=[_attr_pb(pb, n, a) for n, a in sorted(nested.get("attributes", {}).items())],
                nesting=_OBJECT_NESTING[nested.get("nesting_mode", "single")],
                min_items=int(nested.get("min_items", 0)),
                max_items=int(nested.get("max_items", 0)),
            )
        )
    else:
        msg.type = json.dumps(attr["type"], separators=(",", ":")).encode()
    return msg


def _block_pb(pb: Any, block: dict[str, Any]) -> Any:
    return pb.Schema.Block(
        attributes=[_attr_pb(pb, n, a) for n, a in sorted(block.get("attributes", {}).items())],
        block_types=[
            pb.Schema.NestedBlock(
                type_name=n,
                block=_block_pb(pb, nb["block"]),
                nesting=_BLOCK_NESTING[nb.get("nesting_mode", "single")],
                min_items=int(nb.get("min_items", 0)),
                max_items=int(nb.get("max_items", 0)),
            )
            for n, nb in sorted(block.get("block_types", {}).items())
        ],
        description=block.get("description", ""),
        description_kind=1 if block.get("description_kind") == "markdown" else 0,
        deprecated=bool(block.get("deprecated", False)),
    )


def _schema_pb(pb: Any, entry: dict[str, Any]) -> Any:
    return pb.Schema(version=int(entry.get("version", 0)), block=_block_pb(pb, entry.get("block", {})))


def convert(schema: ProviderSchema) -> Any:
    """Build the ``GetProviderSchema.Response`` for a schema document."""
    pb = _pb()
    resp = pb.GetProviderSchema.Response()
    resp.provider.CopyFrom(_schema_pb(pb, schema.provider))
    # `terraform providers schema -json` does not print it, but the real provider serves a
    # provider_meta schema: modules may set `provider_meta "aws" { user_agent = [...] }`.
    resp.provider_meta.CopyFrom(_schema_pb(pb, PROVIDER_META))
    for name, entry in schema.resources.items():
        resp.resource_schemas[name].CopyFrom(_schema_pb(pb, entry))
    for name, entry in schema.data_sources.items():
        resp.data_source_schemas[name].CopyFrom(_schema_pb(pb, entry))
    for name, entry in schema.ephemeral.items():
        resp.ephemeral_resource_schemas[name].CopyFrom(_schema_pb(pb, entry))
    resp.server_capabilities.plan_destroy = True
    resp.server_capabilities.get_provider_schema_optional = True
    return resp


def cached_response_bytes(path: Path, cache: Path | None = None) -> tuple[bytes, str]:
    """Serialized ``GetProviderSchema.Response`` for ``path`` (built once, then kept in ``cache``)."""
    digest = file_sha256(path)
    cache = cache or cache_dir_from_env()
    if cache is None:
        return convert(load_schema(path)).SerializeToString(), digest
    target = cache / "schema" / f"{digest}-v{_CONVERTER_VERSION}.pb"
    try:
        return target.read_bytes(), digest
    except FileNotFoundError:
        pass
    data: bytes = convert(load_schema(path)).SerializeToString()
    atomic_write_bytes(target, data)
    return data, digest
