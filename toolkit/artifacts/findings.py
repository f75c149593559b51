"""The finding model shared by ``infra scan``, ``infra gate`` and the report.

A finding is one check evaluated on one resource of one region: its id, title,
severity (from ``policy/severity.yaml``: checkov reports none offline), where it
is (resource address, file, line), its status (passed / failed / waived) and the
waiver that applied. ``findings.json`` (contracts.md) holds a list of them per
region.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from toolkit.errors import UserError

SCHEMA_VERSION = 1
SEVERITIES: tuple[str, ...] = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO")
Status = Literal["passed", "failed", "waived"]
Source = Literal["plan", "hcl", "manifest"]

# Not a checkov check: a destroy or replace of a protected resource type in summary.json.
PROTECTED_CHANGE_CHECK = "INFRA_PROTECTED_CHANGE"
PROTECTED_CHANGE_TITLE = "Destroy or replace of a protected resource type"
# Checks whose failure always blocks the gate, whatever the threshold.
RESIDENCY_CHECKS: frozenset[str] = frozenset({"CKV_INFRA_4", "CKV_INFRA_5", "CKV_INFRA_6"})


def severity_rank(severity: str) -> int:
    """0 for CRITICAL ... 4 for INFO; higher rank = less severe."""
    try:
        return SEVERITIES.index(severity.upper())
    except ValueError:
        raise UserError(f"unknown severity {severity!r}: expected one of {', '.join(SEVERITIES)}") from None


def at_or_above(severity: str, threshold: str) -> bool:
    return severity_rank(severity) <= severity_rank(threshold)


@dataclass(frozen=True)
class WaiverRef:
    id: str
    reason: str
    owner: str
    expires: str  # ISO date

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class Finding:
    check_id: str
    title: str
    severity: str
    environment: str
    region: str
    resource: str
    file: str | None
    line: int | None
    status: Status
    source: Source
    waiver: WaiverRef | None = None

    @property
    def location(self) -> str:
        if self.file and self.line:
            return f"{self.file}:{self.line}"
        return self.file or ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["waiver"] = self.waiver.to_dict() if self.waiver else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        waiver = data.get("waiver")
        return cls(
            check_id=str(data["check_id"]),
            title=str(data.get("title", "")),
            severity=str(data.get("severity", "MEDIUM")).upper(),
            environment=str(data.get("environment", "")),
            region=str(data.get("region", "")),
            resource=str(data.get("resource", "")),
            file=data.get("file"),
            line=data.get("line"),
            status=data["status"],
            source=data.get("source", "plan"),
            waiver=WaiverRef(**waiver) if isinstance(waiver, dict) else None,
        )


@dataclass
class FindingsDocument:
    environment: str
    region: str
    mode: str | None
    checkov_version: str
    inputs: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "mode": self.mode,
            "environment": self.environment,
            "region": self.region,
            "inputs": dict(sorted(self.inputs.items())),
            "checkov_version": self.checkov_version,
            "findings": [f.to_dict() for f in self.findings],
        }

    @classmethod
    def load(cls, path: Path) -> FindingsDocument:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UserError(f"{path}: cannot read findings ({exc})") from None
        if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
            raise UserError(f"{path}: schema_version: expected {SCHEMA_VERSION}")
        try:
            return cls(
                environment=str(data["environment"]),
                region=str(data["region"]),
                mode=data.get("mode"),
                checkov_version=str(data.get("checkov_version", "")),
                inputs=dict(data.get("inputs") or {}),
                findings=[Finding.from_dict(f) for f in data.get("findings") or []],
            )
        except (KeyError, TypeError) as exc:
            raise UserError(f"{path}: findings: missing or malformed key {exc}") from None


# --------------------------------------------------------------------------- severity map


def _severity(value: str) -> str:
    upper = str(value).upper()
    if upper not in SEVERITIES:
        raise ValueError(f"expected one of {', '.join(SEVERITIES)}, got {value!r}")
    return upper


SeverityStr = Annotated[str, BeforeValidator(_severity)]


class SeverityMap(BaseModel):
    """``policy/severity.yaml``: ``default`` for unknown checks, ``checks: {ID: SEVERITY}``."""

    model_config = ConfigDict(extra="forbid")

    default: SeverityStr = "MEDIUM"
    checks: dict[str, SeverityStr] = {}

    def severity_of(self, check_id: str) -> str:
        return self.checks.get(check_id, self.default)


def one_line_error(path: Path, exc: ValidationError, root: str = "") -> UserError:
    err = exc.errors()[0]
    loc = root + "".join(
        f"[{p}]" if isinstance(p, int) else (f".{p}" if (root or i) else str(p)) for i, p in enumerate(err["loc"])
    )
    msg = str(err["msg"]).removeprefix("Value error, ")
    got = err.get("input")
    detail = f" (got {got!r})" if err["type"] != "missing" and not isinstance(got, (dict, list)) else ""
    more = f" (+{len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return UserError(f"{path}: {loc or '<top>'}: {msg}{detail}{more}")


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as strings, so pydantic validates them with a key path."""


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml_mapping(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise UserError(f"{path}:{where} invalid YAML") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a mapping at the top level")
    return data


def load_severity_map(path: Path, default: str | None = None) -> SeverityMap:
    """Read the severity map; ``default`` (e.g. from ``--default-severity``) overrides the file's."""
    data = load_yaml_mapping(path) if path.is_file() else {}
    try:
        smap = SeverityMap.model_validate(data)
    except ValidationError as exc:
        raise one_line_error(path, exc) from None
    if default is not None:
        smap = smap.model_copy(update={"default": _checked(default)})
    return smap


def _checked(value: str) -> str:
    try:
        return _severity(value)
    except ValueError as exc:
        raise UserError(f"default severity: {exc}") from None
