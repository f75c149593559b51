"""Waivers: reviewed, expiring exceptions to policy findings (``policy/waivers.yaml``).

```yaml
waivers:
  - id: W-001
    check_id: CKV_INFRA_14            # exact id or a glob (CKV_AWS_*)
    resource: 'module.kms.aws_kms_key.this["*"]'   # glob over the resource address
    environments: [dev]               # optional; empty = all
    regions: [us-east]                # optional; empty = all
    reason: short deletion window while the key layout settles
    owner: platform-team
    expires: 2027-01-31
```

Address globs: ``*`` matches any run of characters (dots and brackets included),
``?`` one character; everything else is literal, so ``this["logs"]`` needs no
escaping. Waivers match plan findings by full address (module path included),
HCL findings by their address inside the module (``*aws_kms_key.this*`` matches
both) and manifest findings by ``Kind.namespace.name``.

A waiver past its ``expires`` date no longer waives: the finding stays failed and
names the expired waiver. A waiver that matched no failed finding is stale.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from toolkit.artifacts.findings import Finding, WaiverRef, load_yaml_mapping, one_line_error


class Waiver(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    check_id: str = Field(min_length=1)
    resource: str = Field(min_length=1)
    environments: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    reason: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    expires: date

    @field_validator("reason", "owner")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    def ref(self) -> WaiverRef:
        return WaiverRef(id=self.id, reason=self.reason, owner=self.owner, expires=self.expires.isoformat())

    def is_expired(self, today: date) -> bool:
        return self.expires < today

    def applies_to(self, environment: str, region: str) -> bool:
        return (not self.environments or environment in self.environments) and (
            not self.regions or region in self.regions
        )

    def matches(self, finding: Finding) -> bool:
        return (
            self.applies_to(finding.environment, finding.region)
            and glob_match(self.check_id, finding.check_id)
            and glob_match(self.resource, finding.resource)
        )


class WaiverFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    waivers: list[Waiver] = []

    @model_validator(mode="after")
    def _unique_ids(self) -> WaiverFile:
        seen: set[str] = set()
        for w in self.waivers:
            if w.id in seen:
                raise ValueError(f"duplicate waiver id {w.id!r}")
            seen.add(w.id)
        return self


@lru_cache(maxsize=256)
def _pattern(glob: str) -> re.Pattern[str]:
    parts = []
    for ch in glob:
        parts.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
    return re.compile("".join(parts), re.DOTALL)


def glob_match(pattern: str, value: str) -> bool:
    return _pattern(pattern).fullmatch(value) is not None


def load_waivers(path: Path) -> list[Waiver]:
    """The waivers of ``path``; a missing file means no waivers."""
    if not path.is_file():
        return []
    data = load_yaml_mapping(path)
    try:
        return WaiverFile.model_validate(data).waivers
    except ValidationError as exc:
        raise one_line_error(path, exc) from None


def apply_waivers(findings: Iterable[Finding], waivers: Sequence[Waiver], today: date) -> list[Finding]:
    """Failed findings matched by a live waiver become ``waived``; by an expired one, stay failed
    and carry the expired waiver (the gate names it)."""
    out: list[Finding] = []
    for finding in findings:
        if finding.status == "failed":
            live = next((w for w in waivers if w.matches(finding) and not w.is_expired(today)), None)
            expired = next((w for w in waivers if w.matches(finding) and w.is_expired(today)), None)
            if live is not None:
                finding = replace(finding, status="waived", waiver=live.ref())
            elif expired is not None:
                finding = replace(finding, waiver=expired.ref())
        out.append(finding)
    return out


def used_waiver_ids(findings: Iterable[Finding]) -> set[str]:
    return {f.waiver.id for f in findings if f.waiver is not None}


def stale_waivers(
    waivers: Sequence[Waiver], findings: Iterable[Finding], environment: str, regions: Iterable[str]
) -> list[Waiver]:
    """Waivers for this environment (and a scanned region) that matched no failed finding."""
    used = used_waiver_ids(findings)
    region_set = set(regions)
    return [
        w
        for w in waivers
        if w.id not in used
        and (not w.environments or environment in w.environments)
        and (not w.regions or bool(region_set & set(w.regions)))
    ]


def expiring_waivers(waivers: Sequence[Waiver], today: date, within_days: int = 30) -> list[Waiver]:
    """Live waivers that expire within ``within_days`` days."""
    horizon = today + timedelta(days=within_days)
    return [w for w in waivers if today <= w.expires <= horizon]


def expired_waivers(waivers: Sequence[Waiver], today: date) -> list[Waiver]:
    return [w for w in waivers if w.is_expired(today)]
