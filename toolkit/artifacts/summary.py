"""``summary.json`` and ``status.json``: what a plan changes, and how far the plan of a region got."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from toolkit.artifacts.findings import Mode
from toolkit.artifacts.io import Artifact

SCHEMA_VERSION: Literal[1] = 1


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Change(_Part):
    address: str
    type: str
    action: str = Field(description="create, update, delete, replace, read or no-op (joined with + otherwise).")
    attributes: list[str] = Field(default_factory=list,
                                  description="Names (never values) of the top-level attributes an update or "
                                              "replace changes.")


class Counts(_Part):
    """As Terraform counts: a replacement is one add and one destroy."""

    add: int
    change: int
    destroy: int
    replace: int = 0
    read: int = 0


class ProviderInfo(_Part):
    source: str
    version: str | None = None
    schema_path: str | None = None
    schema_sha256: str | None = None


class BaseInfo(_Part):
    """``--base REF``: the sandbox state the plan was made against (the state of REF, built and cached)."""

    ref: str
    commit: str
    tree: str
    exists: bool = Field(description="False when REF has no settings for this environment/region (all create).")
    note: str | None = None


class Summary(Artifact):
    """``summary.json``: the plan's changes by address, type and action (no attribute values)."""

    what: ClassVar[str] = "the plan summary of `infra plan`"

    schema_version: Literal[1] = SCHEMA_VERSION
    mode: Mode
    environment: str
    region: str
    aws_region: str
    counts: Counts
    changes: list[Change]
    protected_changes: list[Change] = Field(default_factory=list)
    by_type: dict[str, dict[str, int]] = Field(default_factory=dict)
    output_changes: list[str] = Field(default_factory=list)
    terraform_version: str | None = None
    provider: ProviderInfo
    plan_sha256: str
    generated_at: str
    inputs_sha256: dict[str, str] = Field(default_factory=dict)
    banner: str | None = None
    base: BaseInfo | None = Field(default=None, description="Set by `infra plan --base REF` (sandbox mode).")

    @property
    def has_changes(self) -> bool:
        """As ``terraform plan -detailed-exitcode``: output-only changes are changes too."""
        c = self.counts
        return bool(c.add or c.change or c.destroy or self.output_changes)


class Status(Artifact):
    """``status.json``: ``running`` at a stage, ``ok`` when done, ``failed`` with where and why,
    ``interrupted`` when the run was stopped (Ctrl-C) or died (found ``running`` with its pid gone)."""

    what: ClassVar[str] = "the plan status of `infra plan`"

    schema_version: Literal[1] = SCHEMA_VERSION
    status: Literal["running", "ok", "failed", "interrupted"]
    stage: str
    error: str | None = None
    mode: Mode | None = None
    log: str | None = None
    seconds: float | None = None
    updated_at: str | None = None
    pid: int | None = Field(default=None, description="The process of the run that wrote it.")
    host: str | None = Field(default=None, description="The host of that process.")
