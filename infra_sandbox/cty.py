"""cty values over msgpack and JSON, as Terraform exchanges them with providers.

Types are the JSON form Terraform uses in schemas: ``"string"``, ``"number"``,
``"bool"``, ``"dynamic"``, ``["list", T]``, ``["set", T]``, ``["map", T]``,
``["object", {name: T}]`` (optionally a third element listing optional
attributes) and ``["tuple", [T, ...]]``.

Python form of values: ``None`` is null, :data:`UNKNOWN` is an unknown value,
strings/bools/ints/floats as usual, lists for list/set/tuple, dicts for
map/object, and :class:`Dynamic` for a value in a ``dynamic`` slot (it carries
the concrete type so it can be written back exactly as Terraform sent it).

msgpack rules (cty/msgpack): unknown is extension type 0 (type 12 carries
refinements, read as plain unknown), a value in a dynamic slot is the array
``[type-json-bytes, value]``, numbers are ints or floats (or a decimal string
for very large numbers), sets are arrays.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

import msgpack

CtyType: TypeAlias = str | list[Any]


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


@dataclass
class Dynamic:
    """A value in a ``dynamic`` slot together with its concrete type."""

    type: CtyType
    value: Any


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


def _ext_hook(code: int, data: bytes) -> Any:
    if code in (0, 12):
        return UNKNOWN
    return msgpack.ExtType(code, data)


def decode_msgpack(data: bytes, ty: CtyType) -> Any:
    if not data:
        return None
    raw = msgpack.unpackb(data, raw=False, ext_hook=_ext_hook, strict_map_key=False)
    return _typify(raw, ty, _msgpack_dynamic)


def _number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return float(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _msgpack_dynamic(raw: Any) -> tuple[CtyType, Any] | None:
    """msgpack carries a dynamic value as [type JSON bytes, value]."""
    if isinstance(raw, list) and len(raw) == 2 and isinstance(raw[0], bytes):
        return json.loads(raw[0]), raw[1]
    return None


def _json_dynamic(raw: Any) -> tuple[CtyType, Any] | None:
    """JSON (state) carries a dynamic value as {"value": ..., "type": ...}."""
    if isinstance(raw, dict) and set(raw) == {"value", "type"}:
        return raw["type"], raw["value"]
    return None


def _typify(raw: Any, ty: CtyType, dynamic: Callable[[Any], tuple[CtyType, Any] | None]) -> Any:
    """Give a decoded value its cty shape: numbers as numbers, objects with every attribute,
    dynamic values wrapped with their concrete type (the wire encoding is ``dynamic``'s job)."""
    if raw is UNKNOWN or raw is None:
        return raw
    if ty == "dynamic":
        found = dynamic(raw)
        if found is None:
            return raw
        concrete, inner = found
        return Dynamic(concrete, _typify(inner, concrete, dynamic))
    if ty == "number":
        return _number(raw)
    if isinstance(ty, str):
        return raw
    kind = ty[0]
    if kind in ("list", "set"):
        return [_typify(v, ty[1], dynamic) for v in raw]
    if kind == "map":
        return {k: _typify(v, ty[1], dynamic) for k, v in raw.items()}
    if kind == "object":
        attrs: dict[str, Any] = ty[1]
        return {k: _typify(raw.get(k), t, dynamic) for k, t in attrs.items()}
    if kind == "tuple":
        return [_typify(v, t, dynamic) for v, t in zip(raw, ty[1], strict=False)]
    raise ValueError(f"unsupported cty type {ty!r}")


def infer_type(value: Any) -> CtyType:
    """Type of a plain Python value put into a dynamic slot."""
    if isinstance(value, Dynamic):
        return value.type
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return ["tuple", [infer_type(v) for v in value]]
    if isinstance(value, dict):
        return ["object", {k: infer_type(v) for k, v in value.items()}]
    return "dynamic"


def _to_wire(value: Any, ty: CtyType) -> Any:
    if value is UNKNOWN:
        return msgpack.ExtType(0, b"")
    if ty == "dynamic":
        if value is None:
            return None
        if isinstance(value, Dynamic):
            concrete, inner = value.type, value.value
        else:
            concrete, inner = infer_type(value), value
        return [json.dumps(concrete, separators=(",", ":")).encode(), _to_wire(inner, concrete)]
    if value is None:
        return None
    if ty == "number":
        value = _number(value)
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            return str(value)
        return value
    if isinstance(ty, str):
        return value
    kind = ty[0]
    if kind in ("list", "set"):
        return [_to_wire(v, ty[1]) for v in value]
    if kind == "map":
        return {k: _to_wire(v, ty[1]) for k, v in value.items()}
    if kind == "object":
        attrs: dict[str, Any] = ty[1]
        return {k: _to_wire(value.get(k), t) for k, t in attrs.items()}
    if kind == "tuple":
        return [_to_wire(v, t) for v, t in zip(value, ty[1], strict=False)]
    raise ValueError(f"unsupported cty type {ty!r}")


def encode_msgpack(value: Any, ty: CtyType) -> bytes:
    return bytes(msgpack.packb(_to_wire(value, ty), use_bin_type=True))


def decode_json(data: bytes, ty: CtyType) -> Any:
    if not data:
        return None
    return _typify(json.loads(data), ty, _json_dynamic)


def to_plain(value: Any) -> Any:
    """Strip Dynamic wrappers (for rendering); unknowns stay UNKNOWN."""
    if isinstance(value, Dynamic):
        return to_plain(value.value)
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    return value


def wholly_known(value: Any) -> bool:
    if value is UNKNOWN:
        return False
    if isinstance(value, Dynamic):
        return wholly_known(value.value)
    if isinstance(value, list):
        return all(wholly_known(v) for v in value)
    if isinstance(value, dict):
        return all(wholly_known(v) for v in value.values())
    return True
