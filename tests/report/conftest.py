"""Fixtures for the compliance report: a project copy with the four prod regions' artifacts."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support import REPO

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "artifacts"
CATALOGUE = REPO / "controls" / "catalogue.yaml"
PROD_REGIONS = ("eu-central", "eu-west", "us-east", "us-west")
# The fixtures were planned on 2026-11-28; W-002 expires 2026-12-15 (within 30 days).
NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)
SENSITIVE_VALUE = "fixture-sensitive-9f2c1e7d"  # in plan.json, marked after_sensitive
HOSTILE = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"


class Project:
    """A throw-away project root holding ``.infra/prod/<region>/`` copied from the fixtures."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.artifacts = root / ".infra"
        shutil.copytree(FIXTURES, self.artifacts)
        (root / "controls").mkdir()
        shutil.copy(CATALOGUE, root / "controls" / "catalogue.yaml")

    def region_dir(self, region: str, env: str = "prod") -> Path:
        return self.artifacts / env / region

    def load(self, region: str, name: str) -> Any:
        return json.loads((self.region_dir(region) / name).read_text())

    def save(self, region: str, name: str, data: Any) -> None:
        (self.region_dir(region) / name).write_text(json.dumps(data, indent=2))

    def edit(self, region: str, name: str, fn: Callable[[Any], None]) -> None:
        data = self.load(region, name)
        fn(data)
        self.save(region, name, data)

    def build(self, env: str | None = "prod", **kwargs: Any) -> Any:
        from toolkit.report import build_report

        kwargs.setdefault("now", NOW)
        return build_report(self.root, self.artifacts, env, **kwargs)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path / "proj")


@pytest.fixture(scope="session")
def prod_report(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The report of the unmodified fixtures (built once per session)."""
    return Project(tmp_path_factory.mktemp("prod") / "proj").build()


def inject_hostile(p: Project, text: str = HOSTILE) -> None:
    """Put ``text`` in a waiver reason (us-east W-001) and in a tag value (every region)."""

    def waiver(data: dict[str, Any]) -> None:
        for f in data["findings"]:
            if f["waiver"] and f["waiver"]["id"] == "W-001":
                f["waiver"]["reason"] = text

    p.edit("us-east", "findings.json", waiver)
    for region in PROD_REGIONS:
        p.edit(region, "terraform.tfvars.json", lambda d: d["tags"].__setitem__("owner", text))
