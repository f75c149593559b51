"""Where things are, and the one reader of the toolkit's environment variables.

Every ``INFRA_*`` variable is read here or by a click option's ``envvar=`` (which then
hands the value over as :class:`Given`, naming where it came from), nowhere else:

| variable | what | read by |
| --- | --- | --- |
| ``INFRA_PROJECT`` | project root | ``--project`` |
| ``INFRA_ARTIFACTS`` | artifacts directory | ``--artifacts`` |
| ``INFRA_ENV`` | default environment | ``--env`` |
| ``INFRA_TERRAFORM`` | a terraform/tofu binary instead of the embedded engine | ``--terraform`` |
| ``INFRA_PROVIDER_SCHEMA`` | the AWS provider schema the sandbox serves | ``--provider-schema`` |
| ``INFRA_CACHE_DIR`` | the user cache (default ``$XDG_CACHE_HOME/infra``) | :func:`cache_dir` |
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import UserError

CACHE_ENV = "INFRA_CACHE_DIR"
BUNDLED_SCHEMA_DIR = Path(__file__).resolve().parents[1] / "infra_sandbox" / "data"


@dataclass(frozen=True)
class Given:
    """A value the user gave and where it came from (``--env``, ``INFRA_ENV``), for messages."""

    value: str
    source: str

    @classmethod
    def of(cls, value: str | os.PathLike[str] | Given | None, source: str = "argument") -> Given | None:
        if isinstance(value, Given):
            return value
        if value is None or value == "":
            return None
        return cls(str(value), source)


def find_root(explicit: str | os.PathLike[str] | Given | None = None, start: Path | None = None) -> Path:
    """The project root: ``--project`` / ``INFRA_PROJECT``, or the nearest parent with environments/."""
    given = Given.of(explicit, "--project")
    if given:
        root = Path(given.value).expanduser().resolve()
        if not (root / "environments").is_dir():
            raise UserError(f"{root}: not an infra project (no environments/ directory; from {given.source})")
        return root
    here = (start or Path.cwd()).resolve()
    for cand in (here, *here.parents):
        if (cand / "environments" / "catalog.yaml").is_file():
            return cand
    raise UserError(f"no infra project found at or above {here} (looked for environments/catalog.yaml); "
                    f"run inside the repo or pass --project DIR")


def artifacts_dir(root: Path, explicit: str | os.PathLike[str] | Given | None = None) -> Path:
    given = Given.of(explicit, "--artifacts")
    return Path(given.value).expanduser().resolve() if given else root / ".infra"


def region_dir(artifacts: Path, env: str, region: str) -> Path:
    return artifacts / env / region


def cache_dir() -> Path:
    """``INFRA_CACHE_DIR``, else ``$XDG_CACHE_HOME/infra``, else ``~/.cache/infra``."""
    given = os.environ.get(CACHE_ENV)
    if given:
        return Path(given).expanduser().resolve()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "infra"


@dataclass(frozen=True)
class SchemaChoice:
    """The provider schema in use, and which of the three sources it came from."""

    path: Path
    origin: str  # "--provider-schema", "INFRA_PROVIDER_SCHEMA", "user cache", "bundled"
    version: str


def _version_of(path: Path) -> tuple[int, ...]:
    match = re.search(r"-(\d+)\.(\d+)\.(\d+)\.json(\.gz)?$", path.name)
    return tuple(int(p) for p in match.groups()[:3]) if match else ()


def provider_schema(explicit: str | os.PathLike[str] | Given | None = None) -> SchemaChoice:
    """The AWS provider schema the sandbox serves.

    ``--provider-schema`` / ``INFRA_PROVIDER_SCHEMA``, else the newest one in the user cache
    (``infra providers schema`` writes it on a machine with registry access), else the copy
    bundled with the package (``infra_sandbox/data``, see its ``PROVENANCE.json``).
    """
    given = Given.of(explicit, "--provider-schema")
    if given:
        path = Path(given.value).expanduser().resolve()
        if not path.is_file():
            raise UserError(f"{path}: provider schema not found (from {given.source})")
        return SchemaChoice(path, given.source, ".".join(map(str, _version_of(path))) or "unknown")
    cached = sorted((cache_dir() / "schemas").glob("hashicorp-aws-*.json"), key=_version_of)
    if cached:
        return SchemaChoice(cached[-1], "user cache", ".".join(map(str, _version_of(cached[-1]))))
    bundled = sorted(BUNDLED_SCHEMA_DIR.glob("hashicorp-aws-*.json.gz"), key=_version_of)
    if bundled:
        return SchemaChoice(bundled[-1], "bundled", ".".join(map(str, _version_of(bundled[-1]))))
    raise UserError(f"no AWS provider schema: the bundled copy is missing from {BUNDLED_SCHEMA_DIR} (a broken "
                    "install); set INFRA_PROVIDER_SCHEMA or run `infra providers schema`")


def provider_schema_path(explicit: str | os.PathLike[str] | Given | None = None) -> Path:
    return provider_schema(explicit).path
