"""What a scan feeds checkov, in cacheable units, and the cache of their results.

Results are cached per *unit* under ``<cache>/scan/`` by the sha256 of the unit's inputs,
the checks and the checkov version:

- ``hcl``: every ``.tf`` file of ``modules/`` and ``terraform/`` (examples, tests and
  ``.terraform`` excluded);
- ``plan`` of a region: its ``plan.json``, the HCL digest (plan findings are mapped to HCL
  file:line) and its context;
- ``repo``: the repository's own YAML (``environments/``, ``controls/``, the CI
  workflows), for the secrets scan;
- ``manifests`` of a region: its rendered inputs (``manifests/*.yaml``, ``terraform.tfvars.json``:
  Karpenter checks and secrets) and its context;
- ``module`` of a region: the Karpenter objects of its plan (``module.karpenter``'s outputs),
  written as manifests by the scan (:mod:`toolkit.scan.karpenter`), and its context.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from toolkit.adapters.checkov import Record
from toolkit.artifacts.io import read_artifact
from toolkit.errors import UserError
from toolkit.fsutil import atomic_write_json, sha256_file
from toolkit.scan.context import RegionContext

HCL_DIRS = ("modules", "terraform")
HCL_SKIP_DIRS = frozenset({".terraform", "examples", "tests"})
REPO_YAML_DIRS = ("environments", "controls", ".github")  # not policy/: editing waivers never re-runs checkov
CACHE_VERSION = "4"  # 4: skipped records, the secrets framework
Kind = Literal["hcl", "repo", "plan", "manifests", "module"]


@dataclass
class Unit:
    """A cacheable group of inputs; raw records are stored with paths relative to ``base``."""

    kind: Kind
    region: str | None
    base: Path
    files: list[Path]
    key: str = ""
    records: list[Record] | None = None
    from_cache: bool = False
    context: RegionContext = field(default_factory=dict)


class CacheEntry(BaseModel):
    kind: Kind
    records: list[Record]


def digest_tree(paths: Sequence[Path], base: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.relative_to(base).as_posix().encode())
        h.update(b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def hcl_files(project_root: Path) -> list[Path]:
    files: list[Path] = []
    for name in HCL_DIRS:
        top = project_root / name
        if not top.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = sorted(d for d in dirnames if d not in HCL_SKIP_DIRS and not d.startswith("."))
            files.extend(Path(dirpath) / f for f in sorted(filenames) if f.endswith(".tf"))
    return files


def repo_yaml_files(project_root: Path) -> list[Path]:
    """The repository's YAML that the secrets scan reads (tests and their fixtures excluded)."""
    files: list[Path] = []
    for name in REPO_YAML_DIRS:
        top = project_root / name
        if not top.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = sorted(d for d in dirnames if d not in HCL_SKIP_DIRS and d != "__pycache__")
            files.extend(Path(dirpath) / f for f in sorted(filenames) if f.endswith((".yaml", ".yml")))
    return files


def unit_key(unit: Unit, extra: dict[str, Any], checks_digest: str, version: str) -> str:
    payload = {
        "cache": CACHE_VERSION,
        "kind": unit.kind,
        "checkov": version,
        "checks": checks_digest,
        "files": {p.relative_to(unit.base).as_posix(): sha256_file(p) for p in sorted(unit.files)},
        **extra,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def load_cached(units: Sequence[Unit], cache: Path) -> None:
    """Fill the records of every unit found in ``cache`` (a unit without files has none)."""
    for unit in units:
        cached = cache / f"{unit.key}.json"
        if not unit.files:
            unit.records, unit.from_cache = [], True
        elif cached.is_file():
            try:
                unit.records = read_artifact(cached, CacheEntry).records
                unit.from_cache = True
            except UserError:  # a damaged entry is a miss: the unit is scanned again
                unit.records = None


def store(units: Sequence[Unit], cache: Path) -> None:
    for unit in units:
        atomic_write_json(cache / f"{unit.key}.json", {"kind": unit.kind, "records": unit.records})


def relative(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
