"""Terraform files of the region directory that the toolkit reads but does not own the shape of.

``terraform.tfvars.json`` is the stack's input (written by render): only the keys the
policy context and the report read are modelled, the rest is the stack's business.
``plan.json`` is ``terraform show -json`` output, kept as it is. ``plan.sha256`` is the
digest of the binary plan file, in ``sha256sum`` format.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, RootModel, field_validator

from toolkit.artifacts.io import Refused, read_text, write_text
from toolkit.errors import UserError

_HEX64 = re.compile(r"[0-9a-f]{64}")


class KarpenterVars(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    min_on_demand_share: float | None = None


class TfVars(BaseModel):
    """The keys of ``terraform.tfvars.json`` that the policy context and the report read."""

    model_config = ConfigDict(extra="allow", frozen=True)
    what: ClassVar[str] = "the Terraform variables of `infra render`"
    written_by: ClassVar[str] = "infra plan"

    environment: str | None = None
    region: str | None = None  # the AWS region
    region_key: str | None = None
    residency_zone: str | None = None
    zone_regions: list[str] | None = None
    account_id: str | None = None
    tags: dict[str, str] = {}
    karpenter: KarpenterVars | None = None


class TerraformPlan(RootModel[dict[str, Any]]):
    """``plan.json``: a ``terraform show -json`` document, as Terraform wrote it."""

    what: ClassVar[str] = "`terraform show -json` output"
    written_by: ClassVar[str] = "infra plan"

    @field_validator("root")
    @classmethod
    def _is_a_plan(cls, value: dict[str, Any]) -> dict[str, Any]:
        if "format_version" not in value:
            raise ValueError("not a terraform plan (no format_version)")
        return value


def read_plan_sha256(path: Path) -> str:
    """The hex digest ``plan.sha256`` records (``sha256sum`` format: ``<hex>  tfplan``)."""
    try:
        text = read_text(path).strip()
    except FileNotFoundError:
        raise UserError(f"{path}: file not found (run `infra plan` first)") from None
    except Refused as exc:
        raise UserError(f"{path}: cannot read (refused: {exc.why}); expected the sha256 of tfplan") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read ({exc}); expected the sha256 of tfplan") from None
    digest = text.split()[0].lower() if text else ""
    if not _HEX64.fullmatch(digest):
        raise UserError(f"{path}: expected a 64-character hex sha256, got {text[:80]!r}")
    return digest


def write_plan_sha256(path: Path, digest: str, *, root: Path | None = None) -> None:
    write_text(path, f"{digest}  tfplan\n", root=root)
