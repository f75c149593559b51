"""infra prices refresh against a moto server over HTTP, and the parsing of each AWS response.

moto (5.2.5) serves ec2:DescribeInstanceTypes, ec2:DescribeInstanceTypeOfferings and
ec2:DescribeSpotPriceHistory (with a placeholder price of 0.00001 for every zone), but not
pricing:GetProducts: the server has no backend for the Price List API and answers HTTP 500 (the
in-process ``mock_aws`` answers 404 "Not yet implemented"). The refresh tests
therefore use the moto server for EC2 and a recorded GetProducts response of the documented shape
(``{"FormatVersion": "aws_v1", "PriceList": [JSON string, ...]}``, each item
``product.attributes.instanceType`` plus ``terms.OnDemand.*.priceDimensions.*.pricePerUnit.USD``, as
the AWS Price List API reference and Karpenter's pkg/providers/pricing/pricing.go describe it) served
through botocore's Stubber.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from toolkit.adapters.aws import pricing as aws_pricing
from toolkit.cost import refresh as refresher
from toolkit.cost import snapshot as snapshots


def price_item(itype: str, usd: str, tenancy: str = "Shared") -> str:
    """One PriceList entry in the documented aws_v1 shape (a JSON string)."""
    return json.dumps({
        "product": {"productFamily": "Compute Instance", "sku": f"SKU{itype}",
                    "attributes": {"instanceType": itype, "regionCode": "eu-west-1", "operatingSystem": "Linux",
                                   "tenancy": tenancy, "capacitystatus": "Used", "preInstalledSw": "NA"}},
        "serviceCode": "AmazonEC2",
        "terms": {"OnDemand": {f"SKU{itype}.JRTCKXETXF": {
            "offerTermCode": "JRTCKXETXF", "sku": f"SKU{itype}", "effectiveDate": "2026-11-01T00:00:00Z",
            "priceDimensions": {f"SKU{itype}.JRTCKXETXF.6YS6EN2CT7": {
                "unit": "Hrs", "beginRange": "0", "endRange": "Inf", "description": f"${usd} per On Demand Linux",
                "pricePerUnit": {"USD": usd}, "appliesTo": [], "rateCode": f"SKU{itype}.JRTCKXETXF.6YS6EN2CT7"}},
            "termAttributes": {}}}},
        "version": "20261101000000", "publicationDate": "2026-11-01T00:00:00Z",
    })


RECORDED_SHARED = {"FormatVersion": "aws_v1", "PriceList": [
    price_item("g5.xlarge", "1.1230000000"), price_item("g5.2xlarge", "1.3529600000"),
    price_item("g5.4xlarge", "0.0000000000"),  # placeholder zero: skipped
]}
RECORDED_METAL = {"FormatVersion": "aws_v1", "PriceList": []}


def test_parse_price_list() -> None:
    prices = aws_pricing.parse_price_list(RECORDED_SHARED["PriceList"])
    assert prices == {"g5.xlarge": 1.123, "g5.2xlarge": 1.35296}


def test_parse_spot_history_keeps_the_latest_quote_per_zone() -> None:
    t0, t1 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC), dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    quotes = aws_pricing.parse_spot_history([
        {"InstanceType": "g5.xlarge", "AvailabilityZone": "eu-west-1a", "SpotPrice": "0.50", "Timestamp": t0},
        {"InstanceType": "g5.xlarge", "AvailabilityZone": "eu-west-1a", "SpotPrice": "0.45", "Timestamp": t1},
        {"InstanceType": "g5.xlarge", "AvailabilityZone": "eu-west-1b", "SpotPrice": "0.60", "Timestamp": t0},
    ])
    assert [(q.zone, q.usd_per_hour) for q in quotes["g5.xlarge"]] == [("eu-west-1a", 0.45), ("eu-west-1b", 0.60)]


NO_RETRY = Config(retries={"max_attempts": 1, "mode": "standard"})


def test_moto_does_not_serve_the_price_list_api(aws_env: dict[str, str]) -> None:
    client = boto3.client("pricing", region_name="us-east-1", config=NO_RETRY)
    with pytest.raises(ClientError) as err:
        client.get_products(ServiceCode="AmazonEC2", MaxResults=1)
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] in (404, 500)


def _stubbed_pricing() -> tuple[Any, Stubber]:
    client = boto3.client("pricing", region_name="us-east-1")
    stub = Stubber(client)
    for pairs, response in (((("tenancy", "Shared"), ("productFamily", "Compute Instance")), RECORDED_SHARED),
                            ((("tenancy", "Dedicated"), ("productFamily", "Compute Instance (bare metal)")),
                             RECORDED_METAL)):
        stub.add_response("get_products", response, {
            "ServiceCode": "AmazonEC2", "FormatVersion": "aws_v1",
            "Filters": aws_pricing._filters("eu-west-1", *pairs)})
    stub.activate()
    return client, stub


def test_refresh_writes_the_user_cache_snapshot(aws_env: dict[str, str], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch, infra: Any) -> None:
    monkeypatch.setenv("INFRA_CACHE_DIR", str(tmp_path / "cache"))
    ec2 = boto3.client("ec2", region_name="eu-west-1")  # the moto server, over HTTP (AWS_ENDPOINT_URL)
    pricing, stub = _stubbed_pricing()
    log: list[str] = []
    path = refresher.refresh(["eu-west-1"], ["g5", "g6"], log=log.append, today=dt.date(2026, 12, 3),
                             ec2=ec2, pricing=pricing)
    stub.assert_no_pending_responses()
    assert path == snapshots.cached_path() and path.is_file()
    snap = snapshots.load()
    assert snap.origin == "user cache" and snap.assembled == "2026-12-03"
    table = snap.regions["eu-west-1"]
    # moto offers g5 but no g6 type in eu-west-1; its specs are moto's DescribeInstanceTypes data.
    assert table and all(name.startswith("g5.") for name in table)
    assert snap.instance_types["g5.12xlarge"].gpu_count == 4 and snap.instance_types["g5.12xlarge"].vcpu == 48
    assert table["g5.xlarge"].on_demand == 1.123 and table["g5.xlarge"].on_demand_source == "aws-price-list-api"
    assert table["g5.4xlarge"].on_demand is None  # the zero placeholder is not a price
    assert table["g5.xlarge"].spot_min == table["g5.xlarge"].spot_max == 0.00001  # moto's placeholder
    assert table["g5.xlarge"].spot_zones >= 1
    raw = json.loads(path.read_text())
    assert {"instance_type": "g5.4xlarge", "region": "eu-west-1", "missing": "on_demand",
            "reason": "no Linux shared-tenancy on-demand product in the Price List API"} in raw["gaps"]
    assert any("of g5, g6 offered" in line for line in log)
    shown = infra("prices", "show", "--json")
    assert shown.code == 0 and json.loads(shown.out)["in use"] == f"user cache: {path}"


def test_refresh_against_aws_errors_is_one_line(aws_env: dict[str, str], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFRA_CACHE_DIR", str(tmp_path / "cache"))
    from toolkit.errors import InfraError

    ec2 = boto3.client("ec2", region_name="eu-west-1")
    pricing = boto3.client("pricing", region_name="us-east-1", config=NO_RETRY)  # moto: no Price List API
    with pytest.raises(InfraError) as err:
        refresher.refresh(["eu-west-1"], ["g5"], log=lambda _m: None, ec2=ec2, pricing=pricing)
    assert "pricing:GetProducts" in str(err.value) and "\n" not in str(err.value)
    assert not snapshots.cached_path().exists()


def test_build_is_loadable_without_aws() -> None:
    fig = aws_pricing.RegionFigures("xx-test-1", offered=[aws_pricing.TypeSpec("cx.2", 2, 4096, 0, None, None)],
                                    on_demand={"cx.2": 0.1},
                                    spot={"cx.2": [aws_pricing.SpotQuote("cx.2", "xx-test-1a", 0.03, "t"),
                                                   aws_pricing.SpotQuote("cx.2", "xx-test-1b", 0.05, "t")]})
    doc = refresher.build([fig], ["cx"], "2026-12-03")
    snap = snapshots.parse(doc, Path("x.json"), "file")
    price = snap.regions["xx-test-1"]["cx.2"]
    assert (price.on_demand, price.spot_min, price.spot_max, price.spot_zones) == (0.1, 0.03, 0.05, 2)
