"""Phase 2 (defaults): plan creates. Phase 3 (force-new): plan changes against a synthetic
prior state built from the planned values, one resource copy per changed attribute."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import tfrun
import values as V
from hcl import Config
from model import TypeModel, deep
from validate_phase import TypeProbe

MAX_PLAN_RETRIES = 6
PROVIDER_ADDR = 'provider["registry.terraform.io/hashicorp/aws"]'


@dataclass
class PlanProbe:
    tp: TypeProbe
    bases: dict = field(default_factory=dict)     # key (() or block path) -> config body
    after: dict = field(default_factory=dict)     # key -> (after, after_unknown)
    failed: dict = field(default_factory=dict)    # copy name -> first error
    changes: dict = field(default_factory=dict)   # attr/block path -> (actions, replace_paths)
    control: list | None = None
    change_values: dict = field(default_factory=dict)  # path -> (before, after)

    @property
    def model(self) -> TypeModel:
        return self.tp.model


def _plan_loop(work: Path, name: str, copies: dict, state_for=None):
    """Plan `copies` {(rtype, cname): body}; drop copies the provider rejects and retry.
    Returns (plan JSON, {address: first error})."""
    failed: dict[str, dict] = {}
    live = dict(copies)
    for attempt in range(MAX_PLAN_RETRIES):
        if not live:
            return None, failed
        doc = Config("p")
        for (rtype, cname), body in sorted(live.items()):
            doc.resource(rtype, cname, body)
        d = tfrun.workdir(work, f"{name}-{attempt}")
        doc.write(d)
        if state_for is not None:
            (d / "terraform.tfstate").write_text(json.dumps(state_for(sorted(live))))
        t0 = time.time()
        plan, diags = tfrun.plan(d)
        tfrun.log(f"  plan {name}-{attempt}: {len(live)} resources, "
                  f"{sum(1 for x in diags if x.get('severity') == 'error')} errors, {time.time() - t0:.1f}s")
        errs = [x for x in diags if x.get("severity") == "error"]
        if plan is not None and not errs:
            return plan, failed
        hit = False
        for e in errs:
            addr = e.get("address")
            if addr is None:
                hit = doc.locate(e.get("range"))
                addr = hit[0] if hit else None
            if addr is None:
                continue
            rtype, cname = addr.split(".", 1)
            if (rtype, cname) in live:
                failed.setdefault(addr, e)
                del live[(rtype, cname)]
                hit = True
        if not hit:
            raise RuntimeError(f"plan {name} failed without a resource to blame: "
                               + "; ".join(f"{e.get('summary')}: {e.get('detail')}" for e in errs[:3]))
    return None, failed


def _optional_blocks(m: TypeModel) -> list[tuple]:
    """Blocks that are not already in the base body (not required all the way up)."""
    out = []
    for bp, b in m.blocks.items():
        chain_required = all(m.blocks[bp[: i + 1]].min_items > 0 for i in range(len(bp)))
        if not chain_required:
            out.append(bp)
    return sorted(out)


def _cname(prefix: str, path: tuple) -> str:
    return prefix + ("__" + "__".join(path) if path else "")


def run_creates(work: Path, probes: list[PlanProbe], tag: str) -> None:
    copies = {}
    for pp in probes:
        tp = pp.tp
        if not tp.base_ok:
            continue
        base = tp.base_body()
        pp.bases[()] = base
        copies[(tp.rtype, "c")] = base
        for bp in _optional_blocks(pp.model):
            if not tp.block_ok.get(bp):
                continue
            body = tp.block_body(bp)
            pp.bases[bp] = body
            copies[(tp.rtype, _cname("c", bp))] = body
    plan, failed = _plan_loop(work, f"create-{tag}", copies)
    bykey = {}
    for pp in probes:
        for key in pp.bases:
            bykey[f"{pp.tp.rtype}.{_cname('c', key)}"] = (pp, key)
    for addr, e in failed.items():
        pp, key = bykey[addr]
        pp.failed[addr] = e
    if plan is None:
        return
    for rc in plan.get("resource_changes", []):
        if rc["address"] in bykey:
            pp, key = bykey[rc["address"]]
            pp.after[key] = (rc["change"].get("after"), rc["change"].get("after_unknown"))


# ---- synthetic prior state ---------------------------------------------------------

def _fill(block_schema: dict, after, unknown, path=(), known=None) -> dict:
    """A complete object for `block_schema` from planned values; unknowns get fake values
    (a value the provider validated, when there is one)."""
    after = after or {}
    unknown = unknown if isinstance(unknown, dict) else {}
    known = known or {}
    out = {}
    for name, a in block_schema.get("attributes", {}).items():
        u = unknown.get(name)
        if u is True or (name not in after and u):
            v = known.get(path + (name,))
            out[name] = v if v is not None else V.fake_computed(name, a["type"])
        else:
            v = after.get(name)
            if isinstance(u, (list, dict)) and u and v is not None:
                v = _fill_unknown_value(v, u, name, a["type"])
            out[name] = v
    for name, b in block_schema.get("block_types", {}).items():
        v = after.get(name)
        u = unknown.get(name)
        mode = b["nesting_mode"]
        if mode == "single" or mode == "group":
            out[name] = None if v is None else _fill(b["block"], v, u if isinstance(u, dict) else {},
                                                     path + (name,), known)
        else:
            vs = v or []
            us = u if isinstance(u, list) else []
            out[name] = [_fill(b["block"], x, us[i] if i < len(us) else {}, path + (name,), known)
                         for i, x in enumerate(vs)]
            if mode == "map":
                out[name] = v or {}
    return out


def _fill_unknown_value(v, u, name, ty):
    if u is True:
        return V.fake_computed(name, ty)
    if isinstance(v, list) and isinstance(u, list):
        return [x if not (i < len(u) and u[i] is True) else "pf-fake" for i, x in enumerate(v)]
    if isinstance(v, dict) and isinstance(u, dict):
        return {k: (x if u.get(k) is not True else "pf-fake") for k, x in v.items()}
    return v


def state_object(m: TypeModel, after, unknown, tp: TypeProbe | None = None) -> dict:
    known = {}
    if tp is not None:
        for p in m.attrs:
            if tp.status.get(p) in ("ok", "ok-primary") and m.attrs[p].computed:
                known[p] = tp.value(p, 0)
    obj = _fill(m.root, after, unknown, (), known)
    if obj.get("id") in (None, ""):
        obj["id"] = "pf-fake-id"
    return obj


def sensitive_paths(block_schema: dict, obj, prefix=()) -> list:
    """State v4 `sensitive_attributes` for the schema's sensitive attributes present in obj."""
    out = []
    if not isinstance(obj, dict):
        return out
    for name, a in block_schema.get("attributes", {}).items():
        if a.get("sensitive") and obj.get(name) is not None:
            out.append(list(prefix) + [{"type": "get_attr", "value": name}])
    for name, b in block_schema.get("block_types", {}).items():
        v = obj.get(name)
        step = list(prefix) + [{"type": "get_attr", "value": name}]
        if isinstance(v, dict) and b["nesting_mode"] in ("single", "group"):
            out += sensitive_paths(b["block"], v, step)
        elif isinstance(v, list) and b["nesting_mode"] == "list":
            for i, x in enumerate(v):
                out += sensitive_paths(b["block"], x, step + [
                    {"type": "index", "value": {"value": i, "type": "number"}}])
        elif isinstance(v, list) and b["nesting_mode"] == "set":
            for x in v:
                if sensitive_paths(b["block"], x, []):
                    out.append(step)  # a set element cannot be addressed: mark the whole set
                    break
    return out


