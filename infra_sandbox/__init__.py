"""Sandbox provider: a Python tfplugin6 server for ``registry.terraform.io/hashicorp/aws``.

It serves the real provider schema (``$INFRA_PROVIDER_SCHEMA``), so Terraform core
validates configurations exactly as with the real provider, and answers plans,
applies (sandbox state only) and data sources without AWS.

What it cannot know, and therefore never claims: provider-side value checks
(enums, CIDR syntax, conflicting arguments), defaults the provider would fill
(optional+computed attributes stay unknown), replacements forced by the
provider (no RequiresReplace), real data source answers (AMIs, SSM parameters,
existing resources), drift. See ``infra_sandbox/README.md``.

Public API::

    install(schema_path=None, cache=None) -> SandboxInstall   # .env() for the runner
    prepare_workdir(source, workdir) -> Path                  # stack copy without lock file
    stage_tree(root, dest, dirs=("terraform", "modules")) -> Path
    use_local_backend(stack_dir, state_path=None) -> Path     # override backend "s3" {}
    info(schema_path=None) -> dict                            # for infra doctor
"""

from infra_sandbox.install import (
    LOCK_FILE,
    SandboxInstall,
    info,
    install,
    prepare_workdir,
    stage_tree,
    use_local_backend,
)

__all__ = [
    "LOCK_FILE",
    "SandboxInstall",
    "info",
    "install",
    "prepare_workdir",
    "stage_tree",
    "use_local_backend",
]
