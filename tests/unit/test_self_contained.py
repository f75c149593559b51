"""The toolkit runs from a plain clone or a wheel: no module reads ../shared or a path of this machine."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.support import REPO

PACKAGES = (REPO / "toolkit", REPO / "infra_sandbox")
# A string constant that is an absolute path of two or more segments (devices excepted).
ABSOLUTE_PATH = re.compile(r"^/(?!dev/)[A-Za-z0-9._-]+/[A-Za-z0-9._/-]+$")
MACHINE_PATH = re.compile(r"(^|[^\w.])/(work|root|home|opt|usr/local|srv|mnt)/")


def _sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in pkg.rglob("*") if p.suffix in (".py", ".j2", ".yaml", ".json")
                  and "__pycache__" not in p.parts and p.name not in ("PROVENANCE.json", "aws_provider_facts.json"))


def offenders(paths: list[Path], base: Path = REPO) -> list[str]:
    found = []
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        for n, line in enumerate(text.splitlines(), 1):
            if re.search(r"\.\./shared|INFRA_SHARED_DIR|shared_dir\(", line) or MACHINE_PATH.search(line):
                found.append(f"{path.relative_to(base)}:{n}: {line.strip()}")
        if path.suffix == ".py":
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and ABSOLUTE_PATH.match(node.value):
                    found.append(f"{path.relative_to(base)}:{node.lineno}: absolute path literal {node.value!r}")
    return found


def test_no_module_reads_shared_or_machine_paths() -> None:
    paths = _sources()
    assert len(paths) > 50
    assert offenders(paths) == []


@pytest.mark.parametrize("line", [
    'SHARED = Path(__file__).parents[2].parent / "shared"  # ../shared',
    'os.environ.get("INFRA_SHARED_DIR")',
    'SCHEMA = "/work/shared/schemas/terraform/x.json"',
    'BIN = "/opt/tf-plugins/registry.terraform.io"',
    'CACHE = Path("/var/cache/infra/schemas")',
])
def test_the_scan_finds_each_kind_of_reference(tmp_path: Path, line: str) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(f"from pathlib import Path\nimport os\n{line}\n")
    assert offenders([probe], base=tmp_path), line
