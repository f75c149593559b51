"""The bundled snapshot: coverage, provenance of every figure, and which copy is used."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.support import REPO
from toolkit.cost import ceilings
from toolkit.cost import snapshot as snapshots
from toolkit.errors import UserError
from toolkit.settings import Project, stack_inputs

CATALOG_REGIONS = ("us-east-1", "us-west-2", "eu-central-1", "eu-west-1")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("INFRA_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_bundled_snapshot_covers_every_family_the_settings_allow(cache: Path) -> None:
    snap = snapshots.load()
    assert snap.origin == "bundled"
    project = Project(REPO)
    wanted = set()
    for env in project.environment_names():
        for cfg in project.environment(env).regions.values():
            for pool in stack_inputs(cfg, project.catalog)["karpenter"]["pools"].values():
                wanted.update(pool["instance_families"])
    assert wanted <= snap.families
    assert set(CATALOG_REGIONS) <= set(snap.regions)
    for family in wanted:
        assert snap.types_of(family), family


def test_every_figure_names_a_dated_source(cache: Path) -> None:
    raw = json.loads(snapshots.BUNDLED.read_text())
    sources = raw["sources"]
    for src in sources.values():
        assert src["url"].startswith("https://github.com/") and re.search(r"/blob/[0-9a-f]{40}/", src["url"])
        assert src["as_of"] or src["as_of_bound"]
    for region, table in raw["regions"].items():
        for itype, entry in table.items():
            for part in ("on_demand", "spot"):
                if entry.get(part):
                    assert entry[part]["source"] in sources, (region, itype, part)
    # us-east-1 on-demand is Karpenter's Price List API file; the others come from the SkyPilot catalog.
    assert raw["regions"]["us-east-1"]["p5.48xlarge"]["on_demand"] == {
        "usd_per_hour": 55.04, "source": "karpenter-on-demand-us-east-1"}
    assert raw["regions"]["eu-west-1"]["m6i.large"]["on_demand"] == {"usd_per_hour": 0.107, "source": "skypilot-aws-vms"}


def test_gaps_are_recorded_not_filled(cache: Path) -> None:
    raw = json.loads(snapshots.BUNDLED.read_text())
    gaps = {(g["instance_type"], g["region"]) for g in raw["gaps"]}
    assert ("g6e.xlarge", "eu-west-1") in gaps and "g6e.xlarge" not in raw["regions"]["eu-west-1"]
    assert ("p5.4xlarge", "us-east-1") in gaps and raw["regions"]["us-east-1"]["p5.4xlarge"]["spot"] is None


def test_the_user_cache_takes_precedence(cache: Path) -> None:
    target = snapshots.cached_path()
    target.parent.mkdir(parents=True)
    shutil.copy(snapshots.BUNDLED, target)
    snap = snapshots.load()
    assert snap.origin == "user cache" and snap.path == target


def test_a_broken_cache_copy_is_a_one_line_error(cache: Path) -> None:
    target = snapshots.cached_path()
    target.parent.mkdir(parents=True)
    doc = json.loads(snapshots.BUNDLED.read_text())
    doc["regions"]["us-east-1"]["m6i.large"]["spot"]["min_usd_per_hour"] = 99.0  # min above max
    target.write_text(json.dumps(doc))
    with pytest.raises(UserError) as err:
        snapshots.load()
    assert str(target) in str(err.value) and "user cache" in str(err.value) and "\n" not in str(err.value)


def test_real_figures_by_hand(cache: Path) -> None:
    # prod/us-east gpu-training-on-demand (ratio 0.6 of 1536 CPU / 12288 Gi / 64 GPU): 614 / 4915 Gi / 26.
    # p5.4xlarge (16 vCPU, 262144 MiB -> 242483 counted, 1 GPU): cpu 38, memory 5032960//242483 = 20,
    # gpu 26 -> 20 instances * $6.88 (Price List API, 2026-07-20) * 730 h = $100,448.
    cost = ceilings(Project(REPO), "prod", "us-east")
    n = cost.nodepool("gpu-training-on-demand")
    assert n.on_demand is not None
    assert (n.on_demand.high.instance_type, n.on_demand.high.instances, n.on_demand.high.binding) == (
        "p5.4xlarge", 20, "memory")
    assert n.ceiling_usd == pytest.approx(20 * 6.88 * 730)
