"""Make the sandbox provider available to Terraform without touching ~/.terraformrc.

:func:`install` writes, under the cache directory::

    sandbox/KEY/mirror/registry.terraform.io/hashicorp/aws/6.47.0/linux_amd64/terraform-provider-aws_v6.47.0
    sandbox/KEY/terraformrc

KEY names the installed package (its path and version) and the interpreter, so
checkouts sharing one cache never run each other's plugin code.

The executable is a small launcher that runs this package's plugin with the
current interpreter. The CLI config points Terraform at that filesystem mirror
for ``hashicorp/aws`` only; every other provider installs as usual. The
returned environment (``TF_CLI_CONFIG_FILE``, ``INFRA_PROVIDER_SCHEMA``...) is
what the runner passes to Terraform.

Lock files: ``terraform init`` in the working directory records the mirror
package's hash in ``.terraform.lock.hcl`` there. Run it in a staging copy (see
:func:`prepare_workdir`) so a committed lock file of the real provider is never
rewritten.
"""

from __future__ import annotations

import json
import platform
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra_sandbox._files import atomic_write_text
from infra_sandbox.errors import SandboxError
from infra_sandbox.schema import (
    CACHE_ENV,
    PROVIDER_ADDRESS,
    PROVIDER_ADDRESSES,
    SCHEMA_ENV,
    cached_response_bytes,
    file_sha256,
    load_schema,
)

PROVIDER_VERSION_DEFAULT = "6.47.0"
LOCK_FILE = ".terraform.lock.hcl"


def _platform() -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{sys.platform.replace('linux', 'linux')}_{arch}"


def provider_version_of(schema_path: Path) -> str:
    """The provider version, from a file name like ``hashicorp-aws-6.47.0.json``."""
    stem = schema_path.name.removesuffix(".gz").removesuffix(".json")
    tail = stem.rsplit("-", 1)[-1]
    parts = tail.split(".")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return tail
    return PROVIDER_VERSION_DEFAULT


@dataclass(frozen=True)
class SandboxInstall:
    """Where the sandbox provider was installed and how to point Terraform at it."""

    cache_dir: Path
    mirror_dir: Path
    plugin_path: Path
    cli_config: Path
    schema_path: Path
    schema_sha256: str
    provider_version: str

    def env(self) -> dict[str, str]:
        return {
            "TF_CLI_CONFIG_FILE": str(self.cli_config),
            SCHEMA_ENV: str(self.schema_path),
            CACHE_ENV: str(self.cache_dir),
        }


def install_key() -> str:
    """Names this installation: the package's location, its version and the interpreter that runs it."""
    import hashlib
    from importlib.metadata import PackageNotFoundError, version

    try:
        dist_version = version("infra-toolkit")
    except PackageNotFoundError:
        dist_version = "source"
    ident = "\0".join((str(Path(__file__).resolve().parent), dist_version, sys.executable))
    return hashlib.sha256(ident.encode()).hexdigest()[:16]


def _launcher(python: str) -> str:
    package_root = Path(__file__).resolve().parents[1]
    return (
        "#!/bin/sh\n"
        "# infra sandbox provider for hashicorp/aws (generated; do not edit)\n"
        f"PYTHONPATH={shlex.quote(str(package_root))}${{PYTHONPATH:+:$PYTHONPATH}}\n"
        "export PYTHONPATH\n"
        f'exec {shlex.quote(python)} -m infra_sandbox.server "$@"\n'
    )


def _hcl_string(value: str) -> str:
    return json.dumps(value)


