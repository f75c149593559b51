"""The instance catalog and price snapshot: which copy is used, and its contents.

Two copies exist: the one bundled with the package (``toolkit/cost/data/snapshot.json``,
assembled offline from published sources named in its ``sources``) and the one
``infra prices refresh`` writes to the user cache (``cache_dir()/prices/snapshot.json``) on a
networked machine. The user cache takes precedence, as for the provider schema.

Layout (``schema_version`` 1)::

    {"schema_version": 1, "assembled": "YYYY-MM-DD", "currency": "USD",
     "families": [...],
     "sources": {id: {"kind", "url", "as_of" (date or null), "as_of_bound"?, "notes", ...}},
     "instance_types": {type: {"family", "vcpu", "memory_mib", "gpu_count", "gpu_model",
                               "gpu_memory_mib", "source"}},
     "regions": {aws_region: {type: {"on_demand": {"usd_per_hour", "source"} | absent,
                                     "spot": {"min_usd_per_hour", "max_usd_per_hour", "zones",
                                              "source"} | null,
                                     "reserved"?: {"usd_per_hour", "source"},
                                     "caveats"?: [str]}}},
     "gaps": [{"instance_type", "region", "missing", "reason"}], "notes": [str]}

A type is *listed* in a region when it has an entry there; prices inside an entry may still be
missing (null), and then they are simply not used. Nothing here invents a figure.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.cost.model import VM_MEMORY_OVERHEAD, SnapshotInfo, SourceInfo
from toolkit.errors import UserError
from toolkit.paths import cache_dir

SCHEMA_VERSION = 1
BUNDLED = Path(__file__).resolve().parent / "data" / "snapshot.json"


def cached_path() -> Path:
    return cache_dir() / "prices" / "snapshot.json"


@dataclass(frozen=True)
class InstanceType:
    name: str
    family: str
    vcpu: int
    memory_mib: int
    gpu_count: int
    gpu_model: str | None

    @property
    def memory_capacity_mib(self) -> int:
        """Memory as Karpenter counts it against NodePool limits (less the VM overhead)."""
        return self.memory_mib - math.ceil(self.memory_mib * VM_MEMORY_OVERHEAD)


@dataclass(frozen=True)
class Price:
    """One type's figures in one region (USD per instance-hour; None: not known)."""

    on_demand: float | None
    on_demand_source: str | None
    spot_min: float | None
    spot_max: float | None
    spot_zones: int
    spot_source: str | None
    reserved: float | None
    caveats: tuple[str, ...]


@dataclass(frozen=True)
class Snapshot:
    path: Path
    origin: str
    assembled: str
    families: frozenset[str]
    sources: dict[str, SourceInfo]
    instance_types: dict[str, InstanceType]
    regions: dict[str, dict[str, Price]]
    sha256: str = ""

    def info(self) -> SnapshotInfo:
        return SnapshotInfo(path=str(self.path), origin=self.origin, assembled=self.assembled,
                            sources=tuple(self.sources[k] for k in sorted(self.sources)), sha256=self.sha256)

    def describe(self) -> str:
        """``bundled (assembled 2026-12-03)``, for messages."""
        return f"{self.origin} snapshot {self.path} (assembled {self.assembled})"

    def types_of(self, family: str) -> list[InstanceType]:
        return sorted((t for t in self.instance_types.values() if t.family == family), key=lambda t: t.name)


def choose(explicit: Path | None = None) -> tuple[Path, str]:
    """The snapshot to use and where it comes from: a given file, the user cache, or bundled."""
    if explicit is not None:
        path = Path(explicit).expanduser().resolve()
        if not path.is_file():
            raise UserError(f"{path}: price snapshot not found")
        return path, "file"
    cached = cached_path()
    if cached.is_file():
        return cached, "user cache"
    if BUNDLED.is_file():
        return BUNDLED, "bundled"
    raise UserError(f"no price snapshot: the bundled copy is missing from {BUNDLED} (a broken install); "
                    "run `infra prices refresh` on a networked machine")


