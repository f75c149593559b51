"""Plausible typed values for configuration probes, chosen by attribute type and name.

`candidates(name, type)` returns value *families*: pairs (primary, alternate) of values
of the same shape, most plausible first. The oracle tries a family, keeps the first
one the real provider validates, and uses the alternate to change a value.
"""
from __future__ import annotations

import json
import re

ACCOUNT = "123456789012"
REGION = "us-east-1"

POLICY_A = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}, separators=(",", ":"))
POLICY_B = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}, separators=(",", ":"))
TRUST_A = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sts:AssumeRole",
     "Principal": {"Service": "ec2.amazonaws.com"}}]}, separators=(",", ":"))
TRUST_B = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sts:AssumeRole",
     "Principal": {"Service": "eks.amazonaws.com"}}]}, separators=(",", ":"))
RESOURCE_POLICY_A = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*",
     "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}]}, separators=(",", ":"))
RESOURCE_POLICY_B = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Action": "*", "Resource": "*",
     "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}]}, separators=(",", ":"))

KMS_UUID_A = "1234abcd-12ab-34cd-56ef-1234567890ab"
KMS_UUID_B = "1234abcd-12ab-34cd-56ef-1234567890cd"


def _arn(service: str, resource: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


ARN_FAMILIES = [  # (name fragment, primary, alternate)
    ("policy", "arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/ViewOnlyAccess"),
    ("role", _arn("iam", "role/pf-role-a", ""), _arn("iam", "role/pf-role-b", "")),
    ("principal", _arn("iam", "role/pf-role-a", ""), _arn("iam", "role/pf-role-b", "")),
    ("kms", _arn("kms", f"key/{KMS_UUID_A}"), _arn("kms", f"key/{KMS_UUID_B}")),
    ("key", _arn("kms", f"key/{KMS_UUID_A}"), _arn("kms", f"key/{KMS_UUID_B}")),
    ("topic", _arn("sns", "pf-topic-a"), _arn("sns", "pf-topic-b")),
    ("sns", _arn("sns", "pf-topic-a"), _arn("sns", "pf-topic-b")),
    ("queue", _arn("sqs", "pf-queue-a"), _arn("sqs", "pf-queue-b")),
    ("sqs", _arn("sqs", "pf-queue-a"), _arn("sqs", "pf-queue-b")),
    ("lambda", _arn("lambda", "function:pf-fn-a"), _arn("lambda", "function:pf-fn-b")),
    ("function", _arn("lambda", "function:pf-fn-a"), _arn("lambda", "function:pf-fn-b")),
    ("log", _arn("logs", "log-group:pf-lg-a"), _arn("logs", "log-group:pf-lg-b")),
    ("certificate", _arn("acm", "certificate/pf-cert-a"), _arn("acm", "certificate/pf-cert-b")),
    ("bucket", "arn:aws:s3:::pf-bucket-a", "arn:aws:s3:::pf-bucket-b"),
    ("s3", "arn:aws:s3:::pf-bucket-a", "arn:aws:s3:::pf-bucket-b"),
    ("stream", _arn("kinesis", "stream/pf-stream-a"), _arn("kinesis", "stream/pf-stream-b")),
    ("secret", _arn("secretsmanager", "secret:pf-secret-a-AbCdEf"),
     _arn("secretsmanager", "secret:pf-secret-b-AbCdEf")),
    ("cluster", _arn("eks", "cluster/pf-cluster-a"), _arn("eks", "cluster/pf-cluster-b")),
    ("user", _arn("iam", "user/pf-user-a", ""), _arn("iam", "user/pf-user-b", "")),
    ("", _arn("iam", "role/pf-role-a", ""), _arn("iam", "role/pf-role-b", "")),
]

EC2_ID_PREFIXES = [  # (attribute name without _id(s), id prefix)
    ("vpc_endpoint", "vpce"), ("vpc_peering_connection", "pcx"), ("vpc", "vpc"),
    ("subnet", "subnet"), ("security_group", "sg"), ("source_security_group", "sg"),
    ("route_table", "rtb"), ("main_route_table", "rtb"), ("nat_gateway", "nat"),
    ("egress_only_gateway", "eigw"), ("internet_gateway", "igw"), ("transit_gateway", "tgw"),
    ("carrier_gateway", "cagw"), ("local_gateway", "lgw"), ("vpn_gateway", "vgw"),
    ("gateway", "igw"), ("network_interface", "eni"), ("instance", "i"), ("image", "ami"),
    ("ami", "ami"), ("allocation", "eipalloc"), ("network_acl", "acl"),
    ("dhcp_options", "dopt"), ("prefix_list", "pl"), ("destination_prefix_list", "pl"),
    ("launch_template", "lt"), ("snapshot", "snap"), ("volume", "vol"),
    ("customer_gateway", "cgw"), ("vpn_connection", "vpn"), ("ipam_pool", "ipam-pool"),
    ("capacity_reservation", "cr"), ("placement_group", "pg"), ("key_pair", "key"),
    ("association", "rtbassoc"),
]


def _ec2_id(prefix: str, n: int) -> str:
    return f"{prefix}-0123456789abcdef{n}"


def singular(name: str) -> str:
    if name.endswith("_ids"):
        return name[:-1]
    if name.endswith("_arns"):
        return name[:-1]
    if name.endswith("ses"):
        return name[:-2]
    if name.endswith("s") and not name.endswith("ss"):
        return name[:-1]
    return name


def string_families(name: str, context: str = "") -> list[tuple[str, str]]:
    """Candidate (primary, alternate) strings for an attribute called `name`."""
    n = name.lower()
    fam: list[tuple[str, str]] = []
    if n.endswith("_arn") or n == "arn" or n.endswith("arn"):
        for frag, a, b in ARN_FAMILIES:
            if frag in n or (frag == "" and not fam):
                fam.append((a, b))
        if "kms" in context or "key" in n:
            fam.insert(0, (_arn("kms", f"key/{KMS_UUID_A}"), _arn("kms", f"key/{KMS_UUID_B}")))
    if n in ("kms_key_id", "kms_key", "key_id", "kms_master_key_id", "target_key_id",
             "kms_key_arn", "encryption_key", "key_arn"):
        fam += [(_arn("kms", f"key/{KMS_UUID_A}"), _arn("kms", f"key/{KMS_UUID_B}")),
                (KMS_UUID_A, KMS_UUID_B), ("alias/pf-a", "alias/pf-b")]
    if n.endswith("_id") or n == "id":
        base = n[:-3]
        for frag, prefix in EC2_ID_PREFIXES:
            if base == frag or base.endswith("_" + frag) or base.endswith(frag):
                fam.append((_ec2_id(prefix, 0), _ec2_id(prefix, 1)))
                break
        if n in ("account_id", "owner_id", "owner_account_id", "source_account",
                 "admin_account_id", "target_account_id"):
            fam.append((ACCOUNT, "210987654321"))
        if n == "availability_zone_id":
            fam.append(("use1-az1", "use1-az2"))
        if n == "resource_id":
            fam.append((_ec2_id("vpc", 0), _ec2_id("vpc", 1)))
        if n == "secret_id":
            fam.append((_arn("secretsmanager", "secret:pf-secret-a-AbCdEf"),
                        _arn("secretsmanager", "secret:pf-secret-b-AbCdEf")))
    if n == "kms_key_id":
        pass
    if "ipv6_cidr" in n:
        fam.append(("2001:db8::/56", "2001:db8:0:100::/56"))
    if "cidr" in n:
        fam += [("10.0.0.0/16", "10.1.0.0/16"), ("10.0.1.0/24", "10.0.2.0/24")]
    if n in ("ipv6_address",) or n.endswith("ipv6_address"):
        fam.append(("2001:db8::10", "2001:db8::11"))
    if n.endswith("_ip") or n in ("ip", "ip_address", "private_ip", "address", "public_ip") \
            or n.endswith("ip_address"):
        fam.append(("10.0.0.10", "10.0.0.11"))
    if n == "availability_zone" or n.endswith("availability_zone"):
        fam.append(("us-east-1a", "us-east-1b"))
    if n in ("region", "region_name", "source_region", "destination_region") or n.endswith("_region"):
        fam.append(("us-east-1", "us-west-2"))
    if n == "assume_role_policy" or "trust" in n:
        fam.append((TRUST_A, TRUST_B))
    if n.endswith("policy") or n.endswith("policy_document") or n in (
            "access_policies", "policy_text", "resource_policy"):
        if "secret" in context or "queue" in context or "sqs" in context or "bucket" in context \
                or "s3" in context or "kms" in context:
            fam.append((RESOURCE_POLICY_A, RESOURCE_POLICY_B))
        fam += [(POLICY_A, POLICY_B), (RESOURCE_POLICY_A, RESOURCE_POLICY_B)]
    if n == "event_pattern" or n.endswith("_pattern"):
        fam.append(('{"source":["aws.ec2"]}', '{"source":["aws.s3"]}'))
    if n == "schedule_expression" or "schedule" in n:
        fam += [("rate(5 minutes)", "rate(10 minutes)"), ("cron(0 12 * * ? *)", "cron(0 13 * * ? *)")]
    if "email" in n:
        fam.append(("pf-a@example.com", "pf-b@example.com"))
    if n.endswith("url") or n.endswith("uri") or n.endswith("endpoint") or n == "url":
        fam += [("https://example.com/pf-a", "https://example.com/pf-b")]
        if "queue" in n:
            fam.insert(0, (f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/pf-queue-a",
                           f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/pf-queue-b"))
    if n in ("domain_name", "domain", "fqdn", "server_name") or n.endswith("domain_name"):
        fam.append(("pf-a.example.com", "pf-b.example.com"))
    if n == "service_name":
        fam.append((f"com.amazonaws.{REGION}.s3", f"com.amazonaws.{REGION}.ec2"))
    if n in ("protocol", "ip_protocol"):
        fam += [("tcp", "udp"), ("-1", "tcp"), ("TCP", "UDP"), ("HTTPS", "HTTP")]
    if n == "instance_type" or n.endswith("instance_type"):
        fam.append(("t3.micro", "t3.small"))
    if n in ("instance_types",):
        fam.append(("t3.micro", "t3.small"))
    if n == "version" or n.endswith("_version"):
        if "cluster" in context or "eks" in context or "kubernetes" in n:
            fam.append(("1.31", "1.32"))
        fam += [("1.0", "2.0"), ("1", "2")]
    if n in ("json", "definition") or n.endswith("_json"):
        fam.append(('{"pf":"a"}', '{"pf":"b"}'))
    if n in ("role", "iam_role", "role_name") or n.endswith("role_name"):
        fam.append(("pf-role-a", "pf-role-b"))
    if n in ("description",) or n.endswith("_description"):
        fam.append(("pf description a", "pf description b"))
    if n in ("date", "start_date", "end_date") or n.endswith("_time") or n.endswith("_date") \
            or n.endswith("timestamp"):
        fam.append(("2030-01-01T00:00:00Z", "2030-01-02T00:00:00Z"))
    if n.endswith("_name") or n == "name" or n.endswith("name_prefix") or n.endswith("identifier"):
        fam += [("pf-name-a", "pf-name-b"), ("pfnamea", "pfnameb"), ("pf_name_a", "pf_name_b"),
                ("PfNameA", "PfNameB"), ("/pf/name-a", "/pf/name-b")]
    if n == "path" or n.endswith("_path"):
        fam += [("/pf-a/", "/pf-b/"), ("pf-a", "pf-b")]
    if n.endswith("_key") or n == "key":
        fam.append(("pf-key-a", "pf-key-b"))
    # generic fallbacks
    fam += [("pf-value-a", "pf-value-b"), ("pfvaluea", "pfvalueb"), ("1", "2"), ("true", "false"),
            ("PF_A", "PF_B"), ("2001:db8::/64", "2001:db8:0:1::/64"), ("10.0.0.0/16", "10.1.0.0/16")]
    out: list[tuple[str, str]] = []
    for f in fam:
        if f not in out:
            out.append(f)
    return out


def number_families(name: str) -> list[tuple[float, float]]:
    n = name.lower()
    fam: list[tuple[float, float]] = []
    if "port" in n:
        fam.append((443, 8443))
    if "asn" in n:
        fam.append((64512, 64513))
    if "days" in n:
        fam += [(7, 14), (30, 60), (1, 3)]
    if "seconds" in n or "duration" in n or "timeout" in n or "period" in n or "interval" in n:
        fam += [(3600, 7200), (60, 120), (300, 600), (30, 60)]
    if "percent" in n:
        fam.append((50, 60))
    if "min" in n:
        fam.append((1, 2))
    fam += [(1, 2), (2, 3), (30, 60), (100, 200), (0, 1), (7, 14), (3600, 7200), (5, 10),
            (1024, 2048)]
    out: list[tuple[float, float]] = []
    for f in fam:
        if f not in out:
            out.append(f)
    return out


def families(name: str, ty, context: str = "") -> list[tuple[object, object]]:
    """Value families for a Terraform type `ty` (as in providers schema JSON)."""
    if ty == "string":
        return list(string_families(name, context))
    if ty == "number":
        return list(number_families(name))
    if ty == "bool":
        return [(True, False)]
    if isinstance(ty, list) and ty[0] in ("list", "set"):
        elem = families(singular(name), ty[1], context)
        return [([a], [b]) for a, b in elem[:8]]
    if isinstance(ty, list) and ty[0] == "map":
        elem = families("value", ty[1], context)
        return [({"pfkey": a}, {"pfkey": b}) for a, b in elem[:3]]
    if isinstance(ty, list) and ty[0] == "object":
        fields = ty[1]
        a, b = {}, {}
        for k in sorted(fields):
            fa = families(k, fields[k], context)
            a[k], b[k] = fa[0] if fa else (None, None)
        return [(a, b)]
    if ty == "dynamic":
        return [("pf-value-a", "pf-value-b")]
    return []


def bad_values(ty) -> list[tuple[str, object]]:
    """Values meant to trip provider-side checks: (probe kind, value)."""
    if ty == "string":
        return [("foo", "FOO"), ("spaces", "foo bar baz")]
    if ty == "number":
        return [("foo", 7777)]
    if isinstance(ty, list) and ty[0] in ("list", "set") and ty[1] == "string":
        return [("foo", ["FOO"]), ("spaces", ["foo bar baz"])]
    if isinstance(ty, list) and ty[0] in ("list", "set") and ty[1] == "number":
        return [("foo", [7777])]
    return []


def fake_computed(name: str, ty):
    """Value for a computed attribute that was unknown at plan, for a synthetic prior state."""
    if ty == "string":
        n = name.lower()
        if n == "id":
            return "pf-fake-id"
        return families(name, ty)[0][0]
    if ty == "number":
        return 0
    if ty == "bool":
        return False
    if isinstance(ty, list) and ty[0] in ("list", "set"):
        return []
    if isinstance(ty, list) and ty[0] == "map":
        return {}
    return None


_ENUM_RES = [
    re.compile(r"expected \S+ to be one of \[(?P<v>.*)\], got"),
    re.compile(r"expected \S+ to be one of (?P<v>\[.*?\]), got"),
    re.compile(r"value must be one of: ?\[(?P<v>.*?)\]", re.S),
]


def parse_enum(message: str) -> list | None:
    """Allowed values out of `expected key_usage to be one of ["A" "B"], got FOO` and the like."""
    for rx in (_ENUM_RES[0], _ENUM_RES[2]):
        m = rx.search(message)
        if not m:
            continue
        body = m.group("v").strip()
        if not body:
            return []
        if '"' in body:
            vals = re.findall(r'"((?:[^"\\]|\\.)*)"', body)
            return [json.loads('"%s"' % v) for v in vals]
        items = body.split()
        try:
            return [int(x) if re.fullmatch(r"-?\d+", x) else float(x) for x in items]
        except ValueError:
            return items
    return None


_RANGE_RE = re.compile(r"expected (?:\S+) to be in (?:the )?range \((?P<lo>-?[\d.]+) - (?P<hi>-?[\d.]+)\)")
_LEN_RE = re.compile(r"expected length of \S+ to be in the range \((?P<lo>\d+) - (?P<hi>\d+)\)")
_REGEX_RE = re.compile(r"expected value of \S+ to match regular expression (?P<q>\".*\"), got")
_NOT_REGEX_RE = re.compile(r"\S+ must match regular expression (?P<q>\".*\")")


def parse_range(message: str):
    m = _RANGE_RE.search(message)
    if m:
        return {"min": _num(m.group("lo")), "max": _num(m.group("hi"))}
    return None


def parse_length(message: str):
    m = _LEN_RE.search(message)
    if m:
        return {"min": int(m.group("lo")), "max": int(m.group("hi"))}
    return None


def parse_regex(message: str):
    m = _REGEX_RE.search(message)
    if m:
        try:
            return json.loads(m.group("q"))
        except ValueError:
            return None
    return None


def _num(s: str):
    return int(s) if re.fullmatch(r"-?\d+", s) else float(s)


def hint_families(name: str, ty, message: str) -> list:
    """Value families suggested by a provider's complaint about a bad value."""
    m = message.lower()
    fam: list = []
    if " arn" in m or "arn:" in m:
        n = name.lower()
        for frag, a, b in ARN_FAMILIES:
            if frag and frag in n:
                fam.append((a, b))
        fam += [(a, b) for frag, a, b in ARN_FAMILIES if (a, b) not in fam]
    if "cidr" in m:
        fam += [("10.0.0.0/16", "10.1.0.0/16"), ("2001:db8::/56", "2001:db8:0:100::/56")]
    if "json" in m:
        fam += [(POLICY_A, POLICY_B), (RESOURCE_POLICY_A, RESOURCE_POLICY_B), ('{"pf":"a"}', '{"pf":"b"}')]
    if "ip address" in m or "ipv4" in m:
        fam.append(("10.0.0.10", "10.0.0.11"))
    if "rfc3339" in m or "timestamp" in m:
        fam.append(("2030-01-01T00:00:00Z", "2030-01-02T00:00:00Z"))
    if "uuid" in m:
        fam.append((KMS_UUID_A, KMS_UUID_B))
    rng = parse_range(message)
    if rng and ty in ("number",):
        lo, hi = rng["min"], rng["max"]
        b = lo + 1 if lo + 1 <= hi else lo
        fam.insert(0, (lo, b))
    ln = parse_length(message)
    if ln and ty == "string" and ln["min"] > 12:
        fam.insert(0, ("a" * ln["min"], "b" * ln["min"]))
    if ty != "string" and ty != "number":
        if isinstance(ty, list) and ty[0] in ("list", "set") and ty[1] == "string":
            return [([a], [b]) for a, b in fam if isinstance(a, str)]
        return []
    if ty == "number":
        return [f for f in fam if isinstance(f[0], (int, float))]
    return [f for f in fam if isinstance(f[0], str)]