def install(schema_path: Path, cache: Path) -> SandboxInstall:
    """Create (or refresh) the filesystem mirror and CLI config under ``cache``; warm the schema cache."""
    schema_path = schema_path.resolve()
    if not schema_path.is_file():
        raise SandboxError(f"{schema_path}: provider schema document not found")
    base = cache.resolve()
    version = provider_version_of(schema_path)
    # One mirror per installed package and interpreter: two checkouts (or two versions) sharing
    # a cache never start each other's plugin code.
    home = base / "sandbox" / install_key()
    mirror = home / "mirror"
    text = _launcher(sys.executable)
    plugins = [mirror / address / version / _platform() / f"terraform-provider-aws_v{version}"
               for address in PROVIDER_ADDRESSES]  # Terraform's and OpenTofu's name of hashicorp/aws
    for plugin in plugins:
        if not plugin.is_file() or plugin.read_text() != text:
            atomic_write_text(plugin, text, mode=0o755)
    addresses = ", ".join(_hcl_string(a) for a in PROVIDER_ADDRESSES)
    cli_config = home / "terraformrc"
    rc = (
        "# infra sandbox: hashicorp/aws comes from the toolkit's filesystem mirror (generated)\n"
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {_hcl_string(str(mirror))}\n"
        f"    include = [{addresses}]\n"
        "  }\n"
        "  direct {\n"
        f"    exclude = [{addresses}]\n"
        "  }\n"
        "}\n"
    )
    if not cli_config.is_file() or cli_config.read_text() != rc:
        atomic_write_text(cli_config, rc)
    _, digest = cached_response_bytes(schema_path, base)
    return SandboxInstall(
        cache_dir=base,
        mirror_dir=mirror,
        plugin_path=plugins[0],
        cli_config=cli_config,
        schema_path=schema_path,
        schema_sha256=digest,
        provider_version=version,
    )


def prepare_workdir(source: Path, workdir: Path) -> Path:
    """Copy a stack into ``workdir`` for a sandbox run, leaving the source untouched.

    The committed ``.terraform.lock.hcl`` (which pins the real provider's hashes)
    is not copied: ``terraform init`` writes one matching the sandbox mirror in
    the work directory. ``.terraform`` directories are skipped.
    """
    if workdir.exists():
        shutil.rmtree(workdir)

    def _ignore(_dir: str, names: list[str]) -> list[str]:
        return [n for n in names if n in (".terraform", LOCK_FILE, "terraform.tfstate", "terraform.tfstate.backup")]

    shutil.copytree(source, workdir, ignore=_ignore, symlinks=True)
    return workdir


def info(schema_path: Path, cache: Path) -> dict[str, Any]:
    """What ``infra doctor`` shows about the sandbox provider."""
    path = schema_path
    if not path.is_file():
        return {"schema_path": str(path), "error": "file not found"}
    schema = load_schema(path)
    return {
        "provider": PROVIDER_ADDRESS,
        "provider_version": provider_version_of(path),
        "schema_path": str(path),
        "schema_sha256": file_sha256(path),
        "resource_types": len(schema.resources),
        "data_source_types": len(schema.data_sources),
        "ephemeral_resource_types": len(schema.ephemeral),
        "cache_dir": str(cache),
    }


def stage_tree(root: Path, dest: Path, dirs: tuple[str, ...] = ("terraform", "modules")) -> Path:
    """Copy ``dirs`` of a project into ``dest`` keeping their relative layout.

    Root stacks call modules by relative path (``../modules/x``), so a sandbox
    run stages both next to each other. Lock files and ``.terraform`` are left
    out (see :func:`prepare_workdir`). Returns ``dest``.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for name in dirs:
        src = root / name
        if src.is_dir():
            prepare_workdir(src, dest / name)
    return dest


BACKEND_OVERRIDE = "infra_sandbox_backend_override.tf"


def use_local_backend(stack_dir: Path, state_path: Path | None = None) -> Path:
    """Make a staged stack use a local backend (sandbox plans have no remote state).

    Writes an override file (``*_override.tf`` replaces the ``backend "s3" {}``
    block of the stack) into the staged copy only. Run ``init`` normally
    afterwards (not ``-backend=false``: plan needs an initialised backend).
    """
    path_line = f"    path = {_hcl_string(str(state_path))}\n" if state_path else ""
    text = (
        "# Generated by infra for a sandbox run: local state instead of the stack's backend.\n"
        "terraform {\n"
        '  backend "local" {\n'
        f"{path_line}"
        "  }\n"
        "}\n"
    )
    target = stack_dir / BACKEND_OVERRIDE
    atomic_write_text(target, text)
    return target
