"""``infra prices refresh``: fetch current figures from AWS and write the user-cache snapshot.

The snapshot written has the bundled one's layout (``toolkit.cost.snapshot``) and, once
written, takes precedence over it. Each figure names its API as the source, dated today.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolkit.adapters.aws import pricing as aws_pricing
from toolkit.cost.snapshot import SCHEMA_VERSION, cached_path, parse
from toolkit.errors import UserError
from toolkit.fsutil import atomic_write_json

Fetch = Callable[..., aws_pricing.RegionFigures]


def _sources(today: str) -> dict[str, Any]:
    return {
        "aws-describe-instance-types": {
            "kind": "instance specs", "as_of": today,
            "url": "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceTypes.html",
            "notes": "ec2:DescribeInstanceTypes and ec2:DescribeInstanceTypeOfferings (LocationType=region)."},
        "aws-price-list-api": {
            "kind": "on-demand price", "as_of": today,
            "url": "https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_pricing_GetProducts.html",
            "notes": ("pricing:GetProducts, AmazonEC2, Linux, preInstalledSw NA, capacitystatus Used, marketoption "
                      "OnDemand; tenancy Shared (Compute Instance) or Dedicated (Compute Instance (bare metal)).")},
        "aws-spot-price-history": {
            "kind": "spot price per availability zone", "as_of": today,
            "url": "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSpotPriceHistory.html",
            "notes": "ec2:DescribeSpotPriceHistory, Linux/UNIX, StartTime now: the latest price in each zone."},
    }


def build(figures: list[aws_pricing.RegionFigures], families: list[str], today: str) -> dict[str, Any]:
    """The snapshot document for the fetched figures (pure; tested without AWS)."""
    types: dict[str, Any] = {}
    regions: dict[str, Any] = {}
    gaps = []
    for fig in figures:
        table: dict[str, Any] = {}
        for spec in fig.offered:
            types[spec.name] = {"family": spec.name.split(".")[0], "vcpu": spec.vcpu, "memory_mib": spec.memory_mib,
                                "gpu_count": spec.gpu_count, "gpu_model": spec.gpu_model,
                                "gpu_memory_mib": spec.gpu_memory_mib, "source": "aws-describe-instance-types"}
            entry: dict[str, Any] = {"spot": None}
            if spec.name in fig.on_demand:
                entry["on_demand"] = {"usd_per_hour": fig.on_demand[spec.name], "source": "aws-price-list-api"}
            else:
                gaps.append({"instance_type": spec.name, "region": fig.region, "missing": "on_demand",
                             "reason": "no Linux shared-tenancy on-demand product in the Price List API"})
            quotes = fig.spot.get(spec.name) or []
            if quotes:
                prices = [q.usd_per_hour for q in quotes]
                entry["spot"] = {"min_usd_per_hour": min(prices), "max_usd_per_hour": max(prices),
                                 "zones": len(quotes), "source": "aws-spot-price-history"}
            else:
                gaps.append({"instance_type": spec.name, "region": fig.region, "missing": "spot",
                             "reason": "no Linux/UNIX spot price history"})
            table[spec.name] = entry
        regions[fig.region] = table
    return {"schema_version": SCHEMA_VERSION, "assembled": today, "currency": "USD",
            "unit": "per instance-hour, Linux, shared tenancy", "families": sorted(families),
            "sources": _sources(today), "instance_types": types, "regions": regions, "gaps": gaps,
            "notes": ["Written by `infra prices refresh`; spot figures are the min and max of the latest price "
                      "across the region's availability zones at that moment."]}


def refresh(regions: list[str], families: list[str], log: Callable[[str], None],
            fetch: Fetch | None = None, today: dt.date | None = None, **clients: Any) -> Path:
    """Fetch figures for ``families`` in ``regions`` and write ``cache_dir()/prices/snapshot.json``."""
    if not regions:
        raise UserError("prices refresh: no regions to fetch")
    if not families:
        raise UserError("prices refresh: no instance families to fetch (no pools in the settings?)")
    fetch = fetch or aws_pricing.fetch_region
    stamp = (today or dt.datetime.now(dt.UTC).date()).isoformat()
    figures = []
    for region in regions:
        log(f"fetching {region}")
        figures.append(fetch(region, sorted(families), log=log, **clients))
    doc = build(figures, families, stamp)
    path = cached_path()
    parse(doc, path, "user cache")  # never write a snapshot the loader would refuse
    atomic_write_json(path, doc)
    return path
