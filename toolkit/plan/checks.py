"""What the pipeline checks around Terraform: the plan is ours, init can be skipped, endpoint overrides."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from toolkit.errors import UserError


def endpoint_backend_config(environ: Any) -> str | None:
    """Extra S3 backend settings when AWS_ENDPOINT_URL(_S3) points elsewhere (LocalStack, moto).

    Terraform reads the endpoint variables itself; path-style addressing is the one
    setting the environment cannot carry, and the endpoints are repeated for the record.
    """
    from toolkit.adapters.aws import backend_endpoint_overrides
    from toolkit.render.inputs import hcl_value

    extra = backend_endpoint_overrides(environ)
    if not extra:
        return None
    lines = ["# endpoint overrides from AWS_ENDPOINT_URL*; generated per run"]
    lines += [f"{key} = {hcl_value(value)}" for key, value in sorted(extra.items())]
    return "\n".join(lines) + "\n"


def init_fingerprint(root: Path, stack: Path, init_args: list[str], env: dict[str, str]) -> str:
    """What `terraform init` depends on: if none of it changed, the last init still holds.

    The stack's files, every module file (local sources are resolved at init), the
    backend settings and endpoint overrides, the provider installation config and lock.
    """
    import hashlib

    h = hashlib.sha256()
    # The lock file is an output of init; the committed one (cloud mode) counts through root.
    files = sorted(p for p in stack.iterdir() if p.is_file() and p.name != ".terraform.lock.hcl") + sorted(
        p for p in (root / "modules").rglob("*") if p.is_file() and ".terraform" not in p.parts)
    for path in files:
        h.update(str(path.relative_to(stack if path.is_relative_to(stack) else root)).encode())
        h.update(path.read_bytes())
    committed_lock = root / "terraform" / ".terraform.lock.hcl"
    if committed_lock.is_file():
        h.update(committed_lock.read_bytes())
    for arg in init_args:
        h.update(arg.encode())
        if arg.startswith("-backend-config="):
            h.update(Path(arg.split("=", 1)[1]).read_bytes())
    cli_config = env.get("TF_CLI_CONFIG_FILE")
    if cli_config and Path(cli_config).is_file():
        h.update(Path(cli_config).read_bytes())
    for var in sorted(k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")):
        h.update(f"{var}={os.environ[var]}".encode())
    return h.hexdigest()


def check_plan(plan: dict[str, Any]) -> None:
    """Fail closed: a plan that manages nothing of ours is an error, never "No changes".

    Terraform leaves ``resource_changes`` out when the configuration declares no resource at
    all, and a stack whose resources include no ``aws_`` one is not the stack this toolkit
    plans (a broken module path, a stub, an edit gone wrong).
    """
    changes = plan.get("resource_changes")
    if not isinstance(changes, list):
        raise UserError("the plan has no resource_changes: Terraform planned no resources at all; "
                        "refusing to report it as 'No changes'")
    ours = [rc for rc in changes
            if isinstance(rc, dict) and str(rc.get("type", "")).startswith("aws_") and rc.get("mode") != "data"]
    if not ours:
        raise UserError(f"the plan's {len(changes)} resource change(s) include no aws_ resource: this is not "
                        "the stack to review; refusing to report it as 'No changes'")
