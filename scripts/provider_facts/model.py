"""A resource type's configurable attributes, from the provider schema, and config bodies."""
from __future__ import annotations

import copy as _copy
from dataclasses import dataclass, field

from hcl import Blocks
import values as V

MAX_BLOCK_DEPTH = 3          # nested blocks deeper than this are not probed
MAX_ATTRS_PER_TYPE = 400
SKIP_ATTRS = {"id", "tags_all"}
SKIP_BLOCKS = {"timeouts"}


@dataclass
class Attr:
    path: tuple
    type: object
    required: bool
    optional: bool
    computed: bool
    sensitive: bool = False
    deprecated: bool = False


@dataclass
class Block:
    path: tuple
    nesting: str
    min_items: int
    max_items: int
    schema: dict


@dataclass
class TypeModel:
    rtype: str
    schema_version: int
    root: dict
    attrs: dict = field(default_factory=dict)     # path -> Attr (configurable only)
    blocks: dict = field(default_factory=dict)    # path -> Block
    all_attrs: dict = field(default_factory=dict)  # path -> schema attr (incl. computed-only)

    @classmethod
    def from_schema(cls, rtype: str, s: dict) -> "TypeModel":
        m = cls(rtype, s.get("version", 0), s["block"])
        m._walk(s["block"], (), 0)
        return m

    def _walk(self, block: dict, path: tuple, depth: int):
        for name, a in sorted(block.get("attributes", {}).items()):
            p = path + (name,)
            self.all_attrs[p] = a
            if name in SKIP_ATTRS and not path:
                continue
            if a.get("write_only"):
                continue
            if not (a.get("required") or a.get("optional")):
                continue
            if len(self.attrs) >= MAX_ATTRS_PER_TYPE:
                continue
            self.attrs[p] = Attr(p, a["type"], bool(a.get("required")), bool(a.get("optional")),
                                 bool(a.get("computed")), bool(a.get("sensitive")),
                                 bool(a.get("deprecated")))
        for name, b in sorted(block.get("block_types", {}).items()):
            if name in SKIP_BLOCKS:
                continue
            p = path + (name,)
            if depth + 1 > MAX_BLOCK_DEPTH and not b.get("min_items"):
                continue
            self.blocks[p] = Block(p, b["nesting_mode"], b.get("min_items", 0),
                                   b.get("max_items", 0), b["block"])
            if depth + 1 <= MAX_BLOCK_DEPTH + 2:
                self._walk(b["block"], p, depth + 1)

    # ---- bodies -------------------------------------------------------------------
    def block_schema(self, path: tuple) -> dict:
        return self.root if not path else self.blocks[path].schema

    def required_body(self, path: tuple, chosen: dict) -> dict:
        """Required attributes (chosen values) and required blocks under `path`."""
        sch = self.block_schema(path)
        body: dict = {}
        for name, a in sch.get("attributes", {}).items():
            p = path + (name,)
            if a.get("required") and p in self.attrs:
                body[name] = chosen.get(p, _first(self.attrs[p]))
        for name, b in sch.get("block_types", {}).items():
            p = path + (name,)
            if b.get("min_items", 0) and p in self.blocks:
                body[name] = Blocks([self.required_body(p, chosen)
                                     for _ in range(b["min_items"])])
        return body

    def ensure_chain(self, body: dict, path: tuple, chosen: dict) -> dict:
        """The body of the innermost block that holds `path` (creating blocks as needed)."""
        cur = body
        for i in range(len(path) - 1):
            bp = path[: i + 1]
            name = path[i]
            blk = cur.get(name)
            if not isinstance(blk, Blocks) or not blk:
                cur[name] = Blocks([self.required_body(bp, chosen)])
            cur = cur[name][0]
        return cur

    def set_value(self, body: dict, path: tuple, value, chosen: dict) -> None:
        inner = self.ensure_chain(body, path, chosen)
        inner[path[-1]] = value

    def add_block(self, body: dict, path: tuple, chosen: dict) -> None:
        inner = self.ensure_chain(body, path + ("_",), chosen)
        del inner  # ensure_chain created the block

    def remove(self, body: dict, path: tuple) -> None:
        cur = body
        for name in path[:-1]:
            blk = cur.get(name)
            if not isinstance(blk, Blocks) or not blk:
                return
            cur = blk[0]
        cur.pop(path[-1], None)


def _first(a: Attr):
    fams = V.families(a.path[-1], a.type)
    return fams[0][0] if fams else None


def deep(body):
    return _copy.deepcopy(body)


def path_str(path: tuple) -> str:
    return ".".join(path)
