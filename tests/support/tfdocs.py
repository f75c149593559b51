"""Generate (or check) the inputs/outputs tables of a module README.

The tables sit between ``<!-- BEGIN_TF_DOCS -->`` and ``<!-- END_TF_DOCS -->``. Variables and
outputs are read with ``hcl2`` (bc-python-hcl2, shipped with checkov); type expressions are taken
verbatim from the source so that the README shows what the code says.

    python tests/support/tfdocs.py --write modules/kms terraform   # regenerate
    python tests/support/tfdocs.py modules/kms                     # exit 1 if out of date
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import hcl2

BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"
_NO_DEFAULT = object()


def _load(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    with path.open() as fh:
        data: dict[str, Any] = hcl2.load(fh)  # type: ignore[attr-defined]
    return data


def _type_text(source_lines: list[str], start: int, end: int) -> str:
    """The verbatim ``type = ...`` expression of a variable block, collapsed to one line."""
    body = source_lines[start - 1 : end]
    for i, line in enumerate(body):
        match = re.match(r"^\s*type\s*=\s*(.*)$", line)
        if not match:
            continue
        text = match.group(1)
        depth = (
            text.count("(") + text.count("{") + text.count("[") - text.count(")") - text.count("}") - text.count("]")
        )
        j = i
        while depth > 0 and j + 1 < len(body):
            j += 1
            nxt = body[j].strip()
            joiner = " " if text.rstrip().endswith(("(", "{", "[", ",")) or nxt.startswith((")", "}", "]")) else ", "
            text = text.rstrip() + joiner + nxt
            depth += nxt.count("(") + nxt.count("{") + nxt.count("[") - nxt.count(")") - nxt.count("}") - nxt.count("]")
        text = re.sub(r"\s+", " ", text).strip()
        text = re.sub(r"([({\[]) ", r"\1", text)
        text = re.sub(r" ([)}\]])", r"\1", text)
        return text
    return "any"


def _cell(text: str) -> str:
    text = text.replace('\\"', '"').replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return "<br>".join(lines).replace("|", "\\|")


def _default(value: Any) -> str:
    if value is _NO_DEFAULT:
        return "n/a"
    if isinstance(value, str):
        return f"`{json.dumps(value)}`"
    return f"`{json.dumps(value, separators=(', ', ': '))}`"


def _unwrap(value: Any) -> Any:
    """hcl2 wraps attribute values in one-element lists."""
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def _strip_hcl2_meta(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_hcl2_meta(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [_strip_hcl2_meta(v) for v in value]
    return value


def render_tables(module_dir: Path) -> str:
    """The markdown that belongs between the markers of ``module_dir``/README.md."""
    inputs: list[tuple[str, str, str, str, str]] = []
    for tf_file in sorted(module_dir.glob("*.tf")):
        doc = _load(tf_file)
        lines = tf_file.read_text().splitlines()
        for block in doc.get("variable", []):
            for name, body in block.items():
                has_default = "default" in body
                default = _strip_hcl2_meta(_unwrap(body["default"])) if has_default else _NO_DEFAULT
                inputs.append(
                    (
                        name,
                        _cell(str(_unwrap(body.get("description", "")))),
                        _type_text(lines, body["__start_line__"], body["__end_line__"]),
                        _default(default),
                        "no" if has_default else "yes",
                    )
                )
    outputs: list[tuple[str, str]] = []
    for tf_file in sorted(module_dir.glob("*.tf")):
        for block in _load(tf_file).get("output", []):
            for name, body in block.items():
                outputs.append((name, _cell(str(_unwrap(body.get("description", ""))))))
    inputs.sort(key=lambda row: (row[4] != "yes", row[0]))
    outputs.sort()
    out = [
        "## Inputs",
        "",
        "| Name | Description | Type | Default | Required |",
        "|------|-------------|------|---------|:--------:|",
    ]
    for name, desc, typ, default, required in inputs:
        out.append(
            f'| <a name="input_{name}"></a> [{name}](#input_{name}) | {desc} | `{typ}` | {default} | {required} |'
        )
    out += ["", "## Outputs", "", "| Name | Description |", "|------|-------------|"]
    for name, desc in outputs:
        out.append(f'| <a name="output_{name}"></a> [{name}](#output_{name}) | {desc} |')
    return "\n".join(out) + "\n"


def current_tables(readme: Path) -> str | None:
    text = readme.read_text() if readme.is_file() else ""
    if BEGIN not in text or END not in text:
        return None
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"


def write_tables(module_dir: Path) -> bool:
    """Rewrite the tables in place; True if the README changed."""
    readme = module_dir / "README.md"
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{readme}: missing {BEGIN} / {END} markers")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{BEGIN}\n{render_tables(module_dir)}{END}{tail}"
    if new != text:
        readme.write_text(new)
        return True
    return False


def main(argv: list[str]) -> int:
    write = "--write" in argv
    dirs = [Path(a) for a in argv if a != "--write"]
    stale: list[str] = []
    for d in dirs:
        if write:
            if write_tables(d):
                print(f"updated {d / 'README.md'}")
        elif current_tables(d / "README.md") != render_tables(d):
            stale.append(str(d))
    for name in stale:
        print(f"{name}/README.md: tables out of date (run: python tests/support/tfdocs.py --write {name})")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
