"""cty msgpack/JSON codec, policy rendering, passwords and fake values (pure Python)."""

from __future__ import annotations

import json
import string

import msgpack
import pytest

from infra_sandbox.cty import (
    UNKNOWN,
    Dynamic,
    decode_json,
    decode_msgpack,
    encode_msgpack,
)
from infra_sandbox.fakes import (
    Context,
    Faker,
    random_password,
    read_data_source,
)
from infra_sandbox.policy_document import render_policy_document
from toolkit.adapters.terraform.results import error_summary

OBJ = [
    "object",
    {
        "s": "string",
        "n": "number",
        "b": "bool",
        "l": ["list", "string"],
        "set": ["set", "number"],
        "m": ["map", "bool"],
        "t": ["tuple", ["string", "number"]],
        "d": "dynamic",
        "o": ["object", {"x": "string"}],
    },
]


def test_msgpack_roundtrip_all_types_with_unknown_and_dynamic() -> None:
    value = {
        "s": "a",
        "n": 1.5,
        "b": True,
        "l": ["x", UNKNOWN],
        "set": [1, 2],
        "m": {"k": False},
        "t": ["y", 3],
        "d": Dynamic(["list", "string"], ["p", "q"]),
        "o": None,
    }
    data = encode_msgpack(value, OBJ)
    raw = msgpack.unpackb(data, raw=False, strict_map_key=False)
    assert raw["l"][1] == msgpack.ExtType(0, b"")  # unknown is extension type 0
    assert raw["d"][0] == b'["list","string"]'  # dynamic slot: [type JSON, value]
    assert raw["o"] is None
    assert decode_msgpack(data, OBJ) == value


def test_msgpack_reads_refined_unknowns_big_numbers_and_unknown_dynamic() -> None:
    data = msgpack.packb(
        {
            "s": msgpack.ExtType(12, b"\x81\x01\xc3"),
            "n": "123456789012345678901234567890",
            "d": msgpack.ExtType(0, b""),
        },
        use_bin_type=True,
    )
    ty = ["object", {"s": "string", "n": "number", "d": "dynamic"}]
    assert decode_msgpack(data, ty) == {"s": UNKNOWN, "n": 123456789012345678901234567890, "d": UNKNOWN}
    assert msgpack.unpackb(encode_msgpack({"s": "x", "n": 2**70, "d": 5}, ty), raw=False)["n"] == str(2**70)


def test_json_state_with_dynamic_and_missing_attributes() -> None:
    ty = ["object", {"a": "string", "d": "dynamic", "gone": "bool"}]
    state = decode_json(
        json.dumps({"a": "v", "d": {"value": {"k": 1}, "type": ["object", {"k": "number"}]}}).encode(), ty
    )
    assert state == {"a": "v", "d": Dynamic(["object", {"k": "number"}], {"k": 1}), "gone": None}


def test_policy_document_sources_overrides_and_principals() -> None:
    source = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "Keep", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                {"Sid": "Replace", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            ],
        }
    )
    override = json.dumps({"Statement": {"Sid": "Keep", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}})
    doc = render_policy_document(
        {
            "policy_id": "p1",
            "source_policy_documents": [source],
            "override_policy_documents": [override],
            "statement": [
                {
                    "sid": "Replace",
                    "effect": None,
                    "actions": ["s3:PutObject", "s3:GetObject"],
                    "not_actions": None,
                    "resources": ["arn:aws:s3:::b/*"],
                    "not_resources": None,
                    "principals": [
                        {"type": "AWS", "identifiers": ["arn:aws:iam::1:root"]},
                        {"type": "Service", "identifiers": ["eks.amazonaws.com", "ec2.amazonaws.com"]},
                    ],
                    "not_principals": None,
                    "condition": [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["true"]}],
                }
            ],
        }
    )
    assert doc["Id"] == "p1" and doc["Version"] == "2012-10-17"
    keep, replaced = doc["Statement"]
    assert keep == {"Sid": "Keep", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}
    assert replaced["Effect"] == "Allow"
    assert sorted(replaced["Action"]) == ["s3:GetObject", "s3:PutObject"]
    assert replaced["Principal"]["AWS"] == "arn:aws:iam::1:root"
    assert sorted(replaced["Principal"]["Service"]) == ["ec2.amazonaws.com", "eks.amazonaws.com"]
    assert replaced["Condition"] == {"Bool": {"aws:SecureTransport": "true"}}


@pytest.mark.parametrize("length", [8, 24, 64])
def test_random_password_honours_length_and_exclusions(length: int) -> None:
    pw = random_password({"password_length": length, "exclude_punctuation": True, "exclude_characters": "aA0"})
    assert len(pw) == length
    assert not set(pw) & (set(string.punctuation) | {"a", "A", "0"})
    assert any(c.isdigit() for c in pw) and any(c.islower() for c in pw) and any(c.isupper() for c in pw)


def test_fake_values_are_deterministic_and_shaped_like_aws() -> None:
    ctx = Context(region="eu-west-1", account_id="210987654321")
    config = {"cidr_block": "10.0.0.0/16", "id": UNKNOWN}
    a, b = Faker(ctx, "aws_vpc", config), Faker(ctx, "aws_vpc", dict(config))
    assert a.ident == b.ident and a.ident.startswith("vpc-")
    assert a.arn() == f"arn:aws:ec2:eu-west-1:210987654321:vpc/{a.ident}"
    assert Faker(ctx, "aws_vpc", {"cidr_block": "10.1.0.0/16"}).ident != a.ident
    role = Faker(ctx, "aws_iam_role", {"name": "prod-us-east-node"})
    assert role.arn() == "arn:aws:iam::210987654321:role/prod-us-east-node"
    filled = a.fill_unknowns(
        {"id": UNKNOWN, "n": UNKNOWN, "o": UNKNOWN},
        ["object", {"id": "string", "n": "number", "o": ["object", {"owner_id": "string"}]}],
    )
    assert filled == {"id": a.ident, "n": 0, "o": {"owner_id": "210987654321"}}


def test_availability_zones_from_catalog_with_exclusions() -> None:
    ctx = Context(region="us-west-2")
    state = read_data_source(ctx, "aws_availability_zones", {"exclude_names": ["us-west-2b"], "region": None})
    assert state["names"] == ["us-west-2a", "us-west-2c", "us-west-2d"]
    assert state["zone_ids"] == ["usw2-az1", "usw2-az3", "usw2-az4"]
    assert read_data_source(Context(region="cn-north-1"), "aws_partition", {})["partition"] == "aws-cn"


def test_error_summary_is_one_line_with_location() -> None:
    output = (
        '\nError: Unsupported argument\n\n  on main.tf line 2, in resource "aws_vpc" "this":\n'
        '   2:   cidr_blok = "x"\n\nAn argument named "cidr_blok" is not expected here.\n'
    )
    assert (
        error_summary(output) == 'main.tf:2: Unsupported argument (An argument named "cidr_blok" is not expected here.)'
    )
    assert error_summary("plain failure\n\n") == "plain failure"
