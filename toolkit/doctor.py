"""`infra doctor` and `infra providers schema`: what runs, and where the schema comes from."""

from __future__ import annotations

import platform
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infra_sandbox.errors import SandboxError
from toolkit import __version__
from toolkit.errors import InfraError, ToolError, UserError
from toolkit.fsutil import atomic_write_json
from toolkit.paths import Given, cache_dir
from toolkit.paths import provider_schema as choose_schema


def diagnose(root: Path | None, terraform: Given | None, provider_schema: Given | None) -> dict[str, Any]:
    """What this installation runs with. ``problems`` lists what stops plans from working (empty: healthy)."""
    from infra_sandbox import info
    from toolkit.adapters.aws.session import credential_status
    from toolkit.adapters.terraform.runner import engine_info

    problems: list[str] = []
    report: dict[str, Any] = {
        "toolkit": __version__,
        "python": f"{platform.python_version()} ({sys.executable})",
        "project": str(root) if root else "not found (run inside the repo or pass --project)",
    }
    try:
        report["terraform"] = engine_info(terraform)
    except InfraError as exc:
        report["terraform"] = {"error": str(exc)}
        problems.append(f"terraform: {exc}")
    try:
        from importlib.metadata import version

        report["checkov"] = version("checkov")
    except Exception:
        report["checkov"] = "not installed"
        problems.append("checkov is not installed (infra scan and the gate need it)")
    schema: dict[str, Any]
    try:
        choice = choose_schema(provider_schema)
        schema = {"in use": f"{choice.origin}: hashicorp/aws {choice.version}", **info(choice.path, cache_dir())}
    except (InfraError, SandboxError) as exc:
        schema = {"error": str(exc)}
        problems.append(f"provider schema: {exc}")
    report["provider schema"] = schema
    creds = credential_status()
    report["aws credentials"] = {"found": f"{creds.detail}: plans use the real provider",
                                 "none": "none configured: plans run in sandbox mode",
                                 "broken": f"broken: {creds.detail}"}[creds.state]
    if creds.state == "broken":
        problems.append(f"AWS credentials: {creds.detail}")
    report["cache"] = str(cache_dir())
    report["problems"] = problems
    return report


def fetch_provider_schema(version: str, terraform: Given | None, log: Callable[[str], None],
                          force: bool = False) -> Path:
    """Init the real provider in a scratch dir and save `providers schema -json` to the cache."""
    from toolkit.adapters.terraform.runner import Terraform, resolve_engine

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