def load(explicit: Path | None = None) -> Snapshot:
    path, origin = choose(explicit)
    try:
        data = path.read_bytes()
        raw = json.loads(data.decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: unreadable price snapshot ({origin}): {exc}") from None
    return dataclasses.replace(parse(raw, path, origin), sha256=hashlib.sha256(data).hexdigest())


def _need(obj: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise ValueError(f"{where}: missing {key!r}")
    value = obj[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ValueError(f"{where}.{key}: expected {getattr(kind, '__name__', kind)}, got {type(value).__name__}")
    return value


def _opt_number(obj: dict[str, Any], key: str, where: str) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"{where}.{key}: expected a non-negative number or null, got {value!r}")
    return float(value)


def parse(raw: Any, path: Path, origin: str) -> Snapshot:
    """Validate and load a snapshot document; any defect is a one-line UserError naming the file."""
    try:
        if not isinstance(raw, dict) or raw.get("schema_version") != SCHEMA_VERSION:
            got = raw.get("schema_version") if isinstance(raw, dict) else type(raw).__name__
            raise ValueError(f"schema_version: expected {SCHEMA_VERSION}, got {got!r}")
        assembled = _need(raw, "assembled", str, "snapshot")
        sources: dict[str, SourceInfo] = {}
        for sid, src in _need(raw, "sources", dict, "snapshot").items():
            where = f"sources.{sid}"
            sources[sid] = SourceInfo(id=sid, kind=_need(src, "kind", str, where), url=_need(src, "url", str, where),
                                      as_of=src.get("as_of"), as_of_bound=src.get("as_of_bound"),
                                      notes=str(src.get("notes", "")))
        types: dict[str, InstanceType] = {}
        for name, spec in _need(raw, "instance_types", dict, "snapshot").items():
            where = f"instance_types.{name}"
            types[name] = InstanceType(
                name=name, family=_need(spec, "family", str, where), vcpu=_need(spec, "vcpu", int, where),
                memory_mib=_need(spec, "memory_mib", int, where), gpu_count=_need(spec, "gpu_count", int, where),
                gpu_model=spec.get("gpu_model"))
            if types[name].vcpu <= 0 or types[name].memory_mib <= 0 or types[name].gpu_count < 0:
                raise ValueError(f"{where}: vcpu and memory_mib must be positive, gpu_count not negative")
        regions: dict[str, dict[str, Price]] = {}
        for region, entries in _need(raw, "regions", dict, "snapshot").items():
            table: dict[str, Price] = {}
            for name, entry in entries.items():
                where = f"regions.{region}.{name}"
                if name not in types:
                    raise ValueError(f"{where}: type not in instance_types")
                od = entry.get("on_demand") or {}
                spot = entry.get("spot") or {}
                reserved = entry.get("reserved") or {}
                for part, key in ((od, "source"), (spot, "source")):
                    if part and part.get(key) not in sources:
                        raise ValueError(f"{where}: source {part.get(key)!r} is not in sources")
                smin, smax = _opt_number(spot, "min_usd_per_hour", where), _opt_number(spot, "max_usd_per_hour", where)
                if (smin is None) != (smax is None) or (smin is not None and smax is not None and smin > smax):
                    raise ValueError(f"{where}.spot: min and max go together and min <= max")
                table[name] = Price(
                    on_demand=_opt_number(od, "usd_per_hour", where), on_demand_source=od.get("source"),
                    spot_min=smin, spot_max=smax, spot_zones=int(spot.get("zones") or 0),
                    spot_source=spot.get("source"), reserved=_opt_number(reserved, "usd_per_hour", where),
                    caveats=tuple(str(c) for c in entry.get("caveats") or ()))
            regions[region] = table
        families = frozenset(str(f) for f in raw.get("families") or {t.family for t in types.values()})
    except ValueError as exc:
        raise UserError(f"{path}: invalid price snapshot ({origin}): {exc}") from None
    return Snapshot(path=path, origin=origin, assembled=assembled, families=families, sources=sources,
                    instance_types=types, regions=regions)
