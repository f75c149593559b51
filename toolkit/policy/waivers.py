"""Waivers: reviewed, expiring exceptions to policy findings (``policy/waivers.yaml``).

```yaml
waivers:
  - id: W-001
    check_id: CKV_INFRA_14            # exact id or a glob (CKV_AWS_*)
    resource: 'module.kms.aws_kms_key.this["*"]'   # glob over the resource address
    environments: [dev]               # optional; empty = all
    regions: [us-east]                # optional; empty = all
    reason: short deletion window while the key layout settles
    owner: "@platform-team"           # an e-mail address or @team
    created: 2026-12-03               # expires at most waiver_rules.max_lifetime_days later
    expires: 2027-01-31
    file: modules/kms/*               # optional glob over the finding's file
```

Address globs: ``*`` matches any run of characters (dots and brackets included),
``?`` one character; everything else is literal, so ``this["logs"]`` needs no
escaping. Waivers match plan findings by full address (module path included),
HCL findings by their address inside the module (``*aws_kms_key.this*`` matches
both) and manifest findings by ``Kind.namespace.name``.

A waiver past its ``expires`` date no longer waives: the finding stays failed and
names the expired waiver. A waiver that matched no failed finding (nor inline skip) is stale.

An inline ``#checkov:skip`` is a waiver too: its :class:`InlineSkip` must match a live waiver
(:func:`waive_skips`), else the gate fails. The rules every waiver must follow (a named owner,
a bounded lifetime from ``created``, no wildcards in strict environments) are in
``policy/policy.yaml`` (``waiver_rules``), checked by :func:`rule_violations`.

Findings are judged again when the gate and the report read them (:func:`effective_status`,
one rule for both): a finding the scan waived counts as failed once its waiver has expired
or is no longer in ``policy/waivers.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from toolkit.artifacts.findings import Finding, InlineSkip, Result, WaiverRef
from toolkit.policy.files import read_policy_file
from toolkit.policy.settings import WaiverRules

ExpiryState = Literal["in_force", "expires_soon", "expired"]


class Waiver(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    check_id: str = Field(min_length=1)
    resource: str = Field(min_length=1)
    environments: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    reason: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    created: date | None = None
    expires: date
    file: str | None = Field(None, min_length=1, description="Optional glob over the finding's file.")

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

    def matches(self, finding: Finding | InlineSkip) -> bool:
        # By the finding's own id: a waiver of a built-in never waives our check it was merged with.
        # An inline skip is a comment in a module: it matches by its address inside the module too
        # (the skip of `aws_secretsmanager_secret.this` also shows on each planned instance).
        resources = {finding.resource}
        if isinstance(finding, InlineSkip):
            resources.add(local_address(finding.resource))
        return (
            self.applies_to(finding.environment, finding.region)
            and glob_match(self.check_id, finding.check_id)
            and any(glob_match(self.resource, r) for r in resources)
            and (self.file is None or glob_match(self.file, finding.file or ""))
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


_MODULE_PATH = re.compile(r"^(?:module\.[^.\[]+(?:\[[^\]]*\])?\.)+")
_INSTANCE_KEY = re.compile(r"\[[^\]]*\]$")


def local_address(address: str) -> str:
    """A planned address as HCL findings name it: ``module.secrets.aws_x.this["k"]`` -> ``aws_x.this``,
    ``module.kms.data.aws_y.key`` -> ``aws_y.key``."""
    local = _INSTANCE_KEY.sub("", _MODULE_PATH.sub("", address))
    return local.removeprefix("data.")


def glob_match(pattern: str, value: str) -> bool:
    return _pattern(pattern).fullmatch(value) is not None


def load_waivers(path: Path) -> list[Waiver]:
    """The waivers of ``path``; a missing file means no waivers."""
    return read_policy_file(path, WaiverFile).waivers


def declared_waivers(path: Path) -> dict[str, Waiver] | None:
    """The waivers of ``path`` by id; None when there is no such file (then a finding's
    recorded waiver is judged by its recorded expiry alone)."""
    return {w.id: w for w in load_waivers(path)} if path.is_file() else None


def apply_waivers(findings: Iterable[Finding], waivers: Sequence[Waiver], today: date) -> list[Finding]:
    """Failed findings matched by a live waiver become ``waived``; by an expired one, stay failed
    and carry the expired waiver (the gate names it)."""
    out: list[Finding] = []
    for finding in findings:
        if finding.status == "failed":
            live = next((w for w in waivers if w.matches(finding) and not w.is_expired(today)), None)
            expired = next((w for w in waivers if w.matches(finding) and w.is_expired(today)), None)
            if live is not None:
                finding = finding.model_copy(update={"status": "waived", "waiver": live.ref()})
            elif expired is not None:
                finding = finding.model_copy(update={"waiver": expired.ref()})
        out.append(finding)
    return out


def waive_skips(skips: Iterable[InlineSkip], waivers: Sequence[Waiver], today: date) -> list[InlineSkip]:
    """Inline skips with the waiver that covers them: a live one, else an expired one (the gate
    names it); none when no waiver matches."""
    out: list[InlineSkip] = []
    for skip in skips:
        live = next((w for w in waivers if w.matches(skip) and not w.is_expired(today)), None)
        chosen = live or next((w for w in waivers if w.matches(skip)), None)
        out.append(skip.model_copy(update={"waiver": chosen.ref() if chosen else None}))
    return out


def skip_is_waived(skip: InlineSkip, declared: Mapping[str, Waiver] | None, today: date) -> bool:
    """Whether an inline skip is covered today: its recorded waiver still in force (judged as
    :func:`in_force_until`), or, with ``declared``, any live waiver of the file that matches it."""
    if skip.waiver is not None:
        until = in_force_until(skip.waiver, declared)
        if until is not None and until >= today:
            return True
    return declared is not None and any(w.matches(skip) and not w.is_expired(today) for w in declared.values())


def in_force_until(ref: WaiverRef, declared: Mapping[str, Waiver] | None) -> date | None:
    """The expiry that counts today for a waiver a finding names: the one in ``declared`` (the
    current ``policy/waivers.yaml``), None if the file no longer has it; without a file
    (``declared`` is None), the expiry the scan recorded."""
    if declared is None:
        return ref.expires_on
    current = declared.get(ref.id)
    return current.expires if current is not None else None


def effective_status(finding: Finding, declared: Mapping[str, Waiver] | None, today: date) -> Result:
    """How a stored finding stands today: the gate and the report judge with this one rule.

    Artifacts may come from another machine or an older run. A finding stored as waived
    stays waived only while its waiver is in force (:func:`in_force_until`); otherwise it
    counts as failed (it keeps its waiver reference, so a reason can name the waiver).
    """
    if finding.status != "waived":
        return finding.status
    until = in_force_until(finding.waiver, declared) if finding.waiver is not None else None
    return "waived" if until is not None and until >= today else "failed"


def recheck_waivers(findings: Iterable[Finding], declared: Mapping[str, Waiver] | None, today: date) -> list[Finding]:
    """``findings`` with the status :func:`effective_status` gives them today."""
    out: list[Finding] = []
    for f in findings:
        status = effective_status(f, declared, today)
        out.append(f if status == f.status else f.model_copy(update={"status": status}))
    return out


def stale_waivers(
    waivers: Sequence[Waiver], findings: Iterable[Finding | InlineSkip], environment: str, regions: Iterable[str]
) -> list[Waiver]:
    """Waivers for this environment (and a scanned region) that matched no failed finding."""
    used = {f.waiver.id for f in findings if f.waiver is not None}
    region_set = set(regions)
    return [
        w
        for w in waivers
        if w.id not in used
        and (not w.environments or environment in w.environments)
        and (not w.regions or bool(region_set & set(w.regions)))
    ]


def expiry_state(expires: date | None, today: date, within_days: int) -> ExpiryState:
    """``expired`` (also for no date), ``expires_soon`` (within ``within_days`` days) or ``in_force``."""
    if expires is None or expires < today:
        return "expired"
    if (expires - today).days <= within_days:
        return "expires_soon"
    return "in_force"


def expiring_waivers(waivers: Sequence[Waiver], today: date, within_days: int) -> list[Waiver]:
    """Live waivers that expire within ``within_days`` days (``policy.yaml: expiring_within_days``)."""
    return [w for w in waivers if expiry_state(w.expires, today, within_days) == "expires_soon"]


# --- rules (policy.yaml: waiver_rules) -----------------------------------------------------------

_GLOB = re.compile(r"[*?]")
_BRACKETS = re.compile(r"\[[^\]]*\]")


def _broad_resource(pattern: str) -> bool:
    """A glob outside index brackets: ``*``, ``module.kms.*``; ``this["*"]`` is not broad."""
    return bool(_GLOB.search(_BRACKETS.sub("", pattern)))


def _placeholder(owner: str, rules: WaiverRules) -> bool:
    norm = owner.strip().lower()
    return norm in rules.placeholder_owners or norm.lstrip("@") in rules.placeholder_owners


@dataclass(frozen=True)
class RuleViolation:
    waiver: str
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.waiver} breaks {self.rule} ({self.detail})"


def rule_violations(
    waivers: Sequence[Waiver],
    rules: WaiverRules,
    strict_environments: Sequence[str],
    today: date,
    base: Mapping[str, Waiver] | None = None,
) -> list[RuleViolation]:
    """Every rule of ``policy.yaml: waiver_rules`` that a waiver breaks. ``base``: the waivers of
    the base (their ``created`` dates may not change)."""
    out: list[RuleViolation] = []
    strict = set(strict_environments)
    for w in waivers:
        def bad(rule: str, detail: str, w: Waiver = w) -> None:
            out.append(RuleViolation(w.id, rule, detail))

        if _placeholder(w.owner, rules) or not re.fullmatch(rules.owner_pattern, w.owner.strip()):
            bad("owner", f"owner {w.owner!r} is not an e-mail address or @team")
        if w.created is None:
            bad("created", "no created date: the lifetime cannot be checked")
        else:
            if w.created > today:
                bad("created", f"created {w.created.isoformat()} is in the future")
            lifetime = (w.expires - w.created).days
            if lifetime > rules.max_lifetime_days:
                bad("max_lifetime_days", f"{lifetime} days from created {w.created.isoformat()} to expires "
                    f"{w.expires.isoformat()}, at most {rules.max_lifetime_days}")
            before = base.get(w.id) if base is not None else None
            if before is not None and before.created is not None and before.created != w.created:
                bad("created", f"created moved from {before.created.isoformat()} to {w.created.isoformat()}")
        in_strict = not w.environments or bool(strict & set(w.environments))
        if in_strict and not rules.wildcards_in_strict:
            if _GLOB.search(w.check_id):
                bad("wildcards_in_strict", f"check_id {w.check_id!r} is a glob in a strict environment")
            if _broad_resource(w.resource):
                bad("wildcards_in_strict", f"resource {w.resource!r} is a glob in a strict environment")
    return out


# --- changes against the base ----------------------------------------------------------------------

ChangeKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class WaiverChange:
    kind: ChangeKind
    waiver: Waiver
    fields: tuple[str, ...] = ()  # changed: the fields that differ


def waiver_changes(base: Mapping[str, Waiver], current: Mapping[str, Waiver]) -> list[WaiverChange]:
    """What a change does to ``policy/waivers.yaml``: waivers added, removed, changed (by id)."""
    out: list[WaiverChange] = []
    for wid in sorted(set(base) | set(current)):
        if wid not in base:
            out.append(WaiverChange("added", current[wid]))
        elif wid not in current:
            out.append(WaiverChange("removed", base[wid]))
        else:
            old, new = base[wid].model_dump(), current[wid].model_dump()
            fields = tuple(k for k in new if old.get(k) != new.get(k))
            if fields:
                out.append(WaiverChange("changed", current[wid], fields))
    return out

