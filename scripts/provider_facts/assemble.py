"""Turn oracle observations (and hand-read source facts) into the facts document."""
from __future__ import annotations

import re

import values as V
from hcl import Blocks
from model import TypeModel, path_str
from plan_phase import PlanProbe
from validate_phase import TypeProbe, is_cross, msg_of

REPLACE = (["delete", "create"], ["create", "delete"])
MAX_MESSAGE = 400


def _body_has(body: dict, path: tuple) -> bool:
    cur = body
    for name in path[:-1]:
        blk = cur.get(name)
        if not isinstance(blk, Blocks) or not blk:
            return False
        cur = blk[0]
    return path[-1] in cur


def _after_get(after, path: tuple):
    cur = after
    for name in path:
        if isinstance(cur, list):
            if not cur:
                return None
            cur = cur[0]
        if not isinstance(cur, dict):
            return None
        cur = cur.get(name)
    return cur


def _is_unknown(unknown, path: tuple) -> bool:
    cur = unknown
    for name in path:
        if cur is True:
            return True
        if isinstance(cur, list):
            if not cur:
                return False
            cur = cur[0]
        if not isinstance(cur, dict):
            return False
        cur = cur.get(name)
    return cur is True or (isinstance(cur, (list, dict)) and _any_true(cur))


def _any_true(x) -> bool:
    if x is True:
        return True
    if isinstance(x, list):
        return any(_any_true(v) for v in x)
    if isinstance(x, dict):
        return any(_any_true(v) for v in x.values())
    return False


def _num(v):
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def oracle_facts(pp: PlanProbe) -> dict:
    tp: TypeProbe = pp.tp
    m: TypeModel = tp.model
    facts: dict = {"force_new": set(), "not_force_new": set(), "defaults": {}, "enums": {},
                   "patterns": {}, "ranges": {}, "lengths": {}, "validation_messages": {},
                   "notes": []}
    # ---- value checks ----------------------------------------------------------------
    for p, a in m.attrs.items():
        d = tp.bad.get((p, "f")) or tp.bad.get((p, "s"))
        if d is None or is_cross(d):
            continue
        msg = compact_message(msg_of(d))
        key = path_str(p)
        facts["validation_messages"][key] = msg[:MAX_MESSAGE]
        if p in tp.enum:
            facts["enums"][key] = [_num(x) for x in tp.enum[p]]
        for d2 in (tp.bad.get((p, "f")), tp.bad.get((p, "s"))):
            if not d2:
                continue
            m2 = compact_message(msg_of(d2))
            rng = V.parse_range(m2)
            if rng and (a.type == "number" or a.type in (["list", "number"], ["set", "number"])):
                facts["ranges"][key] = [rng["min"], rng["max"]]
            ln = V.parse_length(m2)
            if ln:
                facts["lengths"][key] = [ln["min"], ln["max"]]
            rx = V.parse_regex(m2)
            if rx:
                facts["patterns"][key] = {"regex": rx, "message": m2[:MAX_MESSAGE]}
    if not tp.base_ok:
        first = "; ".join(msg_of(d)[:160] for d in tp.base_diags[:2])
        facts["notes"].append(f"oracle: no minimal configuration validated ({first}); "
                              "no defaults or force-new facts")
        return facts
    # ---- defaults --------------------------------------------------------------------
    for key, (after, unknown) in sorted(pp.after.items()):
        body = pp.bases[key]
        for p, a in m.attrs.items():
            if not a.optional:
                continue
            if key == ():
                if tp.optional_chain(p[:-1]):
                    continue
            elif p[:-1] != key:
                continue
            if _body_has(body, p) or _is_unknown(unknown, p):
                continue
            v = _after_get(after, p)
            if v is None or v == [] or v == {}:
                continue
            facts["defaults"][path_str(p)] = _num(v)
    if () not in pp.after:
        err = next(iter(pp.failed.values()), {})
        facts["notes"].append("oracle: the create plan of the minimal configuration failed"
                              + (f" ({msg_of(err)[:200]})" if err else "")
                              + "; no defaults or force-new facts")
        return facts
    # ---- force-new -------------------------------------------------------------------
    control_noop = pp.control == ["no-op"]
    if pp.control is None:
        facts["notes"].append("oracle: the unchanged copy did not plan; not_force_new not recorded")
    elif not control_noop:
        facts["notes"].append(f"oracle: an unchanged copy planned {pp.control} against the synthetic "
                              "state; only replacements are recorded")
    undetermined = []
    for path, (actions, rps) in sorted(pp.changes.items()):
        key = path_str(path)
        if actions in REPLACE:
            hit = [rp for rp in rps if rp == path or (rp and path[: len(rp)] == rp)]
            if hit:
                facts["force_new"].add(key)
                if all(rp != path for rp in hit):
                    facts["notes"].append(
                        f"oracle: changing {key} replaces via the enclosing block "
                        f"{', '.join(path_str(rp) for rp in hit)}")
            else:
                undetermined.append(key)
        elif actions == ["update"] and control_noop:
            facts["not_force_new"].add(key)
        elif actions == ["no-op"]:
            undetermined.append(key)
    probed = set(path_str(p) for p in pp.changes)
    failed = []
    for addr, e in sorted(pp.failed.items()):
        failed.append(addr)
    tested = [path_str(p) for p in m.attrs if tp.status.get(p) in ("ok", "ok-primary")]
    untested = sorted(set(path_str(p) for p in m.attrs) - probed)
    if undetermined:
        facts["notes"].append("oracle: change not seen or replaced for another reason: "
                              + ", ".join(sorted(undetermined)))
    if untested:
        facts["notes"].append("oracle: force-new not determined (no valid value, rejected "
                              "change or deeper than the probe depth): " + ", ".join(untested[:60])
                              + (" ..." if len(untested) > 60 else ""))
    del tested, failed
    return facts


