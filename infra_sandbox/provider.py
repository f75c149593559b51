"""The tfplugin6 ``Provider`` service of the sandbox.

Terraform core checks names, types, required arguments and block counts against
the schema served here; this service proposes plans (unknown computed values),
applies them with deterministic fake values and answers data sources.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyvider.protocols.tfprotov6.protobuf import tfplugin6_pb2 as pb
from pyvider.protocols.tfprotov6.protobuf import tfplugin6_pb2_grpc as pb_grpc

from infra_sandbox import fakes, world
from infra_sandbox.cty import (
    UNKNOWN,
    CtyType,
    Dynamic,
    decode_json,
    decode_msgpack,
    encode_msgpack,
    wholly_known,
)
from infra_sandbox.policy_document import render_policy_document
from infra_sandbox.schema import ProviderSchema, cached_response_bytes, load_schema

ACCOUNT_ENV = "INFRA_SANDBOX_ACCOUNT_ID"


def _diag(summary: str, detail: str = "") -> Any:
    return pb.Diagnostic(severity=pb.Diagnostic.ERROR, summary=summary, detail=detail)


class SandboxProvider(pb_grpc.ProviderServicer):
    def __init__(self, schema_path: Path, on_stop: Callable[[], None] | None = None) -> None:
        self.schema_path = schema_path
        self._schema: ProviderSchema | None = None
        self._lock = threading.Lock()
        self._on_stop = on_stop
        # One provider configuration per client connection: Terraform opens one
        # connection per provider instance (aliases, regions), also when several
        # Terraform processes share one reattached server.
        self._contexts: dict[str, fakes.Context] = {}

    @staticmethod
    def _default_context() -> fakes.Context:
        return fakes.Context(
            region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or fakes.DEFAULT_REGION,
            account_id=os.environ.get(ACCOUNT_ENV) or fakes.DEFAULT_ACCOUNT_ID,
        )

    def context_for(self, context: Any) -> fakes.Context:
        peer = str(context.peer()) if context is not None else ""
        with self._lock:
            ctx = self._contexts.get(peer)
            if ctx is None:
                ctx = self._contexts[peer] = self._default_context()
            return ctx

    # ------------------------------------------------------------ helpers

    @property
    def schema(self) -> ProviderSchema:
        with self._lock:
            if self._schema is None:
                self._schema = load_schema(self.schema_path)
            return self._schema

    def _type(self, kind: str, type_name: str) -> CtyType:
        return self.schema.implied_type(kind, type_name)

    @staticmethod
    def _decode(dv: Any, ty: CtyType) -> Any:
        if dv is None:
            return None
        if dv.msgpack:
            return decode_msgpack(dv.msgpack, ty)
        if dv.json:
            return decode_json(dv.json, ty)
        return None

    @staticmethod
    def _dv(value: Any, ty: CtyType) -> Any:
        return pb.DynamicValue(msgpack=encode_msgpack(value, ty))

    # ------------------------------------------------------------ metadata

    def GetMetadata(self, request: Any, context: Any) -> Any:
        s = self.schema
        return pb.GetMetadata.Response(
            server_capabilities=pb.ServerCapabilities(plan_destroy=True, get_provider_schema_optional=True),
            resources=[pb.GetMetadata.ResourceMetadata(type_name=n) for n in s.resources],
            data_sources=[pb.GetMetadata.DataSourceMetadata(type_name=n) for n in s.data_sources],
            ephemeral_resources=[pb.GetMetadata.EphemeralMetadata(type_name=n) for n in s.ephemeral],
        )

    def GetProviderSchema(self, request: Any, context: Any) -> Any:
        data, _ = cached_response_bytes(self.schema_path)
        return pb.GetProviderSchema.Response.FromString(data)

    def GetResourceIdentitySchemas(self, request: Any, context: Any) -> Any:
        return pb.GetResourceIdentitySchemas.Response()

    def GetFunctions(self, request: Any, context: Any) -> Any:
        return pb.GetFunctions.Response()

    # ------------------------------------------------------------ validation

    def ValidateProviderConfig(self, request: Any, context: Any) -> Any:
        return pb.ValidateProviderConfig.Response()

    def ValidateResourceConfig(self, request: Any, context: Any) -> Any:
        return pb.ValidateResourceConfig.Response()

    def ValidateDataResourceConfig(self, request: Any, context: Any) -> Any:
        return pb.ValidateDataResourceConfig.Response()

    def ValidateEphemeralResourceConfig(self, request: Any, context: Any) -> Any:
        return pb.ValidateEphemeralResourceConfig.Response()

    def ConfigureProvider(self, request: Any, context: Any) -> Any:
        config = self._decode(request.config, self._type("provider", "")) or {}
        ctx = self.context_for(context)
        region = config.get("region")
        if isinstance(region, str) and region:
            ctx.region = region
        allowed = config.get("allowed_account_ids")
        if isinstance(allowed, list):
            known = sorted(a for a in allowed if isinstance(a, str))
            if known:
                ctx.account_id = known[0]
        tags: dict[str, str] = {}
        for blk in config.get("default_tags") or []:
            if isinstance(blk, dict) and isinstance(blk.get("tags"), dict):
                tags.update({k: v for k, v in blk["tags"].items() if isinstance(v, str)})
        ctx.default_tags = tags
        return pb.ConfigureProvider.Response()

    # ------------------------------------------------------------ resources

    def UpgradeResourceState(self, request: Any, context: Any) -> Any:
        ty = self._type("resource", request.type_name)
        state = decode_json(request.raw_state.json, ty) if request.raw_state.json else None
        return pb.UpgradeResourceState.Response(upgraded_state=self._dv(state, ty))

    def ReadResource(self, request: Any, context: Any) -> Any:
        """The object as it is now: the state itself, unless the world file says it changed out of band."""
        if world.world_path() is None:
            return pb.ReadResource.Response(new_state=request.current_state, private=request.private)
        ty = self._type("resource", request.type_name)
        current = self._decode(request.current_state, ty)
        now = world.refreshed(request.type_name, current)
        return pb.ReadResource.Response(new_state=self._dv(now, ty), private=request.private)

    def PlanResourceChange(self, request: Any, context: Any) -> Any:
        type_name = request.type_name
        ty = self._type("resource", type_name)
        block = self.schema.block("resource", type_name)
        proposed = self._decode(request.proposed_new_state, ty)
        prior = self._decode(request.prior_state, ty)
        if proposed is None:  # destroy
            return pb.PlanResourceChange.Response(planned_state=request.proposed_new_state)
        create = prior is None
        planned = _plan_block(block, proposed, create)
        if create and "region" in block.get("attributes", {}) and planned.get("region") in (None, UNKNOWN):
            planned["region"] = self.context_for(context).region
        if "tags_all" in block.get("attributes", {}):
            planned["tags_all"] = self._tags_all(self.context_for(context), planned.get("tags"))
        return pb.PlanResourceChange.Response(
            planned_state=self._dv(planned, ty),
            planned_private=request.prior_private,
        )

    @staticmethod
    def _tags_all(ctx: fakes.Context, tags: Any) -> Any:
        if tags is UNKNOWN:
            return UNKNOWN
        merged = dict(ctx.default_tags)
        if isinstance(tags, dict):
            for key, val in tags.items():
                if val is UNKNOWN:
                    return UNKNOWN
                merged[key] = val
        return merged

    def ApplyResourceChange(self, request: Any, context: Any) -> Any:
        type_name = request.type_name
        ty = self._type("resource", type_name)
        planned = self._decode(request.planned_state, ty)
        if planned is None:
            return pb.ApplyResourceChange.Response(new_state=request.planned_state)
        config = self._decode(request.config, ty)
        faker = fakes.Faker(self.context_for(context), type_name, config)
        block = self.schema.block("resource", type_name)
        attrs = block.get("attributes", {})
        for name, attr in attrs.items():
            # has_<x> flags of write-only arguments (e.g. has_secret_string_wo).
            flag = f"has_{name}"
            if attr.get("write_only") and flag in attrs and planned.get(flag) is UNKNOWN:
                planned[flag] = isinstance(config, dict) and config.get(name) is not None
        new = faker.fill_unknowns(planned, ty)
        new = _null_write_only(self.schema.block("resource", type_name), new)
        return pb.ApplyResourceChange.Response(new_state=self._dv(new, ty), private=request.planned_private)

    def ImportResourceState(self, request: Any, context: Any) -> Any:
        return pb.ImportResourceState.Response(
            diagnostics=[
                _diag(
                    "Import is not supported by the sandbox provider",
                    "The sandbox cannot look up real AWS objects; import with the real provider (--cloud).",
                )
            ]
        )

    def MoveResourceState(self, request: Any, context: Any) -> Any:
        return pb.MoveResourceState.Response(
            diagnostics=[_diag("Moving resource state across types is not supported by the sandbox provider")]
        )

    # ------------------------------------------------------------ data sources

    def ReadDataSource(self, request: Any, context: Any) -> Any:
        type_name = request.type_name
        ty = self._type("data", type_name)
        config = self._decode(request.config, ty) or {}
        try:
            state = fakes.read_data_source(self.context_for(context), type_name, config)
        except (ValueError, KeyError, TypeError) as exc:
            return pb.ReadDataSource.Response(diagnostics=[_diag(f"sandbox: cannot read {type_name}", str(exc))])
        block = self.schema.block("data", type_name)
        state = _fill_computed(block, state, fakes.Faker(self.context_for(context), type_name, config))
        return pb.ReadDataSource.Response(state=self._dv(state, ty))

    # ------------------------------------------------------------ ephemeral

    def OpenEphemeralResource(self, request: Any, context: Any) -> Any:
        type_name = request.type_name
        ty = self._type("ephemeral", type_name)
        config = self._decode(request.config, ty) or {}
        result = dict(config)
        if type_name == "aws_secretsmanager_random_password":
            try:
                result["random_password"] = fakes.random_password(config)
            except ValueError as exc:
                return pb.OpenEphemeralResource.Response(diagnostics=[_diag("Invalid password settings", str(exc))])
        if "region" in result and result["region"] is None:
            result["region"] = self.context_for(context).region
        block = self.schema.block("ephemeral", type_name)
        result = _fill_computed(block, result, fakes.Faker(self.context_for(context), type_name, config))
        return pb.OpenEphemeralResource.Response(result=self._dv(result, ty))

    def RenewEphemeralResource(self, request: Any, context: Any) -> Any:
        return pb.RenewEphemeralResource.Response()

    def CloseEphemeralResource(self, request: Any, context: Any) -> Any:
        return pb.CloseEphemeralResource.Response()

    # ------------------------------------------------------------ lifecycle

    def StopProvider(self, request: Any, context: Any) -> Any:
        return pb.StopProvider.Response()

    # Newer RPCs Terraform may call: list resources, actions, state stores.
    def ValidateListResourceConfig(self, request: Any, context: Any) -> Any:
        return pb.ValidateListResourceConfig.Response()


# ---------------------------------------------------------------- plan helpers


def _plan_attr(attr: dict[str, Any], value: Any, create: bool) -> Any:
    if attr.get("write_only"):
        return None
    if value is None:
        return UNKNOWN if (create and attr.get("computed")) else None
    if value is UNKNOWN or "nested_type" not in attr:
        return value
    nested = attr["nested_type"]
    inner = {"attributes": nested.get("attributes", {})}
    mode = nested.get("nesting_mode", "single")
    if mode == "single":
        return _plan_block(inner, value, create)
    if mode in ("list", "set"):
        return [v if v is UNKNOWN else _plan_block(inner, v, create) for v in value]
    return {k: v if v is UNKNOWN else _plan_block(inner, v, create) for k, v in value.items()}


def _plan_block(block: dict[str, Any], value: dict[str, Any], create: bool) -> dict[str, Any]:
    """Planned state from Terraform's proposed new state.

    Computed attributes left null by the configuration become unknown when the
    object is created; on update the proposed state already carries the prior
    values. Write-only attributes are always null.
    """
    out = dict(value)
    for name, attr in block.get("attributes", {}).items():
        out[name] = _plan_attr(attr, value.get(name), create)
    for name, nb in block.get("block_types", {}).items():
        val = value.get(name)
        if val is None or val is UNKNOWN or isinstance(val, Dynamic):
            continue
        inner = nb["block"]
        mode = nb.get("nesting_mode", "single")
        if mode in ("single", "group"):
            out[name] = _plan_block(inner, val, create)
        elif mode in ("list", "set"):
            out[name] = [v if v is UNKNOWN else _plan_block(inner, v, create) for v in val]
        elif mode == "map":
            out[name] = {k: v if v is UNKNOWN else _plan_block(inner, v, create) for k, v in val.items()}
    return out


def _null_write_only(block: dict[str, Any], value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    out = dict(value)
    for name, attr in block.get("attributes", {}).items():
        if attr.get("write_only"):
            out[name] = None
    for name, nb in block.get("block_types", {}).items():
        val = out.get(name)
        if isinstance(val, list):
            out[name] = [_null_write_only(nb["block"], v) for v in val]
        elif isinstance(val, dict) and nb.get("nesting_mode") == "map":
            out[name] = {k: _null_write_only(nb["block"], v) for k, v in val.items()}
        elif isinstance(val, dict):
            out[name] = _null_write_only(nb["block"], val)
    return out


def _fill_computed(block: dict[str, Any], value: dict[str, Any], faker: fakes.Faker) -> dict[str, Any]:
    """Data sources / ephemeral results must be wholly known: fake every computed null."""
    from infra_sandbox.schema import attribute_type, block_type

    out = dict(value)
    for name, attr in block.get("attributes", {}).items():
        ty = attribute_type(attr)
        val = out.get(name)
        if attr.get("write_only"):
            out[name] = None
        elif val is None and attr.get("computed"):
            out[name] = faker.value(ty, name, name)
        elif not wholly_known(val):
            out[name] = faker.fill_unknowns(val, ty, name, name)
    for name, nb in block.get("block_types", {}).items():
        val = out.get(name)
        if isinstance(val, list):
            out[name] = [_fill_computed(nb["block"], v, faker) if isinstance(v, dict) else v for v in val]
        elif isinstance(val, dict) and nb.get("nesting_mode") == "map":
            out[name] = {k: _fill_computed(nb["block"], v, faker) for k, v in val.items()}
        elif isinstance(val, dict):
            out[name] = _fill_computed(nb["block"], val, faker)
        elif val is UNKNOWN:
            out[name] = faker.fill_unknowns(val, block_type(nb["block"]), name, name)
    return out


def policy_json(config: dict[str, Any]) -> str:
    return json.dumps(render_policy_document(config), indent=2)


__all__ = ["SandboxProvider", "policy_json"]
