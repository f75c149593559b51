"""checkov records of one region -> its findings: location, severity, protected changes, drift,
inline skips, waivers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from toolkit.adapters.checkov import SECRETS, Record
from toolkit.artifacts.findings import (
    MANIFEST_DRIFT_CHECK,
    PROTECTED_CHANGE_CHECK,
    PROTECTED_CHANGE_TITLE,
    Finding,
    InlineSkip,
    Source,
)
from toolkit.artifacts.layout import PLAN_JSON
from toolkit.artifacts.summary import Summary
from toolkit.policy.severity import SeverityMap
from toolkit.policy.waivers import Waiver, apply_waivers, waive_skips
from toolkit.scan.karpenter import RESOURCE_PREFIX, Drift
from toolkit.scan.units import Unit, relative

SOURCES: dict[str, Source] = {"hcl": "hcl", "repo": "repo", "plan": "plan", "manifests": "manifest", "module": "plan"}
MANIFEST_DRIFT_TITLE = "Karpenter objects of the plan (module.karpenter) equal the rendered manifests"


def normalise_file(rec: Record, unit: Unit, project_root: Path) -> str:
    """A path relative to the project root (HCL, enriched plan findings) or to the region dir."""
    file_path = str(rec.get("file_path") or "")
    if unit.kind == "plan" and file_path and not file_path.endswith(".json"):
        # Enriched: checkov reports the HCL file relative to the enrichment root (terraform/).
        resolved = (project_root / "terraform" / file_path.lstrip("/")).resolve()
        return relative(resolved, project_root)
    if unit.kind in ("hcl", "repo"):
        return relative(Path(rec["abs_path"]), project_root)
    return ""  # plan/manifest findings point at the input itself (filled per region)


def _wanted(rec: Record, unit: Unit) -> bool:
    # The plan holds the values of inputs that are scanned themselves (HCL, tfvars); its own
    # strings (ids, aliases) read as high-entropy "secrets" to checkov.
    return not (rec.get("check_type") == SECRETS and unit.kind in ("plan", "module"))


def drift_findings(env: str, region: str, region_prefix: str, drifts: Sequence[Drift],
                   severity: SeverityMap) -> list[Finding]:
    """One failed ``INFRA_MANIFEST_DRIFT`` finding per differing object."""
    return [
        Finding(
            check_id=MANIFEST_DRIFT_CHECK,
            title=(f"{MANIFEST_DRIFT_TITLE}: {d.kind} {d.name} differs"
                   + (f" at {d.field}" if d.field else "") + f" ({d.detail})"),
            severity=severity.checks.get(MANIFEST_DRIFT_CHECK, "CRITICAL"),
            environment=env,
            region=region,
            resource=d.resource,
            file=f"{region_prefix}/{PLAN_JSON}",
            status="failed",
            source="plan",
        )
        for d in drifts
    ]


def region_findings(
    env: str,
    region: str,
    region_prefix: str,
    units: Sequence[Unit],
    summary: Summary | None,
    severity: SeverityMap,
    waivers: Sequence[Waiver],
    today: date,
    extra: Sequence[Finding] = (),
    module_sources: Mapping[str, tuple[str, int | None]] | None = None,
) -> tuple[list[Finding], list[InlineSkip]]:
    """Findings of one region, waivers applied, failed first; and its inline skips, each with the
    waiver that covers it (if any).

    ``region_prefix`` is the region directory as findings name it (relative to the project
    root, or ``<artifacts dir name>/ENV/REGION`` for artifacts kept elsewhere). ``extra``:
    findings made by the scan itself (manifest drift). ``module_sources``: kind -> (file, line)
    where ``modules/karpenter`` builds the plan's Karpenter objects (findings on them point there).
    """
    module_sources = module_sources or {}
    findings: list[Finding] = list(extra)
    skipped: list[InlineSkip] = []
    for unit in units:
        for rec in unit.records or []:
            if not _wanted(rec, unit):
                continue
            file = rec.get("file_path") or f"{region_prefix}/{rec.get('input', '')}"
            resource = str(rec["resource"])
            line = rec.get("line") if unit.kind != "plan" or rec.get("file_path") else None
            if unit.kind == "module":  # the plan's Karpenter objects, written out by the scan
                kind = resource.split(".", 1)[0]
                file, line = module_sources.get(kind, (f"{region_prefix}/{PLAN_JSON}", None))
                resource = RESOURCE_PREFIX + resource
            common: dict[str, Any] = {
                "check_id": str(rec["check_id"]),
                "title": str(rec["title"]),
                "severity": severity.severity_of(str(rec["check_id"])),
                "environment": env,
                "region": region,
                "resource": resource,
                "file": file,
                "line": line,
                "source": SOURCES[unit.kind],
            }
            if rec["status"] == "skipped":
                skipped.append(InlineSkip(**common, reason=str(rec.get("skip_reason") or "")))
            else:
                findings.append(Finding(**common, status="failed" if rec["status"] == "failed" else "passed"))
    for change in summary.protected_changes if summary else []:
        findings.append(
            Finding(
                check_id=PROTECTED_CHANGE_CHECK,
                title=f"{PROTECTED_CHANGE_TITLE} ({change.action} {change.type})",
                severity=severity.checks.get(PROTECTED_CHANGE_CHECK, "CRITICAL"),
                environment=env,
                region=region,
                resource=change.address,
                file=f"{region_prefix}/{PLAN_JSON}",
                line=None,
                status="failed",
                source="plan",
            )
        )
    findings = apply_waivers(findings, waivers, today)
    findings.sort(key=lambda f: (f.status != "failed", f.status != "waived", f.source, f.check_id, f.resource))
    skipped = waive_skips(skipped, waivers, today)
    skipped.sort(key=lambda s: (s.source, s.check_id, s.resource, s.file or ""))
    return findings, skipped
