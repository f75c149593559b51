"""Which provider a run uses: the real one with AWS credentials, or the offline sandbox."""

from __future__ import annotations

from typing import Any, Literal

from toolkit.errors import UserError
from toolkit.paths import Given

Mode = Literal["sandbox", "cloud"]

SANDBOX_BANNER = ("SANDBOX PLAN: planned against the real hashicorp/aws schema by the toolkit's offline provider; "
                  "provider-side checks, provider defaults and forced replacements are not known. "
                  "`infra apply` applies sandbox plans only to sandbox state (--sandbox), never to the cloud.")


def sandbox_banner(base: dict[str, Any] | None) -> str:
    """The sandbox banner and what the plan was planned against (REF's state, or local/empty state)."""
    from toolkit.plan.summary import base_line

    return f"{SANDBOX_BANNER} {base_line(base).replace('`', '')}"


def choose_mode(sandbox: bool | None) -> tuple[Mode, str]:
    """(mode, why). ``sandbox`` is True for --sandbox, False for --cloud, None to decide.

    Undecided: cloud when AWS credentials are configured and loadable, sandbox when none are
    configured at all; credentials that are configured but broken are an error, never a
    silent fall back to the sandbox.
    """
    if sandbox is True:
        return "sandbox", "--sandbox"
    if sandbox is False:
        return "cloud", "--cloud"
    from toolkit.adapters.aws.session import credential_status

    status = credential_status()
    if status.state == "found":
        return "cloud", status.detail
    if status.state == "broken":
        raise UserError(f"AWS credentials are configured but unusable ({status.detail}): fix or unset them, "
                        "or pass --sandbox to plan offline")
    return "sandbox", status.detail


def sandbox_install(explicit_schema: Given | None) -> Any:
    """Install the sandbox provider (mirror + CLI config in the cache) for the chosen schema."""
    from infra_sandbox import install
    from toolkit.paths import cache_dir, provider_schema_path

    return install(provider_schema_path(explicit_schema), cache_dir())


def prepare_sandbox(explicit_schema: Given | None) -> tuple[Any, dict[str, str], dict[str, Any]]:
    """(install, Terraform environment, provider info for the summary) of a sandbox run."""
    inst = sandbox_install(explicit_schema)
    info = {"source": "registry.terraform.io/hashicorp/aws", "version": inst.provider_version,
            "schema_path": str(inst.schema_path), "schema_sha256": inst.schema_sha256}
    return inst, inst.env(), info
