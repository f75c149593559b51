"""`infra doctor` and `infra providers schema`: what runs, and where the schema comes from."""

from __future__ import annotations

import os
import platform
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolkit import __version__
from toolkit.errors import InfraError, ToolError, UserError
from toolkit.fsutil import atomic_write_json
from toolkit.project import cache_dir, provider_schema_path


def diagnose(root: Path | None, terraform: str | None, provider_schema: Path | None) -> dict[str, Any]:
    from toolkit.plan import have_aws_credentials
    from toolkit.terraform import engine_info

    report: dict[str, Any] = {
        "toolkit": __version__,
        "python": f"{platform.python_version()} ({sys.executable})",
        "project": str(root) if root else "not found (run inside the repo or pass --project)",
    }
    try:
        report["terraform"] = engine_info(terraform)
    except InfraError as exc:
        report["terraform"] = {"error": str(exc)}
    try:
        from importlib.metadata import version

        report["checkov"] = version("checkov")
    except Exception:
        report["checkov"] = "not installed"
    schema: dict[str, Any]
    try:
        from toolkit.sandbox import info

        path = provider_schema_path(root or Path.cwd(), provider_schema)
        schema = dict(info(path))
        if provider_schema:
            schema["source"] = "--provider-schema"
        elif os.environ.get("INFRA_PROVIDER_SCHEMA"):
            schema["source"] = "INFRA_PROVIDER_SCHEMA"
        elif path.is_relative_to(cache_dir()):
            schema["source"] = "toolkit cache (infra providers schema)"
        else:
            schema["source"] = "pre-seeded copy beside the checkout (../shared/schemas)"
    except InfraError as exc:
        schema = {"error": str(exc)}
    report["provider schema"] = schema
    creds = have_aws_credentials()
    report["aws credentials"] = "found: plans use the real provider" if creds else \
        "none: plans run in sandbox mode"
    report["cache"] = str(cache_dir())
    return report


def fetch_provider_schema(version: str, terraform: str | None, log: Callable[[str], None],
                          force: bool = False) -> Path:
    """Init the real provider in a scratch dir and save `providers schema -json` to the cache."""
    from toolkit.terraform import Terraform, resolve_engine

    if not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", version):
        raise UserError(f"--version {version!r}: expected a provider version such as 6.47.0")
    out = cache_dir() / "schemas" / f"hashicorp-aws-{version}.json"
    if out.is_file() and not force:
        log(f"{out} is cached (--force to download again)")
        return out
    with tempfile.TemporaryDirectory(prefix="infra-schema-") as tmp:
        work = Path(tmp)
        (work / "main.tf").write_text(
            'terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n'
            f'      version = "{version}"\n    }}\n  }}\n}}\n', encoding="utf-8")
        tf = Terraform(work, engine=resolve_engine(terraform), log=log)
        try:
            tf.init(backend=False)
        except ToolError as exc:
            raise ToolError(f"could not download hashicorp/aws {version} (needs registry access): {exc}") from None
        data = tf.providers_schema()
    atomic_write_json(out, data)
    return out
