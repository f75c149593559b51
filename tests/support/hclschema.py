"""Check resource/data/ephemeral argument names in .tf files against the AWS provider schema.

Parses each file with ``hcl2`` (bc-python-hcl2, shipped with checkov) and walks every
``resource``, ``data`` and ``ephemeral`` block of an ``aws_*`` type: each argument must be a
non-computed-only attribute or a nested block of the schema, and every required attribute must
be present (unless it is set through a ``dynamic`` block).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import hcl2

from tests.support import SCHEMA as SCHEMA_PATH

META_ARGS = {"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection"}
KINDS = {
    "resource": "resource_schemas",
    "data": "data_source_schemas",
    "ephemeral": "ephemeral_resource_schemas",
}


@lru_cache(maxsize=1)
def load_schema(path: Path = SCHEMA_PATH) -> dict[str, Any]:
    from infra_sandbox.schema import read_document

    data = json.loads(read_document(path))
    schema: dict[str, Any] = data["provider_schemas"]["registry.terraform.io/hashicorp/aws"]
    return schema


def _check_block(block_schema: dict[str, Any], body: dict[str, Any], where: str) -> list[str]:
    errors: list[str] = []
    attrs: dict[str, Any] = block_schema.get("attributes", {})
    blocks: dict[str, Any] = block_schema.get("block_types", {})
    dynamic_names: set[str] = set()
    for dyn in body.get("dynamic", []):
        for dyn_name, dyn_body in dyn.items():
            dynamic_names.add(dyn_name)
            if dyn_name not in blocks:
                errors.append(f"{where}: unknown dynamic block {dyn_name!r}")
                continue
            for content in dyn_body.get("content", []):
                errors += _check_block(blocks[dyn_name]["block"], content, f"{where}.{dyn_name}")
    for key, value in body.items():
        if key.startswith("__") or key in META_ARGS or key == "dynamic":
            continue
        if key in attrs:
            spec = attrs[key]
            if spec.get("computed") and not (spec.get("optional") or spec.get("required")):
                errors.append(f"{where}: {key!r} is computed-only")
            if spec.get("deprecated"):
                errors.append(f"{where}: {key!r} is deprecated")
        elif key in blocks:
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict):
                    errors += _check_block(blocks[key]["block"], item, f"{where}.{key}")
        else:
            errors.append(f"{where}: unknown argument {key!r}")
    for key, spec in attrs.items():
        if spec.get("required") and key not in body and key not in dynamic_names:
            errors.append(f"{where}: missing required argument {key!r}")
    for key, spec in blocks.items():
        if spec.get("min_items", 0) > 0 and key not in body and key not in dynamic_names:
            errors.append(f"{where}: missing required block {key!r}")
    return errors


def check_file(path: Path) -> list[str]:
    schema = load_schema()
    try:
        with path.open() as fh:
            doc = hcl2.load(fh)  # type: ignore[attr-defined]
    except Exception as exc:  # lark raises several exception types
        return [f"{path}: cannot parse with hcl2: {str(exc).splitlines()[0]}"]
    errors: list[str] = []
    for kind, schema_key in KINDS.items():
        for entry in doc.get(kind, []):
            for rtype, instances in entry.items():
                if not rtype.startswith("aws_"):
                    continue
                rschema = schema[schema_key].get(rtype)
                if rschema is None:
                    errors.append(f"{path}: unknown {kind} type {rtype!r}")
                    continue
                for rname, body in instances.items():
                    line = body.get("__start_line__", "?")
                    where = f"{path}:{line} {kind}.{rtype}.{rname}"
                    errors += _check_block(rschema["block"], body, where)
    return errors


def check_tree(root: Path) -> list[str]:
    errors: list[str] = []
    for path in sorted(root.rglob("*.tf")):
        if ".terraform" in path.parts:
            continue
        errors += check_file(path)
    return errors


if __name__ == "__main__":
    import sys

    problems: list[str] = []
    for arg in sys.argv[1:]:
        problems += check_tree(Path(arg))
    print("\n".join(problems) or "ok")
    raise SystemExit(1 if problems else 0)
