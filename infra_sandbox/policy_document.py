"""``data "aws_iam_policy_document"``: the policy JSON the real provider would render.

Statements from ``source_policy_documents`` are merged by Sid, then the block's own
statements, then ``override_policy_documents`` (a later Sid replaces an earlier one).
"""

from __future__ import annotations

import json
from typing import Any

from infra_sandbox.cty import to_plain


def _string_or_list(values: Any) -> Any:
    items = sorted(set(values or []), reverse=True)
    return items[0] if len(items) == 1 else items


def _principals(blocks: list[dict[str, Any]]) -> Any:
    out: dict[str, Any] = {}
    for blk in blocks:
        ptype = blk.get("type")
        ids = list(blk.get("identifiers") or [])
        if ptype == "*" and ids == ["*"]:
            return "*"
        prior = out.get(str(ptype))
        merged = ([prior] if isinstance(prior, str) else list(prior or [])) + ids
        out[str(ptype)] = _string_or_list(merged)
    return out


def _statement(stmt: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if stmt.get("sid"):
        out["Sid"] = stmt["sid"]
    out["Effect"] = stmt.get("effect") or "Allow"
    for key, name in (
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ):
        if stmt.get(key):
            out[name] = _string_or_list(stmt[key])
    if stmt.get("principals"):
        out["Principal"] = _principals(stmt["principals"])
    if stmt.get("not_principals"):
        out["NotPrincipal"] = _principals(stmt["not_principals"])
    if stmt.get("condition"):
        cond: dict[str, dict[str, Any]] = {}
        for c in stmt["condition"]:
            vals = list(c.get("values") or [])
            cond.setdefault(c["test"], {})[c["variable"]] = vals[0] if len(vals) == 1 else vals
        out["Condition"] = cond
    return out


def _merge_by_sid(base: list[dict[str, Any]], extra: list[dict[str, Any]]) -> list[dict[str, Any]]:
    result = list(base)
    for stmt in extra:
        sid = stmt.get("Sid")
        for i, existing in enumerate(result):
            if sid and existing.get("Sid") == sid:
                result[i] = stmt
                break
        else:
            result.append(stmt)
    return result


def _statements_of(text: str) -> list[dict[str, Any]]:
    doc = json.loads(text)
    stmts = doc.get("Statement", [])
    return [stmts] if isinstance(stmts, dict) else list(stmts)


def render_policy_document(config: dict[str, Any]) -> dict[str, Any]:
    """The IAM policy JSON that ``aws_iam_policy_document`` would render."""
    plain = to_plain(config)
    statements: list[dict[str, Any]] = []
    for src in list(plain.get("source_policy_documents") or []) + (
        [plain["source_json"]] if plain.get("source_json") else []
    ):
        statements = _merge_by_sid(statements, _statements_of(src))
    own = [_statement(s) for s in plain.get("statement") or []]
    statements = _merge_by_sid(statements, own)
    for ovr in ([plain["override_json"]] if plain.get("override_json") else []) + list(
        plain.get("override_policy_documents") or []
    ):
        statements = _merge_by_sid(statements, _statements_of(ovr))
    doc: dict[str, Any] = {"Version": plain.get("version") or "2012-10-17"}
    if plain.get("policy_id"):
        doc["Id"] = plain["policy_id"]
    doc["Statement"] = statements
    return doc


# ---------------------------------------------------------------- ephemeral
