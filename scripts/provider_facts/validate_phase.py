"""Phase 1 (`terraform validate` with the real provider): find values the provider accepts
for every configurable attribute, and record its value checks (enums, ranges, patterns).

Copies of each resource type are validated together, each attribute on its own line, so a
diagnostic's range says which attribute it is about:
  b      the base: required attributes (+ whatever an ExactlyOneOf/AtLeastOneOf needs)
  k      the base plus one optional block (with what that block needs)
  p a    every attribute at once, set to a candidate value (primary / alternate)
  f s    every attribute at once, set to "FOO" (7777 for numbers) / "foo bar baz"
Attributes whose diagnostics cannot be told apart (conflicts, set blocks, resource-level
messages) are retried one per copy, on top of the base.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import tfrun
import values as V
from hcl import Config
from model import TypeModel, deep

CROSS_SUMMARIES = {
    "Conflicting configuration arguments", "Invalid combination of arguments",
    "Missing required argument", "Invalid Attribute Combination",
    "Missing Attribute Configuration", "Invalid Block Combination",
    "Missing Configuration for Required Attribute",
}
_BACKTICK_RE = re.compile(r"`([^`]*)`")
_BRACKET_RE = re.compile(r"configured(?: together)?:\s*\[([^\]]*)\]")
_CONFLICT_RES = [
    re.compile(r'"(?P<x>[\w.\[\]]+)": conflicts with (?P<y>[\w.\[\]]+)'),
    re.compile(r'Attribute "(?P<y>[^"]+)" cannot be specified when "(?P<x>[^"]+)" is specified'),
]
_REQWITH_FW = re.compile(r'Attribute "(?P<y>[^"]+)" must be specified when "(?P<x>[^"]+)" is specified')
KINDS_VALUE = ("p", "a")      # primary / alternate candidate values
KINDS_BAD = ("f", "s")        # FOO-ish / spaces probes
MAX_ROUNDS = 9
CONFIRM_AFTER = 5


def norm_path(s: str) -> tuple:
    s = re.sub(r"\[\d+\]", "", s.strip().strip('"'))
    return tuple(p for p in s.split(".") if p and not p.isdigit())


def msg_of(d) -> str:
    return ((d.get("summary") or "") + " " + (d.get("detail") or "")).strip()


def is_cross(d: dict) -> bool:
    if d.get("summary") in CROSS_SUMMARIES:
        return True
    det = msg_of(d)
    return (" conflicts with " in det or "must be specified" in det or "can be specified" in det
            or "must be configured" in det or "cannot be specified when" in det
            or "cannot be configured together" in det)


def _group(d) -> list[tuple]:
    det = msg_of(d)
    m = _BACKTICK_RE.search(det) or _BRACKET_RE.search(det)
    if not m:
        return []
    return [norm_path(x) for x in m.group(1).split(",") if x.strip()]


@dataclass
class TypeProbe:
    model: TypeModel
    fams: dict = field(default_factory=dict)
    fam_idx: dict = field(default_factory=dict)
    passed: dict = field(default_factory=dict)       # path -> kinds ("p", "a") that validated
    status: dict = field(default_factory=dict)       # path -> "ok" | "ok-primary" | "fail" | "cross" | "unknown"
    extras: dict = field(default_factory=dict)       # key (() or block path) -> {path: value}
    extra_blocks: dict = field(default_factory=dict)  # key -> set of block paths
    block_ok: dict = field(default_factory=dict)     # block path -> bool
    copy_extras: dict = field(default_factory=dict)  # attr path -> {path: value}
    copy_drop: dict = field(default_factory=dict)    # attr path -> set(path)
    bad: dict = field(default_factory=dict)          # (path, kind) -> diagnostic
    bad_ok: set = field(default_factory=set)         # (path, kind) the provider accepted
    enum: dict = field(default_factory=dict)
    base_ok: bool = False
    base_diags: list = field(default_factory=list)
    pending: set = field(default_factory=set)        # (path, kind) for one-attribute copies
    pending_next: set = field(default_factory=set)
    notes: list = field(default_factory=list)
    confirmed: set = field(default_factory=set)      # (path, kind, family) accepted on its own
    k_tried: dict = field(default_factory=dict)      # block path -> inputs of its last copy

    def block_sig(self, bp):
        keys = [b for b in self.optional_chain(bp)] + [()]
        fams = tuple(sorted((p, i) for p, i in self.fam_idx.items()
                            if self.model.attrs[p].required))
        return (repr(sorted((k, sorted(self.extras.get(k, {}).items()), sorted(self.extra_blocks.get(k, ())))
                            for k in keys)), fams)

    @property
    def rtype(self):
        return self.model.rtype

    # ---- values -------------------------------------------------------------------
    def families(self, path):
        if path not in self.fams:
            a = self.model.attrs[path]
            name = path[-1]
            if name in ("id", "arn", "name", "key", "type") and len(path) > 1:
                name = V.singular(path[-2]) + "_" + name
            self.fams[path] = V.families(name, a.type, self.rtype + "." + ".".join(path))
            self.fam_idx[path] = 0
        return self.fams[path]

    def value(self, path, which=0):
        f = self.families(path)
        i = self.fam_idx[path]
        if i >= len(f):
            return None
        return f[i][which]

    def chosen(self) -> dict:
        return {p: self.value(p) for p, a in self.model.attrs.items() if a.required}

    # ---- bodies -------------------------------------------------------------------
    def optional_chain(self, path) -> list[tuple]:
        """Optional blocks (not in the base) on the way to `path`, outermost first."""
        out = []
        for i in range(1, len(path) + 1):
            bp = path[:i]
            if bp in self.model.blocks and (out or self.model.blocks[bp].min_items == 0):
                out.append(bp)
        return out

    def _apply(self, body, key, ch):
        for bp in sorted(self.extra_blocks.get(key, ())):
            self.model.add_block(body, bp, ch)
        for p, v in sorted(self.extras.get(key, {}).items()):
            self.model.set_value(body, p, v, ch)

    def base_body(self) -> dict:
        ch = self.chosen()
        body = self.model.required_body((), ch)
        self._apply(body, (), ch)
        return body

    def block_body(self, bp) -> dict:
        """The base with block `bp` (and its optional ancestors), each with what it needs."""
        ch = self.chosen()
        body = self.base_body()
        for b in self.optional_chain(bp):
            self.model.add_block(body, b, ch)
            self._apply(body, b, ch)
        return body

    def baseline_key(self, path) -> tuple:
        chain = self.optional_chain(path[:-1])
        return chain[-1] if chain else ()

    def baseline_body(self, key) -> dict:
        return self.base_body() if key == () else self.block_body(key)

    def baseline_clean(self, path) -> bool:
        return self.base_ok and all(self.block_ok.get(b) for b in self.optional_chain(path[:-1]))

    def body_for(self, path, value) -> dict:
        ch = self.chosen()
        body = self.baseline_body(self.baseline_key(path))
        for d in sorted(self.copy_drop.get(path, ())):
            self.model.remove(body, d)
        for p, v in sorted(self.copy_extras.get(path, {}).items()):
            self.model.set_value(body, p, v, ch)
        self.model.set_value(body, path, value, ch)
        return body

    def all_body(self, kind) -> dict:
        """Every configurable attribute (and every block, once) set at the same time."""
        ch = self.chosen()
        body = self.base_body()
        for bp in sorted(self.model.blocks, key=len):
            self.model.add_block(body, bp, ch)
        for p in self.model.attrs:
            v = self.kind_value(p, kind)
            if v is not SKIP:
                self.model.set_value(body, p, v, ch)
        return body

    def kind_value(self, p, kind):
        a = self.model.attrs[p]
        if kind in KINDS_VALUE:
            v = self.value(p, 0 if kind == "p" else 1)
            return SKIP if v is None else v
        for k, v in V.bad_values(a.type):
            if (kind == "f" and k == "foo") or (kind == "s" and k == "spaces"):
                return v
        return SKIP


SKIP = object()


def run_round(work: Path, name: str, probes: list[TypeProbe], round_no: int) -> None:
    doc = Config("v")
    copies: dict[str, tuple] = {}
    for tp in probes:
        n = 0

        def add(kind, path, body):
            nonlocal n
            cname = f"{kind}{n}"
            n += 1
            doc.resource(tp.rtype, cname, body)
            built = None
            if path is not None and kind != "k":
                built = (frozenset(tp.copy_drop.get(path, ())), frozenset(tp.copy_extras.get(path, {})))
            copies[f"{tp.rtype}.{cname}"] = (tp, kind, path, dict(tp.fam_idx), built)

        if not tp.base_ok:
            add("b", (), tp.base_body())
        for bp in sorted(tp.model.blocks):
            if tp.optional_chain(bp) and not tp.block_ok.get(bp) and round_no < MAX_ROUNDS - 1:
                sig = tp.block_sig(bp)
                if tp.k_tried.get(bp) == sig:
                    continue  # failed before, and nothing it depends on changed since
                tp.k_tried[bp] = sig
                add("k", bp, tp.block_body(bp))
        if round_no == 0:
            for kind in ("p", "a", "f", "s"):
                add(kind, None, tp.all_body(kind))
        for (path, kind) in sorted(tp.pending):
            v = tp.kind_value(path, kind)
            if v is not SKIP:
                add(kind, path, tp.body_for(path, v))
        tp.pending = set()
    if not copies:
        return
    d = tfrun.workdir(work, name)
    doc.write(d)
    t0 = time.time()
    res = tfrun.validate(d)
    tfrun.log(f"  validate {name}: {len(copies)} resources, "
              f"{len(res.get('diagnostics', []))} diagnostics, {time.time() - t0:.1f}s")
    by_copy: dict[str, list] = {a: [] for a in copies}
    for diag in res.get("diagnostics", []):
        if diag.get("severity") != "error":
            continue
        hit = doc.locate(diag.get("range"))
        if hit is None or hit[0] not in by_copy:
            for tp in probes:
                tp.notes.append("validate: " + msg_of(diag)[:200])
            continue
        by_copy[hit[0]].append((hit[1], diag))
    for addr, (tp, kind, target, snap, built) in copies.items():
        _digest(tp, kind, target, by_copy[addr], round_no, snap, built)
    for tp in probes:
        tp.pending = tp.pending_next
        tp.pending_next = set()


def _under(p, bp) -> bool:
    return p[: len(bp)] == bp


def _in_set_block(m: TypeModel, p) -> bool:
    return any(m.blocks[p[:i]].nesting == "set" for i in range(1, len(p)) if p[:i] in m.blocks)


def _digest(tp: TypeProbe, kind, target, diags, round_no, snap, built) -> None:
    m = tp.model
    if kind in ("b", "k"):
        key = target
        if not diags:
            if kind == "b":
                tp.base_ok = True
            else:
                tp.block_ok[key] = True
            return
        if kind == "b":
            tp.base_diags = [d for _, d in diags]
        for p, d in diags:
            if is_cross(d):
                _fix_group(tp, key, d)
            elif p in m.attrs and snap.get(p) == tp.fam_idx.get(p):
                _advance(tp, p)
        return
    if target is None:
        # all-at-once copy: an attribute's own (non-cross) errors are its value checks
        per: dict = {}
        for p, d in diags:
            per.setdefault(p, []).append(d)
        unclear_blocks = {p for p in per if p is not None and p in m.blocks}
        loose = [msg_of(d) for d in per.get(None, [])]
        for p in m.attrs:
            if tp.kind_value(p, kind) is SKIP:
                continue
            ds = per.get(p, [])
            unclear = (any(is_cross(d) for d in ds) or any(_under(p, b) for b in unclear_blocks)
                       or (loose and (_in_set_block(m, p)
                                      or any(re.search(r"\b%s\b" % re.escape(c), x)
                                             for c in p for x in loose))))
            if unclear:
                tp.pending_next.add((p, kind))
            elif ds:
                _record(tp, p, kind, ds[0], snap)
            else:
                _accept(tp, p, kind, snap)
        return
    # a one-attribute copy for `target`
    clean = tp.baseline_clean(target)
    own, cross, other = [], [], []
    for p, d in diags:
        if is_cross(d):
            cross.append(d)
        elif p == target or (clean and (p is None or (p in m.blocks and _under(target, p)))):
            own.append(d)
        else:
            other.append(d)
    if own:
        _record(tp, target, kind, own[0], snap)
        return
    if cross and round_no < MAX_ROUNDS - 1:
        for d in cross:
            _fix_copy(tp, target, d)
        now = (frozenset(tp.copy_drop.get(target, ())), frozenset(tp.copy_extras.get(target, {})))
        if now != built:
            tp.pending_next.add((target, kind))
            return
    if cross:
        if kind in KINDS_VALUE:
            tp.status[target] = "cross"
        return
    if other:
        if round_no < MAX_ROUNDS - 1:
            tp.pending_next.add((target, kind))  # wait for a valid base
        return
    _accept(tp, target, kind, snap, single=True)


def _record(tp, p, kind, d, snap):
    if kind in KINDS_VALUE:
        if snap.get(p) == tp.fam_idx.get(p):
            _advance(tp, p)
        return
    tp.bad[(p, kind)] = d
    a = tp.model.attrs[p]
    hint = V.hint_families(p[-1], a.type, msg_of(d))
    enum = V.parse_enum(msg_of(d))
    if enum:
        tp.enum[p] = enum
        if isinstance(a.type, list) and a.type[0] in ("list", "set"):
            hint = [([x], [y]) for x, y in _pairs(enum)]
        else:
            hint = list(_pairs(enum))
    if hint and tp.passed.get(p) != {"p", "a"}:
        tp.fams[p] = hint + [f for f in tp.families(p) if f not in hint]
        tp.fam_idx[p] = 0
        tp.status.pop(p, None)
        tp.passed.pop(p, None)
        tp.pending_next.add((p, "p"))
        tp.pending_next.add((p, "a"))


def _pairs(vals):
    if not vals:
        return []
    if len(vals) == 1:
        return [(vals[0], vals[0])]
    return [(vals[0], vals[1])]


def _accept(tp, p, kind, snap, single=False):
    if kind in KINDS_VALUE:
        if snap.get(p) == tp.fam_idx.get(p):
            tp.passed.setdefault(p, set()).add(kind)
            if single:
                tp.confirmed.add((p, kind, tp.fam_idx[p]))
    else:
        tp.bad_ok.add((p, kind))


def _advance(tp, p):
    tp.families(p)
    tp.fam_idx[p] += 1
    tp.status.pop(p, None)
    tp.passed.pop(p, None)
    if tp.fam_idx[p] >= len(tp.fams[p]):
        tp.status[p] = "fail"
    else:
        tp.pending_next.add((p, "p"))
        tp.pending_next.add((p, "a"))


def _fix_group(tp, key, d) -> None:
    """A base (or block copy) misses one of an ExactlyOneOf/AtLeastOneOf group: add one."""
    det = msg_of(d)
    if "all of" in det or ("must be specified" not in det and "must be configured" not in det):
        return
    if "cannot" in det or "can be specified" in det:
        return
    grp = [p for p in _group(d) if _under(p, key)]
    have = tp.extras.setdefault(key, {})
    blocks = tp.extra_blocks.setdefault(key, set())
    if any(p in have or p in blocks for p in grp):
        return
    for p in grp:
        if p in tp.model.attrs and tp.status.get(p) != "fail" and tp.value(p) is not None:
            have[p] = tp.value(p)
            return
        if p in tp.model.blocks:
            blocks.add(p)
            return
    tp.notes.append(f"base {'.'.join(key) or '-'}: could not satisfy: {det[:200]}")


def _fix_copy(tp, target, d) -> None:
    det = msg_of(d)
    drops = tp.copy_drop.setdefault(target, set())
    extras = tp.copy_extras.setdefault(target, {})
    key = tp.baseline_key(target)
    base_has = set(tp.extras.get(key, {})) | set(tp.extra_blocks.get(key, set())) \
        | set(tp.extras.get((), {})) | set(tp.extra_blocks.get((), set()))
    for rx in _CONFLICT_RES:
        m = rx.search(det)
        if m:
            x, y = norm_path(m.group("x")), norm_path(m.group("y"))
            other = y if x == target else x
            if other in base_has or other in extras:
                drops.add(other)
                extras.pop(other, None)
            return
    m = _REQWITH_FW.search(det)
    if m or ("all of" in det and "must be specified" in det):
        grp = [norm_path(m.group("y"))] if m else _group(d)
        for p in grp:
            if p != target and p in tp.model.attrs and p not in extras and p not in drops:
                v = tp.value(p)
                if v is not None:
                    extras[p] = v
        return
    if "can be specified" in det or "cannot be configured together" in det \
            or ("Exactly one of" in det and "must be configured" not in det):
        for p in _group(d):
            if p != target and p in base_has:
                drops.add(p)
        return
    if "must be specified" in det or "must be configured" in det:
        grp = _group(d)
        if target not in grp and not any(p in extras for p in grp):
            for p in grp:
                if p != target and p not in drops and p in tp.model.attrs and len(p) == len(target):
                    v = tp.value(p)
                    if v is not None:
                        extras[p] = v
                        return
        # "only one" in the framework's wording: "2 attributes specified when one (and only one)"
        if "only one" in det:
            for p in grp:
                if p != target and p in base_has:
                    drops.add(p)


def _unconfirmed(tp) -> set:
    out = set()
    for p, kinds in tp.passed.items():
        for k in kinds:
            if (p, k, tp.fam_idx[p]) not in tp.confirmed:
                out.add((p, k))
    return out


def run(work: Path, probes: list[TypeProbe], tag: str) -> None:
    """Main rounds until nothing is pending, then confirmation rounds: each accepted value
    once more on its own on top of the base (an all-at-once copy can satisfy a RequiredWith
    or hide a conflict that a one-change copy meets)."""
    confirming = False
    for r in range(MAX_ROUNDS):
        if not confirming and (r >= CONFIRM_AFTER or not any(
                tp.pending or not tp.base_ok for tp in probes)) and r > 0:
            confirming = True
            for tp in probes:
                tp.pending |= _unconfirmed(tp)
        active = [tp for tp in probes if r == 0 or tp.pending or not tp.base_ok
                  or (r < MAX_ROUNDS - 1 and any(
                      tp.optional_chain(bp) and not tp.block_ok.get(bp)
                      and tp.k_tried.get(bp) != tp.block_sig(bp) for bp in tp.model.blocks))]
        if not active:
            break
        run_round(work, f"validate-{tag}-{r}", active, r)
    for tp in probes:
        for p in tp.model.attrs:
            got = {k for k in tp.passed.get(p, set()) if (p, k, tp.fam_idx[p]) in tp.confirmed}
            if got == {"p", "a"}:
                tp.status[p] = "ok"
            elif "p" in got:
                tp.status[p] = "ok-primary"
            elif tp.status.get(p) is None:
                tp.status[p] = "unknown"
