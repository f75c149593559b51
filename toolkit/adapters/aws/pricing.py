"""boto3 edge of ``infra prices refresh``: instance specs, offerings, on-demand and spot prices.

- ``ec2:DescribeInstanceTypes`` (filter ``instance-type`` = ``<family>.*``): vCPUs, memory, GPUs.
- ``ec2:DescribeInstanceTypeOfferings`` (``LocationType=region``): which of them the region offers.
- ``pricing:GetProducts`` (service ``AmazonEC2``, Price List API endpoint in us-east-1): on-demand
  Linux prices with the filters Karpenter uses (pkg/providers/pricing/pricing.go): regionCode,
  operatingSystem Linux, preInstalledSw NA, capacitystatus Used, marketoption OnDemand, and
  either tenancy Shared + productFamily "Compute Instance" or, for bare metal, tenancy Dedicated +
  productFamily "Compute Instance (bare metal)".
- ``ec2:DescribeSpotPriceHistory`` (Linux/UNIX, ``StartTime`` = now): the latest price per zone.

Everything returns plain data; the core (``toolkit.cost.refresh``) assembles the snapshot.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from toolkit.adapters.aws.session import aws_errors, client, new_session

PRICING_REGION = "us-east-1"  # the Price List Query API is served from us-east-1 (and two others)
PRODUCT_DESCRIPTIONS = ["Linux/UNIX", "Linux/UNIX (Amazon VPC)"]


@dataclass(frozen=True)
class TypeSpec:
    name: str
    vcpu: int
    memory_mib: int
    gpu_count: int
    gpu_model: str | None
    gpu_memory_mib: int | None


@dataclass(frozen=True)
class SpotQuote:
    instance_type: str
    zone: str
    usd_per_hour: float
    timestamp: str


@dataclass
class RegionFigures:
    region: str
    offered: list[TypeSpec] = field(default_factory=list)
    on_demand: dict[str, float] = field(default_factory=dict)
    spot: dict[str, list[SpotQuote]] = field(default_factory=dict)


def parse_instance_types(items: Iterable[dict[str, Any]]) -> list[TypeSpec]:
    """``InstanceTypes`` entries of DescribeInstanceTypes -> specs."""
    out = []
    for it in items:
        gpus = (it.get("GpuInfo") or {}).get("Gpus") or []
        count = sum(int(g.get("Count", 0)) for g in gpus)
        model = str(gpus[0].get("Name")) if gpus else None
        gmem = int((gpus[0].get("MemoryInfo") or {}).get("SizeInMiB", 0)) if gpus else 0
        out.append(TypeSpec(name=str(it["InstanceType"]), vcpu=int(it["VCpuInfo"]["DefaultVCpus"]),
                            memory_mib=int(it["MemoryInfo"]["SizeInMiB"]), gpu_count=count,
                            gpu_model=model, gpu_memory_mib=gmem or None))
    return sorted(out, key=lambda s: s.name)


def parse_price_list(price_list: Iterable[str], currency: str = "USD") -> dict[str, float]:
    """``PriceList`` of GetProducts (JSON strings, FormatVersion aws_v1) -> on-demand price per type.

    Each item is ``{"product": {"attributes": {"instanceType": ...}}, "terms": {"OnDemand":
    {offer: {"priceDimensions": {rate: {"unit": "Hrs", "pricePerUnit": {"USD": "0.0960000000"}}}}}}}``;
    zero prices (placeholders) are skipped, as Karpenter does.
    """
    prices: dict[str, float] = {}
    for raw in price_list:
        item = json.loads(raw) if isinstance(raw, str) else raw
        itype = ((item.get("product") or {}).get("attributes") or {}).get("instanceType")
        if not itype:
            continue
        for term in ((item.get("terms") or {}).get("OnDemand") or {}).values():
            for dim in (term.get("priceDimensions") or {}).values():
                try:
                    price = float((dim.get("pricePerUnit") or {}).get(currency, ""))
                except ValueError:
                    continue
                if price > 0:
                    prices[str(itype)] = price
    return prices


def parse_spot_history(history: Iterable[dict[str, Any]]) -> dict[str, list[SpotQuote]]:
    """``SpotPriceHistory`` entries -> the latest quote per (type, zone)."""
    latest: dict[tuple[str, str], SpotQuote] = {}
    for h in history:
        ts = h.get("Timestamp")
        stamp = ts.isoformat() if isinstance(ts, dt.datetime) else str(ts or "")
        quote = SpotQuote(str(h["InstanceType"]), str(h["AvailabilityZone"]), float(h["SpotPrice"]), stamp)
        key = (quote.instance_type, quote.zone)
        if key not in latest or quote.timestamp > latest[key].timestamp:
            latest[key] = quote
    out: dict[str, list[SpotQuote]] = {}
    for (itype, _), q in sorted(latest.items()):
        out.setdefault(itype, []).append(q)
    return out


def _filters(region: str, *pairs: tuple[str, str]) -> list[dict[str, str]]:
    base = [("regionCode", region), ("serviceCode", "AmazonEC2"), ("preInstalledSw", "NA"),
            ("operatingSystem", "Linux"), ("capacitystatus", "Used"), ("marketoption", "OnDemand"), *pairs]
    return [{"Type": "TERM_MATCH", "Field": f, "Value": v} for f, v in base]


def fetch_region(region: str, families: list[str], *, ec2: Any = None, pricing: Any = None,
                 log: Callable[[str], None] = lambda _m: None) -> RegionFigures:
    """All figures for the instance types of ``families`` offered in ``region``."""
    session = new_session(region) if ec2 is None or pricing is None else None
    if ec2 is None:
        assert session is not None
        ec2 = client(session, "ec2", region)
    if pricing is None:
        assert session is not None
        pricing = client(session, "pricing", PRICING_REGION)
    figures = RegionFigures(region)
    with aws_errors(f"listing instance types in {region} (ec2:DescribeInstanceTypes)"):
        items: list[dict[str, Any]] = []
        for page in ec2.get_paginator("describe_instance_types").paginate(
                Filters=[{"Name": "instance-type", "Values": [f"{f}.*" for f in families]}]):
            items += page.get("InstanceTypes", [])
    specs = [s for s in parse_instance_types(items) if s.name.split(".")[0] in families]
    names = [s.name for s in specs]
    with aws_errors(f"listing instance type offerings in {region} (ec2:DescribeInstanceTypeOfferings)"):
        offered: set[str] = set()
        for i in range(0, len(names), 100):
            for page in ec2.get_paginator("describe_instance_type_offerings").paginate(
                    LocationType="region", Filters=[{"Name": "instance-type", "Values": names[i:i + 100]}]):
                offered |= {o["InstanceType"] for o in page.get("InstanceTypeOfferings", [])}
    figures.offered = [s for s in specs if s.name in offered]
    log(f"{region}: {len(figures.offered)} of {len(specs)} instance types of {', '.join(families)} offered")
    wanted = {s.name for s in figures.offered}
    with aws_errors(f"reading on-demand prices for {region} (pricing:GetProducts)"):
        for pairs in ((("tenancy", "Shared"), ("productFamily", "Compute Instance")),
                      (("tenancy", "Dedicated"), ("productFamily", "Compute Instance (bare metal)"))):
            paginator = pricing.get_paginator("get_products")
            for page in paginator.paginate(ServiceCode="AmazonEC2", FormatVersion="aws_v1",
                                           Filters=_filters(region, *pairs)):
                for name, price in parse_price_list(page.get("PriceList", [])).items():
                    if name in wanted and name not in figures.on_demand:
                        figures.on_demand[name] = price
    with aws_errors(f"reading spot prices in {region} (ec2:DescribeSpotPriceHistory)"):
        history: list[dict[str, Any]] = []
        names = sorted(wanted)
        now = dt.datetime.now(dt.UTC)
        for i in range(0, len(names), 100):
            for page in ec2.get_paginator("describe_spot_price_history").paginate(
                    InstanceTypes=names[i:i + 100], ProductDescriptions=PRODUCT_DESCRIPTIONS, StartTime=now):
                history += page.get("SpotPriceHistory", [])
    figures.spot = parse_spot_history(history)
    return figures
