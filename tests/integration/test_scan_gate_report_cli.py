"""plan -> scan -> gate -> report through the CLI on the real prod plans (sandbox)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema

from tests.support import REPO
from tests.support.baseline import ProdPlans


def test_scan_gate_report_on_prod(prod_plans: ProdPlans, prod_artifacts: Path, infra: Callable[..., object],
                                  tmp_path: Path) -> None:
    base = ("--project", str(prod_plans.root), "--artifacts", str(prod_artifacts))
    scan = infra(*base, "--json", "scan", "--all", "--env", "prod")
    assert scan.code == 0, scan.err
    per_region = json.loads(scan.out)
    assert set(per_region) == {"eu-central", "eu-west", "us-east", "us-west"}
    assert all(r["failed"] == 0 and r["passed"] > 100 for r in per_region.values()), per_region

    again = infra(*base, "--json", "scan", "--all", "--env", "prod")
    assert all(r["cache_hit"] for r in json.loads(again.out).values()), "unchanged inputs were scanned again"

    # The gate judges artifacts wherever they are (e.g. downloaded from CI matrix jobs).
    gate = infra("--project", str(prod_plans.root), "gate", "--env", "prod", "--artifacts", str(prod_artifacts),
                 "--out", str(tmp_path / "gate"))
    assert gate.code == 0, gate.err
    assert "PASS prod: 4 region(s), 0 unwaived findings at or above HIGH" in gate.err
    assert {p.suffix for p in (tmp_path / "gate").iterdir()} == {".xml", ".sarif", ".json", ".md"}

    report = infra(*base, "report", "--env", "prod", "--format", "json", "--stdout")
    assert report.code == 0, report.err
    data = json.loads(report.out)
    schema = json.loads((REPO / "toolkit" / "report" / "report.schema.json").read_text())
    jsonschema.validate(data, schema)
    text = json.dumps(data)
    assert all(region in text for region in ("us-east", "us-west", "eu-central", "eu-west"))
    html = infra(*base, "report", "--env", "prod", "--out", str(tmp_path / "r.html"))
    assert html.code == 0 and (tmp_path / "r.html").read_text().lstrip().lower().startswith("<!doctype html")


def test_gate_without_artifacts_is_a_clear_error(infra: Callable[..., object], tmp_path: Path) -> None:
    result = infra("--project", str(REPO), "gate", "--env", "prod", "--artifacts", str(tmp_path / "none"))
    assert result.code == 1
    assert result.err.startswith("error: ") and "\n" not in result.err.strip()
