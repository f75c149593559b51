"""Integration fixtures: real embedded Terraform + the real sandbox provider plugin."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, SCHEMA


@pytest.fixture(scope="session", autouse=True)
def sandbox_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point the toolkit at the shared provider schema and a cache for this session."""
    if not SCHEMA.is_file():
        pytest.fail(f"provider schema missing: {SCHEMA}")
    saved = {k: os.environ.get(k) for k in ("INFRA_PROVIDER_SCHEMA", "INFRA_CACHE_DIR", "AWS_ACCESS_KEY_ID",
                                             "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_ENDPOINT_URL")}
    os.environ["INFRA_PROVIDER_SCHEMA"] = str(SCHEMA)
    os.environ.setdefault("INFRA_CACHE_DIR", str(tmp_path_factory.mktemp("infra-cache")))
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def prod_artifacts(tmp_path_factory: pytest.TempPathFactory, sandbox_environment: None) -> Path:
    """`infra plan --all --env prod` once for the session (sandbox, local state, no scan)."""
    from toolkit.cli import run

    out = tmp_path_factory.mktemp("prod-artifacts")
    code = run(["--project", str(REPO), "--artifacts", str(out), "--json", "plan", "--all", "--env", "prod",
                "--sandbox", "--no-scan", "--parallelism", "2"])
    assert code == 0, [json.loads((p / "status.json").read_text()) for p in (out / "prod").iterdir()]
    return out
