"""Reading the per-region artifacts the report is built from.

The formats are those of docs/contracts.md (``summary.json``, ``findings.json``,
``plan.sha256``). Extra keys are tolerated, so a newer pipeline does not break an older
report; missing or mistyped keys are ``UserError``s naming the file and the key path.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from toolkit.errors import UserError

M = TypeVar("M", bound=BaseModel)


class _Input(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Change(_Input):
    address: str
    type: str
    action: str


class ProviderInfo(_Input):
    source: str
    version: str | None = None
    schema_path: str | None = None
    schema_sha256: str | None = None


class PlanSummary(_Input):
    schema_version: int
    mode: Literal["sandbox", "cloud"]
    environment: str
    region: str
    aws_region: str
    counts: dict[str, int]
    changes: list[Change]
    protected_changes: list[Change] = Field(default_factory=list)
    by_type: dict[str, dict[str, int]] = Field(default_factory=dict)
    terraform_version: str | None = None
    provider: ProviderInfo
    plan_sha256: str
    generated_at: str
    inputs_sha256: dict[str, str] = Field(default_factory=dict)


class FindingWaiver(_Input):
    id: str
    reason: str
    owner: str
    expires: str


class Finding(_Input):
    check_id: str
    title: str
    severity: str
    environment: str
    region: str
    resource: str
    file: str | None = None
    line: int | None = None
    status: Literal["passed", "failed", "waived"]
    source: str
    waiver: FindingWaiver | None = None


class ScanFindings(_Input):
    schema_version: int
    mode: Literal["sandbox", "cloud"] | None = None
    environment: str
    region: str
    inputs: dict[str, str] = Field(default_factory=dict)
    checkov_version: str
    findings: list[Finding]


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out or "(top level)"


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: file not found") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path}: not valid JSON ({exc})") from None


def load_model(path: Path, model: type[M], hint: str) -> M:
    """Read ``path`` as ``model``; a missing file names the command that writes it."""
    if not path.is_file():
        raise UserError(f"{path}: file not found ({hint})")
    data = read_json(path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise UserError(f"{path}: {_loc(tuple(err['loc']))}: {err['msg']}{more}") from None


def read_plan_sha256(path: Path) -> str:
    if not path.is_file():
        raise UserError(f"{path}: file not found (run `infra plan` first)")
    text = path.read_text(encoding="utf-8").strip()
    # Tolerate the `sha256sum` format "<hex>  tfplan".
    digest = text.split()[0].lower() if text else ""
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise UserError(f"{path}: expected a 64-character hex sha256, got {text[:80]!r}")
    return digest


def sensitive_values(plan: Any) -> set[str]:
    """Every string Terraform marks as sensitive in a ``terraform show -json`` plan.

    Used to redact: any of these strings that reaches the report (a tag, a waiver
    reason, an address) is replaced by ``(sensitive)``. Short strings (< 4 characters)
    are ignored, since redacting "true" or "1" everywhere would garble the report.
    """
    found: set[str] = set()

    def leaves(value: Any) -> None:
        if isinstance(value, str):
            if len(value) >= 4:
                found.add(value)
        elif isinstance(value, dict):
            for v in value.values():
                leaves(v)
        elif isinstance(value, list):
            for v in value:
                leaves(v)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            text = str(value)
            if len(text) >= 6:
                found.add(text)

    def masked(value: Any, mask: Any) -> None:
        if mask is True:
            leaves(value)
        elif isinstance(mask, dict) and isinstance(value, dict):
            for k, m in mask.items():
                if k in value:
                    masked(value[k], m)
        elif isinstance(mask, list) and isinstance(value, list):
            for v, m in zip(value, mask, strict=False):
                masked(v, m)

    if not isinstance(plan, dict):
        return found
    for rc in plan.get("resource_changes") or []:
        change = rc.get("change") or {}
        masked(change.get("before"), change.get("before_sensitive"))
        masked(change.get("after"), change.get("after_sensitive"))

    def walk_module(module: Any) -> None:
        if not isinstance(module, dict):
            return
        for res in module.get("resources") or []:
            masked(res.get("values"), res.get("sensitive_values"))
        for child in module.get("child_modules") or []:
            walk_module(child)

    for section in ("planned_values", "prior_state"):
        values = plan.get(section) or {}
        if section == "prior_state":
            values = values.get("values") or {}
        walk_module(values.get("root_module"))
        for out in (values.get("outputs") or {}).values():
            if isinstance(out, dict) and out.get("sensitive"):
                leaves(out.get("value"))
    for out in (plan.get("output_changes") or {}).values():
        if isinstance(out, dict):
            masked(out.get("after"), out.get("after_sensitive"))
            masked(out.get("before"), out.get("before_sensitive"))
    config_vars = ((plan.get("configuration") or {}).get("root_module") or {}).get("variables") or {}
    for name, var in (plan.get("variables") or {}).items():
        if isinstance(config_vars.get(name), dict) and config_vars[name].get("sensitive"):
            leaves((var or {}).get("value"))
    return found