# ---- merging with hand-read source facts ----------------------------------------------

def _is_6x(src: dict) -> bool:
    markers = src.get("markers", "")
    return "6.x" in markers and "5.x-era" not in markers


def merge(rtype: str, oracle: dict, src: dict | None, schema_paths: set) -> dict:
    """Facts for one type. 6.x source wins over the 5.100 oracle; an older source loses."""
    fn = set(oracle.get("force_new", ()))
    nfn = set(oracle.get("not_force_new", ()))
    defaults = dict(oracle.get("defaults", {}))
    enums = dict(oracle.get("enums", {}))
    patterns = dict(oracle.get("patterns", {}))
    ranges = dict(oracle.get("ranges", {}))
    lengths = dict(oracle.get("lengths", {}))
    messages = dict(oracle.get("validation_messages", {}))
    notes = list(oracle.get("notes", []))
    sources: dict[str, set] = {}

    def mark(attr, what):
        sources.setdefault(attr, set()).add(what)

    for a in fn | nfn | set(defaults) | set(enums) | set(ranges) | set(lengths) | set(patterns):
        mark(a, "oracle-5.100")
    if src:
        six = _is_6x(src)
        tag = "source-6.x" if six else "source-pre-6.x"
        s_fn = set(src.get("force_new", ()))
        s_nfn = set(src.get("not_force_new", ()))
        for a in sorted(s_fn):
            mark(a, tag)
            if a in nfn:
                if six:
                    nfn.discard(a)
                    fn.add(a)
                    notes.append(f"{a}: 5.100 oracle: updates in place; 6.x source: ForceNew")
                else:
                    notes.append(f"{a}: 5.100 oracle: updates in place; older source read: ForceNew "
                                 "(oracle kept)")
            else:
                fn.add(a)
        for a in sorted(s_nfn):
            mark(a, tag)
            if a in fn and a not in s_fn:
                if six:
                    fn.discard(a)
                    nfn.add(a)
                    notes.append(f"{a}: 5.100 oracle: forces replacement; 6.x source: not ForceNew")
                else:
                    notes.append(f"{a}: 5.100 oracle: forces replacement; older source read: not "
                                 "ForceNew (oracle kept)")
            elif a not in fn:
                nfn.add(a)
        for a, v in sorted((src.get("defaults") or {}).items()):
            mark(a, tag)
            if a in defaults and defaults[a] != v:
                if six:
                    notes.append(f"{a}: default 5.100 oracle: {defaults[a]!r}; 6.x source: {v!r}")
                    defaults[a] = v
                else:
                    notes.append(f"{a}: default 5.100 oracle: {defaults[a]!r}; older source read: "
                                 f"{v!r} (oracle kept)")
            else:
                defaults.setdefault(a, v)
        for a in src.get("no_default", ()):
            mark(a, tag)
            if a in defaults:
                notes.append(f"{a}: 5.100 oracle default {defaults[a]!r}; 6.x source: no default")
                if six:
                    del defaults[a]
        for a, vals in sorted((src.get("enums") or {}).items()):
            mark(a, tag)
            if a in enums and sorted(map(str, enums[a])) != sorted(map(str, vals)):
                notes.append(f"{a}: allowed values 5.100 oracle: {enums[a]}; source: {vals}")
                if six:
                    enums[a] = vals
            else:
                enums.setdefault(a, vals)
        for a, t in sorted((src.get("enum_sdk_types") or {}).items()):
            if a in enums:
                mark(a, tag)
                notes.append(f"{a}: values are the AWS SDK enum {t} as of 5.100 (oracle); the 6.x "
                             "SDK may allow more")
        for a, p in sorted((src.get("patterns") or {}).items()):
            mark(a, tag)
            entry = {k: v for k, v in p.items() if k in ("regex", "not_regex", "message")}
            patterns[a] = entry
            if "length" in p:
                lengths.setdefault(a, list(p["length"]))
        for a, r in sorted((src.get("ranges") or {}).items()):
            mark(a, tag)
            ranges.setdefault(a, list(r))
        for a, r in sorted((src.get("lengths") or {}).items()):
            mark(a, tag)
            lengths.setdefault(a, list(r))
        notes += [f"source: {n}" for n in src.get("notes", ())]
    # ---- keep to the 6.47 schema --------------------------------------------------------
    dropped = set()

    def keep(a):
        if a in schema_paths:
            return True
        dropped.add(a)
        return False

    out = {
        "force_new": sorted(a for a in fn if keep(a)),
        "not_force_new": sorted(a for a in nfn if keep(a)),
        "defaults": {a: v for a, v in sorted(defaults.items()) if keep(a)},
        "enums": {a: v for a, v in sorted(enums.items()) if keep(a)},
        "patterns": {a: v for a, v in sorted(patterns.items()) if keep(a)},
        "ranges": {a: v for a, v in sorted(ranges.items()) if keep(a)},
        "lengths": {a: v for a, v in sorted(lengths.items()) if keep(a)},
        "validation_messages": {a: v for a, v in sorted(messages.items()) if keep(a)},
    }
    if dropped:
        notes.append("not in the 6.47 schema, left out: " + ", ".join(sorted(dropped)))
    if src:
        out["sources"] = {a: "+".join(sorted(s)) for a, s in sorted(sources.items())
                          if a in schema_paths}
    out["notes"] = notes
    return {k: v for k, v in out.items() if v}


def _type_paths(ty, prefix: tuple) -> set:
    """Attribute paths inside an object-typed attribute (e.g. aws_security_group.ingress)."""
    out = set()
    if isinstance(ty, list) and ty and ty[0] in ("list", "set", "map") and len(ty) > 1:
        return _type_paths(ty[1], prefix)
    if isinstance(ty, list) and ty and ty[0] == "object":
        for k, sub in ty[1].items():
            out.add(".".join(prefix + (k,)))
            out |= _type_paths(sub, prefix + (k,))
    return out


def schema_paths(block: dict, prefix: tuple = ()) -> set:
    out = set()
    for name, a in block.get("attributes", {}).items():
        out.add(".".join(prefix + (name,)))
        out |= _type_paths(a.get("type"), prefix + (name,))
    for name, b in block.get("block_types", {}).items():
        out.add(".".join(prefix + (name,)))
        out |= schema_paths(b["block"], prefix + (name,))
    return out


_WS = re.compile(r"\s+")


def compact_message(s: str) -> str:
    return _WS.sub(" ", s).strip()
