#!/usr/bin/env python3
"""Generate infra_sandbox/data/aws_provider_facts.json: which attributes force replacement,
provider defaults and value checks of hashicorp/aws resources, for the offline sandbox.

Facts come from two places:
  * an oracle: the real hashicorp/aws provider binary (5.100.0 here), asked offline through
    `terraform validate` and `terraform plan -refresh=false` about generated configurations
    and synthetic prior states (see validate_phase.py and plan_phase.py);
  * source_6x.yaml: facts read by hand from the provider's Go sources, for the types our
    modules use (6.x source wins over the 5.100 oracle where the version read is 6.x).
Every fact is filtered against the 6.47.0 schema the sandbox serves.

    python scripts/provider_facts/generate.py               # the default type selection
    python scripts/provider_facts/generate.py --types core  # only the types listed in TYPES_CORE
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import assemble  # noqa: E402
import plan_phase  # noqa: E402
import tfrun  # noqa: E402
import validate_phase  # noqa: E402
from model import TypeModel  # noqa: E402

REPO = HERE.parent.parent
DEFAULT_OUT = REPO / "infra_sandbox" / "data" / "aws_provider_facts.json"
DEFAULT_SCHEMA_6X = os.environ.get(
    "INFRA_PROVIDER_SCHEMA",
    str(REPO.parent / "shared" / "schemas" / "terraform" / "hashicorp-aws-6.47.0.json"))
FACTS_VERSION = "6.47.0"

# Types our modules use (modules/, terraform/).
TYPES_MODULES = """
aws_iam_role aws_iam_role_policy_attachment aws_iam_role_policy aws_subnet
aws_route_table_association aws_route_table aws_route aws_kms_alias aws_eks_addon
aws_eks_access_entry aws_cloudwatch_log_group aws_vpc_endpoint aws_vpc aws_sqs_queue_policy
aws_sqs_queue aws_secretsmanager_secret_version aws_secretsmanager_secret_rotation
aws_secretsmanager_secret_policy aws_secretsmanager_secret aws_nat_gateway aws_launch_template
aws_kms_replica_key aws_kms_key aws_internet_gateway aws_iam_policy aws_flow_log
aws_eks_pod_identity_association aws_eks_node_group aws_eks_cluster
aws_eks_access_policy_association aws_eip aws_ec2_tag aws_default_security_group
aws_cloudwatch_event_target aws_cloudwatch_event_rule
""".split()
# Common in public vpc / eks / kms / secrets-manager / iam / security-group module examples.
TYPES_COMMON = """
aws_security_group aws_security_group_rule aws_vpc_security_group_ingress_rule
aws_vpc_security_group_egress_rule aws_iam_openid_connect_provider aws_iam_instance_profile
aws_iam_policy_attachment aws_eks_identity_provider_config aws_eks_fargate_profile
aws_default_network_acl aws_default_route_table aws_network_acl aws_network_acl_rule
aws_vpc_dhcp_options aws_vpc_dhcp_options_association aws_egress_only_internet_gateway
aws_db_subnet_group aws_elasticache_subnet_group aws_kms_grant aws_kms_external_key
aws_s3_bucket aws_s3_bucket_versioning aws_s3_bucket_server_side_encryption_configuration
aws_s3_bucket_public_access_block aws_s3_bucket_policy aws_autoscaling_group_tag
aws_vpc_ipv4_cidr_block_association aws_cloudwatch_log_stream
""".split()
TYPES_CORE = sorted(set(TYPES_MODULES) | set(TYPES_COMMON))
# "extended": every type of the service families around the core ones.
EXTENDED_PREFIXES = (
    "aws_vpc", "aws_subnet", "aws_route", "aws_eks_", "aws_iam_", "aws_kms_",
    "aws_secretsmanager_", "aws_sqs_", "aws_cloudwatch_", "aws_s3_bucket", "aws_security_group",
    "aws_network_acl", "aws_default_", "aws_ec2_", "aws_eip", "aws_nat_gateway",
    "aws_internet_gateway", "aws_egress_only", "aws_launch_template", "aws_flow_log",
    "aws_autoscaling_", "aws_db_subnet_group", "aws_elasticache_subnet_group", "aws_sns_topic",
    "aws_ssm_parameter", "aws_acm_", "aws_lb", "aws_route53_zone", "aws_route53_record",
    "aws_ecr_repository", "aws_lambda_function", "aws_lambda_permission",
)
BATCH = 120    # at most this many types per batch (one validate/plan configuration)


def select_types(spec: str, oracle_types: set, facts_types: set) -> list[str]:
    both = oracle_types & facts_types
    if spec == "core":
        chosen = set(TYPES_CORE)
    elif spec == "extended":
        chosen = set(TYPES_CORE) | {t for t in both if t.startswith(EXTENDED_PREFIXES)}
    elif spec == "all":
        chosen = set(both)
    else:
        chosen = {t.strip() for t in spec.split(",") if t.strip()}
    missing = sorted(t for t in chosen if t not in oracle_types)
    if missing:
        print(f"note: not in the {tfrun.ORACLE_VERSION} schema (no oracle): {', '.join(missing)}",
              file=sys.stderr)
    return sorted(t for t in chosen if t in both)


def run_batch(work: Path, tag: str, models: list[TypeModel]) -> list[plan_phase.PlanProbe]:
    t0 = time.time()
    probes = [validate_phase.TypeProbe(m) for m in models]
    validate_phase.run(work, probes, tag)
    pps = [plan_phase.PlanProbe(tp) for tp in probes]
    plan_phase.run_creates(work, pps, tag)
    plan_phase.run_changes(work, pps, tag)
    tfrun.log(f"batch {tag}: {len(models)} types in {time.time() - t0:.0f}s")
    return pps


def load_source_facts(path: Path) -> dict:
    import yaml
    doc = yaml.safe_load(path.read_text())
    return doc


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--types", default="extended",
                    help="core | extended | all | comma-separated type names (default: extended)")
    ap.add_argument("--work", default=os.environ.get("PF_WORK", "/tmp/provider-facts-work"),
                    help="scratch directory for generated configurations (default: %(default)s)")
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="facts file to write")
    ap.add_argument("--schema-6x", default=DEFAULT_SCHEMA_6X,
                    help="`terraform providers schema -json` of hashicorp/aws 6.47.0")
    ap.add_argument("--source-facts", default=str(HERE / "source_6x.yaml"))
    ap.add_argument("--jobs", type=int, default=2, choices=(1, 2),
                    help="batches run at the same time (each runs one terraform at a time)")
    ap.add_argument("--generated-at", default=None,
                    help="timestamp to record (default: now, UTC); fix it for byte-identical output")
    args = ap.parse_args(argv)

    started = time.time()
    tf_version = tfrun.check_tools()
    schema6 = Path(args.schema_6x)
    if not schema6.is_file():
        raise SystemExit(f"error: the 6.47.0 schema is missing: {schema6} (set --schema-6x or INFRA_PROVIDER_SCHEMA)")
    work = Path(args.work)
    tfrun.setup(work)
    init = tfrun.init_shared(work)
    oracle_schema = tfrun.providers_schema(init)["resource_schemas"]
    facts_schema = json.loads(schema6.read_text())["provider_schemas"][tfrun.PROVIDER_SOURCE]["resource_schemas"]
    types = select_types(args.types, set(oracle_schema), set(facts_schema))
    tfrun.log(f"{len(types)} resource types; oracle hashicorp/aws {tfrun.ORACLE_VERSION}, terraform {tf_version}")

    models = [TypeModel.from_schema(t, oracle_schema[t]) for t in types]
    n = max(args.jobs, -(-len(models) // BATCH))
    n = -(-n // args.jobs) * args.jobs            # a multiple of --jobs, for even work
    batches = [models[i::n] for i in range(n)]    # interleaved: similar sizes
    batches = [b for b in batches if b]
    results: list[plan_phase.PlanProbe] = []
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futs = [pool.submit(run_batch, work, f"b{i:02d}", b) for i, b in enumerate(batches)]
        for f in futs:
            results += f.result()

    src_doc = load_source_facts(Path(args.source_facts))
    src_types = src_doc.get("types", {})
    resources = {}
    for pp in sorted(results, key=lambda p: p.tp.rtype):
        rtype = pp.tp.rtype
        oracle = assemble.oracle_facts(pp)
        paths = assemble.schema_paths(facts_schema[rtype]["block"])
        entry = assemble.merge(rtype, oracle, src_types.get(rtype), paths)
        if entry:
            resources[rtype] = entry
    # source-only types (in source_6x.yaml but without an oracle run)
    for rtype, src in sorted(src_types.items()):
        if rtype not in resources and rtype in facts_schema:
            paths = assemble.schema_paths(facts_schema[rtype]["block"])
            entry = assemble.merge(rtype, {}, src, paths)
            entry.setdefault("notes", []).append("source only: no oracle run")
            resources[rtype] = entry

    generated_at = args.generated_at or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    files = {t: s["file"] for t, s in sorted(src_types.items())}
    versions = {t: (s.get("commit") or ("index id " + str(s.get("index_id")))) + " (" + s.get("markers", "") + ")"
                for t, s in sorted(src_types.items())}
    commits = sorted({s["commit"] for s in src_types.values() if s.get("commit")})
    doc = {
        "format": 1,
        "provenance": {
            "provider": tfrun.PROVIDER_SOURCE,
            "facts_for_version": FACTS_VERSION,
            "schema": f"hashicorp-aws-{FACTS_VERSION}.json (every fact is an attribute of this schema)",
            "oracle": {"provider_version": tfrun.ORACLE_VERSION, "terraform_version": tf_version,
                       "generated_at": generated_at, "script": "scripts/provider_facts/generate.py",
                       "types": len(results),
                       "method": "terraform validate / plan -refresh=false of generated configurations and "
                                 "synthetic prior states, offline, fake credentials"},
            "source": {"repository": src_doc.get("repository"),
                       "commit": "00a35305dc1b297a6fcdecdfbba33f1e63c3da39" if
                       "00a35305dc1b297a6fcdecdfbba33f1e63c3da39" in commits else (commits[0] if commits else None),
                       "commits": commits,
                       "note": "the search index stores one version per file, not all at 6.47.0; "
                               "file_versions says which version of each file was read",
                       "files": files, "file_versions": versions,
                       "facts_file": "scripts/provider_facts/source_6x.yaml"},
            "keys": {
                "force_new": "attribute paths (dotted into nested blocks) whose change plans a replacement",
                "not_force_new": "attribute paths seen to update in place",
                "defaults": "value the provider plans when the configuration leaves the attribute null",
                "enums": "allowed values", "patterns": "regex (or not_regex) and message",
                "ranges": "[min, max] of numbers", "lengths": "[min, max] string length",
                "validation_messages": "the provider's error for a bad value (FOO / 7777 / 'foo bar baz')",
                "sources": "where each attribute's facts come from (types with hand-read source only; "
                           "otherwise oracle-5.100)",
            },
        },
        "resources": resources,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(dump(doc))
    elapsed = time.time() - started
    n_fn = sum(len(r.get("force_new", ())) for r in resources.values())
    n_def = sum(len(r.get("defaults", {})) for r in resources.values())
    n_enum = sum(len(r.get("enums", {})) for r in resources.values())
    n_pat = sum(len(r.get("patterns", {})) for r in resources.values())
    n_nfn = sum(len(r.get("not_force_new", ())) for r in resources.values())
    print(f"wrote {out}: {len(resources)} types, {n_fn} force_new, {n_nfn} not_force_new, "
          f"{n_def} defaults, {n_enum} enums, {n_pat} patterns in {elapsed:.0f}s")
    return 0


def dump(doc: dict) -> str:
    """One JSON document, sorted keys, compact, one resource type per line."""
    head = {k: v for k, v in doc.items() if k != "resources"}
    parts = [json.dumps(head, sort_keys=True, separators=(",", ":"))[:-1] + ',"resources":{']
    items = sorted(doc["resources"].items())
    for i, (t, r) in enumerate(items):
        parts.append(json.dumps(t) + ":" + json.dumps(r, sort_keys=True, separators=(",", ":"))
                     + ("," if i < len(items) - 1 else ""))
    parts.append("}}")
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    sys.exit(main())
