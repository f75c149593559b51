"""Render resource bodies as HCL, remembering which line holds which attribute."""
from __future__ import annotations

import json
import re

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class Blocks(list):
    """A list of nested block bodies (dicts) in a body: rendered as repeated blocks."""


def literal(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, str):
        s = json.dumps(v)  # JSON escapes are valid HCL escapes
        return s.replace("${", "$${").replace("%{", "%%{")
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(literal(x) for x in v) + "]"
    if isinstance(v, dict):
        items = []
        for k in sorted(v):
            key = k if _IDENT.match(k) else json.dumps(k)
            items.append(f"{key} = {literal(v[k])}")
        return "{ " + ", ".join(items) + " }" if items else "{}"
    raise TypeError(f"cannot render {v!r}")


class Doc:
    """Accumulates HCL text; `lines` maps a line number to (address, attribute path)."""

    def __init__(self, first_line: int = 1):
        self.out: list[str] = []
        self.line = first_line
        self.lines: dict[int, tuple[str, tuple]] = {}
        self.resource_lines: dict[str, tuple[int, int]] = {}

    def _emit(self, text: str):
        self.out.append(text)
        self.line += 1

    def resource(self, rtype: str, name: str, body: dict):
        addr = f"{rtype}.{name}"
        start = self.line
        self._emit(f'resource "{rtype}" "{name}" {{')
        self._body(addr, body, (), 1)
        self._emit("}")
        self.resource_lines[addr] = (start, self.line - 1)
        self._emit("")

    def _body(self, addr: str, body: dict, path: tuple, depth: int):
        pad = "  " * depth
        for k in sorted(body, key=lambda k: (isinstance(body[k], Blocks), k)):
            v = body[k]
            if isinstance(v, Blocks):
                for i, blk in enumerate(v):
                    self.lines[self.line] = (addr, path + (k,))
                    self._emit(f"{pad}{k} {{")
                    self._body(addr, blk, path + (k,), depth + 1)
                    self._emit(f"{pad}}}")
            else:
                self.lines[self.line] = (addr, path + (k,))
                self._emit(f"{pad}{k} = {literal(v)}")

    def text(self) -> str:
        return "\n".join(self.out) + "\n"


class Config:
    """Resources spread over many small files: Terraform re-reads a file for the snippet of
    every diagnostic, so one big file makes validation quadratic."""

    def __init__(self, prefix: str = "c", max_lines: int = 120):
        self.prefix = prefix
        self.max_lines = max_lines
        self.docs: dict[str, Doc] = {}
        self._cur: str | None = None

    def resource(self, rtype: str, name: str, body: dict):
        if self._cur is None or self.docs[self._cur].line > self.max_lines:
            self._cur = f"{self.prefix}{len(self.docs):05d}.tf"
            self.docs[self._cur] = Doc()
        self.docs[self._cur].resource(rtype, name, body)

    def write(self, d) -> None:
        for fn, doc in self.docs.items():
            (d / fn).write_text(doc.text())

    def locate(self, rng: dict | None):
        """(address, attribute path or None) for a diagnostic range, else None."""
        if not rng:
            return None
        doc = self.docs.get(rng.get("filename"))
        line = rng.get("start", {}).get("line")
        if doc is None or not line:
            return None
        hit = doc.lines.get(line)
        if hit:
            return hit
        for a, (s, e) in doc.resource_lines.items():
            if s <= line <= e:
                return (a, None)
        return None
