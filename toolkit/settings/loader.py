"""Load, layer and validate settings.

Layers, each deep-merged over the previous one (mappings merge, lists and
scalars replace):

1. ``environments/defaults.yaml``  ``defaults:``   organisation defaults
2. ``environments/ENV/env.yaml``   ``defaults:``   environment-wide settings
3. ``environments/ENV/REGION.yaml``                the region's own settings

The merged mapping is validated as :class:`RegionSettings`. Every key path
remembers the file and line that set it last, so an error names them.
"""

from __future__ import annotations

import copy
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from toolkit.errors import UserError, describe, error_loc, key_path, validation_error
from toolkit.paths import Given
from toolkit.settings.models import Catalog, EnvironmentFile, OrgDefaults, RegionSettings, StateNaming
from toolkit.settings.pool_tables import GPU_TAINT_KEY
from toolkit.settings.yamlio import KeyPath, YamlDoc, read_yaml


@dataclass(frozen=True)
class Origin:
    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


class Layers:
    """A merged mapping plus, for each key path, where it was last set."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.origins: dict[KeyPath, Origin] = {}

    def add(self, data: Mapping[str, Any], doc: YamlDoc, prefix: KeyPath) -> None:
        self._merge(self.data, data, doc, prefix, ())

    def _merge(self, target: dict[str, Any], src: Mapping[str, Any], doc: YamlDoc, prefix: KeyPath,
               here: KeyPath) -> None:
        for key, value in src.items():
            path = here + (key,)
            line = doc.lines.get(prefix + path, doc.lines.get(prefix, 1))
            if isinstance(value, dict) and isinstance(target.get(key), dict):
                self.origins[path] = Origin(doc.path, line)
                self._merge(target[key], value, doc, prefix, path)
            else:
                # Replacing a subtree: forget the origins below it.
                for old in [p for p in self.origins if p[: len(path)] == path]:
                    del self.origins[old]
                target[key] = copy.deepcopy(value)
                self._record(value, doc, prefix, path)

    def _record(self, value: Any, doc: YamlDoc, prefix: KeyPath, path: KeyPath) -> None:
        self.origins[path] = Origin(doc.path, doc.lines.get(prefix + path, 1))
        if isinstance(value, dict):
            for k, v in value.items():
                self._record(v, doc, prefix, path + (k,))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self._record(v, doc, prefix, path + (i,))

    def origin(self, loc: KeyPath, fallback: Origin) -> Origin:
        for n in range(len(loc), 0, -1):
            found = self.origins.get(tuple(loc[:n]))
            if found is not None:
                return found
        return fallback


def validate_doc(model: type[BaseModel], doc: YamlDoc, data: Any | None = None, *,
                 prefix: KeyPath = ()) -> Any:
    """Validate a whole file as ``model``; the first error becomes a one-line UserError."""
    try:
        return model.model_validate(doc.data if data is None else data)
    except ValidationError as exc:
        raise validation_error(exc, doc.path, prefix=prefix, lines=doc.lines, explain=True) from None


@dataclass(frozen=True)
class RegionConfig:
    """The effective settings of one environment/region, with identity and naming."""

    environment: str
    region: str
    aws_region: str
    zone: str
    account_id: str
    zone_regions: tuple[str, ...]  # AWS regions of the same residency zone
    tags: dict[str, str]
    state_bucket: str
    state_key: str
    state_kms_key_alias: str
    settings: RegionSettings
    source_files: tuple[Path, ...]

    @property
    def name(self) -> str:
        return f"{self.environment}-{self.region}"

    @property
    def gpu_instance_families(self) -> list[str]:
        fams: set[str] = set()
        for pool in self.settings.karpenter.pools.values():
            if pool.gpu:
                fams.update(pool.instance_families)
        return sorted(fams)


@dataclass
class Environment:
    name: str
    file: EnvironmentFile
    regions: dict[str, RegionConfig] = field(default_factory=dict)


class Project:
    """The ``environments/`` tree of one checkout."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.env_dir = self.root / "environments"
        if not self.env_dir.is_dir():
            raise UserError(f"{self.env_dir}: no environments/ directory (is {self.root} the project root?)")
        self._catalog_doc = read_yaml(self.env_dir / "catalog.yaml")
        assert self._catalog_doc is not None
        self.catalog: Catalog = validate_doc(Catalog, self._catalog_doc)
        self._defaults_doc = read_yaml(self.env_dir / "defaults.yaml")
        assert self._defaults_doc is not None
        self.org: OrgDefaults = validate_doc(OrgDefaults, self._defaults_doc)
        self._cache: dict[str, Environment] = {}

    # -- discovery ---------------------------------------------------------------------
    def environment_names(self) -> list[str]:
        return sorted(p.name for p in self.env_dir.iterdir() if p.is_dir() and (p / "env.yaml").exists())

    def default_environment(self, given: Given | str | None = None) -> str:
        """``--env`` / ``INFRA_ENV`` (a :class:`Given` naming its source), else ``default_environment``."""
        chosen = Given.of(given, "--env") or Given(self.org.default_environment, "default_environment in defaults.yaml")
        known = self.environment_names()
        if chosen.value not in known:
            raise UserError(f"unknown environment {chosen.value!r} (from {chosen.source}); "
                            f"known: {', '.join(known) or 'none'}")
        return chosen.value

    def region_files(self, env: str) -> dict[str, Path]:
        env_dir = self.env_dir / env
        return {p.stem: p for p in sorted(env_dir.glob("*.yaml")) if p.name != "env.yaml"}

    def check_region(self, region: str) -> None:
        if region not in self.catalog.regions:
            raise UserError(f"unknown region {region!r}; valid regions: {', '.join(sorted(self.catalog.regions))}")

    # -- loading -----------------------------------------------------------------------
    def environment(self, env: str) -> Environment:
        if env in self._cache:
            return self._cache[env]
        if env not in self.environment_names():
            raise UserError(f"unknown environment {env!r}; known: {', '.join(self.environment_names()) or 'none'}")
        env_doc = read_yaml(self.env_dir / env / "env.yaml")
        assert env_doc is not None
        env_file: EnvironmentFile = validate_doc(EnvironmentFile, env_doc)
        self._check_env_file(env, env_file, env_doc)
        result = Environment(env, env_file)
        for region, path in self.region_files(env).items():
            result.regions[region] = self._load_region(env, env_file, env_doc, region, path)
        if not result.regions:
            raise UserError(f"{self.env_dir / env}: environment {env!r} has no region files")
        self._check_cross_region(result)
        self._cache[env] = result
        return result

    def region(self, env: str, region: str) -> RegionConfig:
        self.check_region(region)
        loaded = self.environment(env)
        if region not in loaded.regions:
            raise UserError(f"environment {env!r} has no settings for region {region!r} "
                            f"(no {self.env_dir / env / (region + '.yaml')}); "
                            f"it has: {', '.join(sorted(loaded.regions))}")
        return loaded.regions[region]

    def _check_env_file(self, env: str, f: EnvironmentFile, doc: YamlDoc) -> None:
        for zone in f.residency_zones:
            if zone not in self.catalog.zones:
                raise UserError(f"{doc.path}:{doc.lines.get(('residency_zones',), 1)}: residency_zones: unknown zone "
                                f"{zone!r}; known: {', '.join(sorted(self.catalog.zones))}")
        missing = [t for t in self.org.required_tags if t not in f.tags]
        if missing:
            raise UserError(f"{doc.path}:{doc.lines.get(('tags',), 1)}: tags: required tags missing: "
                            f"{', '.join(missing)}")
        if "environment" in f.tags and f.tags["environment"] != env:
            raise UserError(f"{doc.path}:{doc.lines.get(('tags', 'environment'), 1)}: tags.environment: "
                            f"expected {env!r} (the directory name), got {f.tags['environment']!r}")

    def _load_region(self, env: str, env_file: EnvironmentFile, env_doc: YamlDoc, region: str,
                     path: Path) -> RegionConfig:
        if region not in self.catalog.regions:
            raise UserError(f"{path}: unknown region {region!r} (file name); valid regions: "
                            f"{', '.join(sorted(self.catalog.regions))}")
        cat = self.catalog.regions[region]
        if cat.zone not in env_file.residency_zones:
            raise UserError(f"{path}: region {region!r} is in residency zone {cat.zone!r}, but environment {env!r} "
                            f"allows only {', '.join(env_file.residency_zones)}")
        region_doc = read_yaml(path)
        assert region_doc is not None
        layers = Layers()
        assert self._defaults_doc is not None
        layers.add(self.org.defaults, self._defaults_doc, ("defaults",))
        layers.add(env_file.defaults, env_doc, ("defaults",))
        layers.add(region_doc.data, region_doc, ())
        settings = self._validate_layers(layers, Origin(path, 1))
        self._check_zone(settings, cat.zone, layers, path)
        naming = env_file.state or self.org.state
        naming_file = env_doc.path if env_file.state else self._defaults_doc.path
        fields = {"environment": env, "region": region, "aws_region": cat.aws_region, "account_id": env_file.account_id}
        zone_regions = tuple(sorted(r.aws_region for r in self.catalog.regions.values() if r.zone == cat.zone))
        return RegionConfig(
            environment=env, region=region, aws_region=cat.aws_region, zone=cat.zone,
            account_id=env_file.account_id, zone_regions=zone_regions, tags=dict(env_file.tags),
            state_bucket=_expand(naming, "bucket", fields, naming_file),
            state_key=_expand(naming, "key", fields, naming_file),
            state_kms_key_alias=_expand(naming, "kms_key_alias", fields, naming_file), settings=settings,
            source_files=(self._defaults_doc.path, env_doc.path, path),
        )

    def _validate_layers(self, layers: Layers, fallback: Origin) -> RegionSettings:
        try:
            return RegionSettings.model_validate(layers.data)
        except ValidationError as exc:
            errors = exc.errors()
            unknown = [e for e in errors if e["type"] == "extra_forbidden"]
            if unknown and errors[0]["type"] != "extra_forbidden":
                # A misspelt key (netwrok:) also leaves the real one missing; the misspelling, in
                # the file that has it, is the error to show.
                loc = error_loc(unknown[0])
                more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
                raise UserError(f"{layers.origin(loc, fallback)}: {key_path(loc)}: "
                                f"{describe(unknown[0])}{more}") from None
            raise validation_error(exc, lambda loc: layers.origin(loc, fallback), explain=True) from None

    def _check_zone(self, s: RegionSettings, zone: str, layers: Layers, path: Path) -> None:
        def check(regions: list[str], loc: KeyPath) -> None:
            for i, key in enumerate(regions):
                where = layers.origin(loc + (i,), Origin(path, 1))
                if key not in self.catalog.regions:
                    raise UserError(f"{where}: {key_path(loc + (i,))}: unknown region {key!r}; valid regions: "
                                    f"{', '.join(sorted(self.catalog.regions))}")
                other = self.catalog.regions[key].zone
                if other != zone:
                    raise UserError(f"{where}: {key_path(loc + (i,))}: replica region {key!r} is in zone {other!r}, "
                                    f"outside this region's residency zone {zone!r}")

        for name, key in s.kms.keys.items():
            check(key.replica_regions, ("kms", "keys", name, "replica_regions"))
        for name, secret in s.secrets.items():
            check(secret.replica_regions, ("secrets", name, "replica_regions"))

    def _check_cross_region(self, env: Environment) -> None:
        seen: list[tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
        for region, cfg in sorted(env.regions.items()):
            net = ipaddress.ip_network(cfg.settings.network.cidr)
            for other, other_net in seen:
                if net.overlaps(other_net):
                    raise UserError(f"{cfg.source_files[-1]}: network.cidr: {net} overlaps {other_net} of region "
                                    f"{other!r} in environment {env.name!r}; CIDRs must not overlap across regions")
            seen.append((region, net))


def _expand(naming: StateNaming, field_name: str, fields: dict[str, str], where: Path) -> str:
    template = getattr(naming, field_name)
    try:
        value = str(template.format(**fields))
    except (KeyError, IndexError, ValueError) as exc:
        raise UserError(f"{where}: state.{field_name}: bad placeholder in {template!r} ({exc}); "
                        f"use {{{'}, {'.join(sorted(fields))}}}") from None
    if field_name == "bucket" and not _valid_bucket(value):
        raise UserError(f"{where}: state.bucket: {value!r} is not a valid S3 bucket name (3-63 lowercase "
                        "letters, digits, dots and hyphens, starting and ending with a letter or digit)")
    return value


def _valid_bucket(name: str) -> bool:
    import re

    return bool(re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", name)) and ".." not in name \
        and not re.fullmatch(r"[0-9.]+", name)


def stack_inputs(cfg: RegionConfig, catalog: Catalog) -> dict[str, Any]:
    """The root stack's inputs (``terraform.tfvars.json``), exactly the variables it declares."""
    s = cfg.settings.model_dump(mode="json")
    to_aws = {k: r.aws_region for k, r in catalog.regions.items()}
    for key in s["kms"]["keys"].values():
        key["replica_regions"] = [to_aws[r] for r in key["replica_regions"]]
    for secret in s["secrets"].values():
        secret["replica_regions"] = [to_aws[r] for r in secret["replica_regions"]]
    return {
        "environment": cfg.environment,
        "region": cfg.aws_region,
        "region_key": cfg.region,
        "residency_zone": cfg.zone,
        "zone_regions": list(cfg.zone_regions),
        "account_id": cfg.account_id,
        "name": cfg.name,
        "tags": dict(sorted(cfg.tags.items())),
        "network": s["network"],
        "eks": s["eks"],
        "karpenter": s["karpenter"],
        "kms": s["kms"],
        "secrets": s["secrets"],
    }


__all__ = ["GPU_TAINT_KEY", "Environment", "Project", "RegionConfig", "stack_inputs"]
