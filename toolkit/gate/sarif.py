"""SARIF 2.1.0 for code scanning (GitHub ``upload-sarif``, GitLab, Azure DevOps)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from toolkit.artifacts.findings import Finding, InlineSkip, severity_rank

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_VERSION = "2.1.0"
# GitHub reads properties.security-severity (0.0-10.0) to rank code scanning alerts.
SECURITY_SEVERITY = {"CRITICAL": "9.5", "HIGH": "8.0", "MEDIUM": "5.5", "LOW": "3.0", "INFO": "1.0"}


def level_of(severity: str) -> str:
    rank = severity_rank(severity)
    return "error" if rank <= 1 else "warning" if rank == 2 else "note"


def _fingerprint(f: Finding | InlineSkip) -> str:
    key = "\0".join([f.check_id, f.environment, f.region if f.source != "hcl" else "", f.resource, f.file or ""])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def to_sarif(findings: Iterable[Finding], *, tool_version: str, checkov_version: str,
             skips: Iterable[tuple[InlineSkip, bool]] = ()) -> dict[str, Any]:
    """Failed and waived findings as one SARIF run; HCL findings repeated per region appear once,
    waived ones carry an accepted external suppression, merged duplicates name the other ids
    (``properties.also``). ``skips``: inline skips with whether a live waiver covers them (an
    accepted in-source suppression; without a waiver no suppression, so the alert shows)."""
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    seen: set[str] = set()
    items: list[tuple[Finding | InlineSkip, bool]] = [(f, False) for f in findings]
    items += list(skips)
    for f, waived_skip in items:
        if f.status == "passed":
            continue
        fp = _fingerprint(f)
        if fp in seen:
            continue
        seen.add(fp)
        if f.check_id not in rules:
            rules[f.check_id] = {
                "id": f.check_id,
                "name": f.check_id.replace("_", ""),
                "shortDescription": {"text": f.title or f.check_id},
                "fullDescription": {"text": f.title or f.check_id},
                "defaultConfiguration": {"level": level_of(f.severity)},
                "properties": {
                    "security-severity": SECURITY_SEVERITY[f.severity],
                    "severity": f.severity,
                    "tags": ["security", "iac"],
                },
            }
        location: dict[str, Any] = {"artifactLocation": {"uri": f.file or "plan.json", "uriBaseId": "%SRCROOT%"}}
        if f.line:
            location["region"] = {"startLine": int(f.line)}
        where = "all regions (HCL)" if f.source == "hcl" else f"{f.environment}/{f.region}"
        also = f.also if isinstance(f, Finding) else ()
        ids = " = ".join((f.check_id, *also))
        result: dict[str, Any] = {
            "ruleId": f.check_id,
            "ruleIndex": list(rules).index(f.check_id),
            "level": level_of(f.severity),
            "message": {"text": f"{f.title or f.check_id}: {f.resource} ({where}, {f.severity}"
                        + (f", {ids}" if also else "") + (", inline #checkov:skip" if isinstance(f, InlineSkip) else "")
                        + ")"},
            "locations": [
                {
                    "physicalLocation": location,
                    "logicalLocations": [{"fullyQualifiedName": f.resource, "kind": "resource"}],
                }
            ],
            "partialFingerprints": {"infraFinding/v1": fp},
            "properties": {
                "environment": f.environment,
                "region": f.region,
                "resource": f.resource,
                "severity": f.severity,
                "source": f.source,
                **({"also": list(also)} if also else {}),
            },
        }
        if isinstance(f, InlineSkip):
            result["properties"]["inline_skip_reason"] = f.reason
            if waived_skip and f.waiver is not None:
                result["suppressions"] = [{
                    "kind": "inSource", "status": "accepted",
                    "justification": (f"#checkov:skip: {f.reason}; waiver {f.waiver.id} (owner {f.waiver.owner}, "
                                      f"expires {f.waiver.expires})"),
                }]
        elif f.status == "waived" and f.waiver is not None:
            result["suppressions"] = [
                {
                    "kind": "external",
                    "status": "accepted",
                    "justification": (
                        f"{f.waiver.id}: {f.waiver.reason} (owner {f.waiver.owner}, expires {f.waiver.expires})"
                    ),
                }
            ]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "infra-policy",
                        "semanticVersion": tool_version,
                        "informationUri": "https://www.checkov.io/",
                        "rules": list(rules.values()),
                        "properties": {"checkov_version": checkov_version},
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "repository root"}}},
                "results": results,
            }
        ],
    }
