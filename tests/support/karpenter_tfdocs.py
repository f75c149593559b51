"""Inputs/outputs tables for a module README, between the terraform-docs markers.

``render(module_dir)`` builds the Markdown from variables.tf / outputs.tf (parsed with
python-hcl2, which checkov ships); the tests compare it with the README and rewrite the
README when ``UPDATE_TF_DOCS=1``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import hcl2

BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"


def _one(value: Any) -> Any:
    """checkov's hcl2 parser wraps attribute values in one-element lists."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _cell(text: Any) -> str:
    return str(_one(text)).replace('\\"', '"').replace("|", "\\|").replace("\n", " ")


def _raw_types(source: str) -> dict[str, str]:
    """Variable name -> its type expression as written, whitespace collapsed."""
    types: dict[str, str] = {}
    for match in re.finditer(r'^variable "([^"]+)" \{\n(.*?)^\}', source, re.MULTILINE | re.DOTALL):
        body = match.group(2)
        start = re.search(r"^  type\s*=\s*", body, re.MULTILINE)
        if not start:
            continue
        rest = body[start.end():]
        depth = 0
        out = []
        for ch in rest:
            if ch in "({[":
                depth += 1
            elif ch in ")}]":
                depth -= 1
            if ch == "\n" and depth == 0:
                break
            out.append(ch)
        text = " ".join("".join(out).split())
        types[match.group(1)] = text if len(text) <= 40 else text.split("(", 1)[0] + "(...)"
    return types


def _default(value: Any) -> str:
    return "`null`" if value is None else f"`{json.dumps(value, sort_keys=True)}`"


def render(module_dir: Path) -> str:
    var_src = (module_dir / "variables.tf").read_text(encoding="utf-8")
    out_src = (module_dir / "outputs.tf").read_text(encoding="utf-8")
    types = _raw_types(var_src)
    lines = ["## Inputs", "", "| Name | Description | Type | Default | Required |",
             "|------|-------------|------|---------|:--------:|"]
    variables = [next(iter(v.items())) for v in hcl2.loads(var_src).get("variable", [])]
    for name, body in sorted(variables):
        has_default = "default" in body
        lines.append(
            f"| `{name}` | {_cell(body.get('description', ''))} | `{_cell(types.get(name, 'any'))}` | "
            f"{_default(_one(body['default'])) if has_default else 'n/a'} | {'no' if has_default else 'yes'} |"
        )
    lines += ["", "## Outputs", "", "| Name | Description |", "|------|-------------|"]
    outputs = [next(iter(o.items())) for o in hcl2.loads(out_src).get("output", [])]
    for name, body in sorted(outputs):
        lines.append(f"| `{name}` | {_cell(body.get('description', ''))} |")
    return "\n".join(lines) + "\n"


def section(readme: str) -> str:
    start, end = readme.index(BEGIN) + len(BEGIN), readme.index(END)
    return readme[start:end].strip("\n") + "\n"


def update(module_dir: Path) -> None:
    readme = module_dir / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    readme.write_text(text[:start] + "\n" + render(module_dir) + text[end:], encoding="utf-8")