def _get(obj, path):
    cur = obj
    for p in path:
        if isinstance(cur, list):
            cur = cur[0] if cur else None
        if not isinstance(cur, dict):
            return None
        cur = cur.get(p)
    if isinstance(cur, list) and path and False:
        return cur
    return cur


def _norm(v):
    if isinstance(v, str) and v[:1] in ("{", "["):
        try:
            return json.loads(v)
        except ValueError:
            return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, list):
        return [_norm(x) for x in v]
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    return v


def run_changes(work: Path, probes: list[PlanProbe], tag: str) -> None:
    copies = {}
    states = {}
    meta = {}
    for pp in probes:
        tp, m = pp.tp, pp.model
        if () not in pp.after:
            continue

        def add(cname, key, body, what):
            if key not in pp.after:
                return
            after, unknown = pp.after[key]
            copies[(tp.rtype, cname)] = body
            states[(tp.rtype, cname)] = state_object(m, after, unknown, tp)
            meta[f"{tp.rtype}.{cname}"] = (pp, what)

        add("n", (), pp.bases[()], ("control",))
        ch = tp.chosen()
        for i, (path, a) in enumerate(sorted(m.attrs.items())):
            if tp.status.get(path) not in ("ok", "ok-primary"):
                continue
            key = tp.baseline_key(path)
            if key not in pp.after:
                continue
            after, unknown = pp.after[key]
            prior_obj = state_object(m, after, unknown, tp)
            prior = _norm(_get(prior_obj, path))
            cands = [tp.value(path, 0)]
            if tp.status.get(path) == "ok":
                cands.append(tp.value(path, 1))
            if a.type == "bool":
                cands = [not bool(prior)]
            new = next((c for c in cands if _norm(c) != prior), None)
            if new is None:
                continue
            body = deep(pp.bases[key])
            for d in sorted(tp.copy_drop.get(path, ())):
                m.remove(body, d)
            for p2, v2 in sorted(tp.copy_extras.get(path, {}).items()):
                m.set_value(body, p2, v2, ch)  # a second change: only replace_paths tell
            m.set_value(body, path, new, ch)
            pp.change_values[path] = (prior, new)
            add(f"x{i}", key, body, ("attr", path))
        for j, bp in enumerate(_optional_blocks(m)):
            if bp in pp.bases and bp in pp.after and len(bp) == 1:
                add(f"k{j}", (), pp.bases[bp], ("block", bp))

    def state_for(live):
        res = []
        for rtype, cname in live:
            m = meta[f"{rtype}.{cname}"][0].model
            obj = states[(rtype, cname)]
            res.append({"mode": "managed", "type": rtype, "name": cname, "provider": PROVIDER_ADDR,
                        "instances": [{"schema_version": m.schema_version,
                                       "attributes": obj,
                                       "sensitive_attributes": sensitive_paths(m.root, obj)}]})
        return {"version": 4, "terraform_version": tfrun.TERRAFORM_VERSION, "serial": 1,
                "lineage": "00000000-0000-4000-8000-000000000000", "outputs": {},
                "resources": res, "check_results": None}

    plan, failed = _plan_loop(work, f"change-{tag}", copies, state_for)
    for addr, e in failed.items():
        pp, what = meta[addr]
        pp.failed[addr] = e
    if plan is None:
        return
    for rc in plan.get("resource_changes", []):
        if rc["address"] not in meta:
            continue
        pp, what = meta[rc["address"]]
        ch = rc["change"]
        rps = [tuple(s for s in p if isinstance(s, str)) for p in (ch.get("replace_paths") or [])]
        if what[0] == "control":
            pp.control = ch["actions"]
        else:
            pp.changes[what[1]] = (ch["actions"], sorted(set(rps)))
