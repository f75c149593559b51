"""Where things are: the project root, artifact directories, shared reference data."""

from __future__ import annotations

import os
from pathlib import Path

from toolkit.errors import UserError

PROJECT_ENV = "INFRA_PROJECT"
ARTIFACTS_ENV = "INFRA_ARTIFACTS"
SHARED_ENV = "INFRA_SHARED_DIR"
SCHEMA_ENV = "INFRA_PROVIDER_SCHEMA"
CACHE_ENV = "INFRA_CACHE_DIR"


def find_root(explicit: str | os.PathLike[str] | None = None, start: Path | None = None) -> Path:
    """The project root: ``--project``, ``$INFRA_PROJECT``, or the nearest parent with environments/."""
    given = explicit or os.environ.get(PROJECT_ENV)
    if given:
        root = Path(given).expanduser().resolve()
        if not (root / "environments").is_dir():
            raise UserError(f"{root}: not an infra project (no environments/ directory)")
        return root
    here = (start or Path.cwd()).resolve()
    for cand in (here, *here.parents):
        if (cand / "environments" / "catalog.yaml").is_file():
            return cand
    raise UserError(f"no infra project found at or above {here} (looked for environments/catalog.yaml); "
                    f"run inside the repo or pass --project DIR")


def artifacts_dir(root: Path, explicit: str | os.PathLike[str] | None = None) -> Path:
    given = explicit or os.environ.get(ARTIFACTS_ENV)
    return Path(given).expanduser().resolve() if given else root / ".infra"


def region_dir(artifacts: Path, env: str, region: str) -> Path:
    return artifacts / env / region


def shared_dir(root: Path) -> Path:
    given = os.environ.get(SHARED_ENV)
    return Path(given).expanduser().resolve() if given else (root.parent / "shared").resolve()


def cache_dir() -> Path:
    given = os.environ.get(CACHE_ENV)
    if given:
        return Path(given).expanduser().resolve()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "infra"


def _version_key(path: Path) -> tuple[int, ...]:
    tail = path.stem.rsplit("-", 1)[-1]
    return tuple(int(p) for p in tail.split(".") if p.isdigit())


def provider_schema_path(root: Path, explicit: str | os.PathLike[str] | None = None) -> Path:
    """The AWS provider schema the sandbox serves.

    ``--provider-schema`` / ``$INFRA_PROVIDER_SCHEMA``, else the newest one in the cache
    (``infra providers schema`` puts it there on a machine that can download the provider),
    else ``../shared/schemas/terraform`` beside the checkout (a pre-seeded copy).
    """
    given = explicit or os.environ.get(SCHEMA_ENV)
    if given:
        path = Path(given).expanduser().resolve()
        if not path.is_file():
            source = "--provider-schema" if explicit else SCHEMA_ENV
            raise UserError(f"{path}: provider schema not found (from {source})")
        return path
    cached = sorted((cache_dir() / "schemas").glob("hashicorp-aws-*.json"), key=_version_key)
    if cached:
        return cached[-1]
    # ../shared/schemas is a read-only, pre-seeded cache laid beside the checkout.
    seeded = sorted((shared_dir(root) / "schemas" / "terraform").glob("hashicorp-aws-*.json"), key=_version_key)
    if seeded:
        return seeded[-1]
    raise UserError("no AWS provider schema: set INFRA_PROVIDER_SCHEMA (e.g. ../shared/schemas/terraform/"
                    "hashicorp-aws-6.47.0.json) or run `infra providers schema` on a machine with registry access")
