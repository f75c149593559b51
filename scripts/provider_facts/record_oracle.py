#!/usr/bin/env python3
"""Re-record the oracle corpus in tests/sandbox/oracle/ with the real hashicorp/aws provider.

Each case is a directory whose main.tf starts with `# oracle: validate|plan|change`:
  validate  `terraform validate`; recorded.json keeps the error diagnostics (with the attribute
            each one points at)
  plan      `terraform plan -refresh=false` of a create; recorded.json keeps the actions and the
            values the provider planned for attributes the configuration left out (its defaults)
  change    before.tf is planned first and its planned values become state.json (an existing
            object; values unknown before apply get fixed placeholders); then main.tf is planned
            against that state; recorded.json keeps actions and replace_paths
The shared providers.tf (fake credentials, no network) is copied next to each case.

    python scripts/provider_facts/record_oracle.py [CASE ...]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import plan_phase  # noqa: E402
import tfrun  # noqa: E402
from model import TypeModel  # noqa: E402

REPO = HERE.parent.parent
CORPUS = REPO / "tests" / "sandbox" / "oracle"
KIND_RE = re.compile(r"^#\s*oracle:\s*(validate|plan|change)\s*$", re.M)
SKIP_PLANNED = {"id", "tags_all"}


def case_kind(case: Path) -> str:
    m = KIND_RE.search((case / "main.tf").read_text())
    if not m:
        raise SystemExit(f"error: {case}/main.tf has no '# oracle: validate|plan|change' line")
    return m.group(1)


def workdir(work: Path, name: str, tf_text: str) -> Path:
    d = tfrun.workdir(work, name)
    (d / "versions.tf").unlink()  # the case brings its own providers.tf
    shutil.copy(CORPUS / "providers.tf", d / "providers.tf")
    (d / "main.tf").write_text(tf_text)
    return d


def attribute_at(tf_text: str, line_no: int) -> str | None:
    """Dotted attribute path (blocks included) of the argument on line `line_no` of a resource."""
    stack: list[str] = []
    for i, line in enumerate(tf_text.splitlines(), start=1):
        s = line.split("#", 1)[0].strip()
        m_block = re.match(r'^([A-Za-z_][\w-]*)(\s+"[^"]*")*\s*\{$', s)
        if i == line_no:
            m = re.match(r"^([A-Za-z_][\w-]*)\s*=", s)
            if m:
                return ".".join(stack[1:] + [m.group(1)])
            if m_block:
                return ".".join(stack[1:] + [m_block.group(1)]) or None
            return ".".join(stack[1:]) or None
        if m_block:
            stack.append(m_block.group(1))
        elif s.endswith("= {") or s.endswith("({") or s.endswith("= ["):
            stack.append("")  # a value, not a block: keep the depth right
        elif s in ("}", "})", "]", "})]", "}]"):
            if stack:
                stack.pop()
    return None


def record_validate(d: Path, tf_text: str) -> dict:
    res = tfrun.validate(d)
    diags = []
    for x in res.get("diagnostics", []):
        if x.get("severity") != "error":
            continue
        rng = x.get("range") or {}
        attr = None
        if rng.get("filename") == "main.tf":
            attr = attribute_at(tf_text, rng.get("start", {}).get("line", 0))
        diags.append({"severity": x["severity"], "summary": x.get("summary", ""),
                      "detail": x.get("detail", ""), "attribute": attr,
                      "address": x.get("address")})
    diags.sort(key=lambda x: (x["address"] or "", x["attribute"] or "", x["summary"]))
    return {"kind": "validate", "valid": res.get("valid"), "diagnostics": diags}


def _configured(expr, prefix=()) -> set:
    out = set()
    for k, v in (expr or {}).items():
        p = prefix + (k,)
        out.add(".".join(p))
        if isinstance(v, list) and v and all(isinstance(x, dict) and "constant_value" not in x
                                             and "references" not in x for x in v):
            for x in v:
                out |= _configured(x, p)
    return out


def _leaves(after, unknown, prefix=()):
    for k, v in sorted((after or {}).items()):
        p = prefix + (k,)
        u = (unknown or {}).get(k) if isinstance(unknown, dict) else None
        if u is True:
            continue
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            us = u if isinstance(u, list) else []
            for i, x in enumerate(v[:1]):  # block lists/sets: the first element
                yield from _leaves(x, us[i] if i < len(us) else None, p)
            continue
        if isinstance(v, dict) and k not in ("tags",) and v and isinstance(u, dict):
            yield from _leaves(v, u, p)
            continue
        yield p, v


def planned_defaults(plan: dict) -> dict:
    conf = {r["address"]: _configured(r.get("expressions"))
            for r in plan.get("configuration", {}).get("root_module", {}).get("resources", [])}
    out = {}
    for rc in plan.get("resource_changes", []):
        ch = rc["change"]
        if ch.get("after") is None:
            continue
        got = {}
        for p, v in _leaves(ch["after"], ch.get("after_unknown")):
            key = ".".join(p)
            if p[-1] in SKIP_PLANNED or key in conf.get(rc["address"], set()):
                continue
            if any(key.startswith(c + ".") for c in conf.get(rc["address"], set())
                   if c.count(".") < key.count(".") and not _is_block(ch["after"], c)):
                continue
            if v is None or v == [] or v == {}:
                continue
            got[key] = v
        out[rc["address"]] = got
    return out


def _is_block(after, dotted: str) -> bool:
    cur = after
    for k in dotted.split("."):
        if isinstance(cur, list):
            cur = cur[0] if cur else None
        if not isinstance(cur, dict):
            return False
        cur = cur.get(k)
    return isinstance(cur, list) and cur and isinstance(cur[0], dict)


def _actions(plan: dict) -> tuple[dict, dict]:
    actions, replace = {}, {}
    for rc in plan.get("resource_changes", []):
        actions[rc["address"]] = rc["change"]["actions"]
        if rc["change"].get("replace_paths"):
            replace[rc["address"]] = rc["change"]["replace_paths"]
    return actions, replace


def _plan_or_die(d: Path, what: str) -> dict:
    plan, diags = tfrun.plan(d)
    if plan is None:
        raise SystemExit(f"error: {what}: plan failed: "
                         + "; ".join(f"{x.get('summary')}: {x.get('detail')}" for x in diags[:3]))
    return plan


def state_from_plan(plan: dict, schemas: dict) -> dict:
    res = []
    for rc in sorted(plan.get("resource_changes", []), key=lambda r: r["address"]):
        m = TypeModel.from_schema(rc["type"], schemas[rc["type"]])
        obj = plan_phase.state_object(m, rc["change"]["after"], rc["change"].get("after_unknown"))
        res.append({"mode": "managed", "type": rc["type"], "name": rc["name"],
                    "provider": plan_phase.PROVIDER_ADDR,
                    "instances": [{"schema_version": m.schema_version, "attributes": obj,
                                   "sensitive_attributes": plan_phase.sensitive_paths(m.root, obj)}]})
    return {"version": 4, "terraform_version": tfrun.TERRAFORM_VERSION, "serial": 1,
            "lineage": "00000000-0000-4000-8000-000000000000", "outputs": {}, "resources": res,
            "check_results": None}


def record_case(work: Path, case: Path, schemas: dict) -> dict:
    kind = case_kind(case)
    tf_text = (case / "main.tf").read_text()
    out: dict = {"kind": kind, "oracle": {"provider_version": tfrun.ORACLE_VERSION,
                                          "terraform_version": tfrun.TERRAFORM_VERSION}}
    if kind == "validate":
        d = workdir(work, f"case-{case.name}", tf_text)
        out.update(record_validate(d, tf_text))
        return out
    if kind == "change":
        before = (case / "before.tf").read_text()
        d0 = workdir(work, f"case-{case.name}-before", before)
        state = state_from_plan(_plan_or_die(d0, f"{case.name}/before.tf"), schemas)
        (case / "state.json").write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
        d = workdir(work, f"case-{case.name}", tf_text)
        (d / "terraform.tfstate").write_text(json.dumps(state))
    else:
        d = workdir(work, f"case-{case.name}", tf_text)
    plan = _plan_or_die(d, f"{case.name}/main.tf")
    out["actions"], out["replace_paths"] = _actions(plan)
    if kind == "plan":
        out["planned_values"] = planned_defaults(plan)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cases", nargs="*", help="case directory names (default: all)")
    ap.add_argument("--work", default=os.environ.get("PF_WORK", "/tmp/provider-facts-work") + "-corpus")
    args = ap.parse_args(argv)
    tfrun.check_tools()
    work = Path(args.work)
    tfrun.setup(work)
    init = tfrun.init_shared(work)
    schemas = tfrun.providers_schema(init)["resource_schemas"]
    cases = sorted(p for p in CORPUS.iterdir() if p.is_dir() and (p / "main.tf").is_file())
    if args.cases:
        cases = [c for c in cases if c.name in set(args.cases)]
    for case in cases:
        rec = record_case(work, case, schemas)
        (case / "recorded.json").write_text(json.dumps(rec, indent=2, sort_keys=True) + "\n")
        summary = rec.get("actions") or [d["summary"] for d in rec.get("diagnostics", [])]
        print(f"{case.name}: {rec['kind']}: {json.dumps(summary)[:160]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
