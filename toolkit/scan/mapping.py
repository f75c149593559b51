"""checkov records of one region -> its findings: location, severity, protected changes, waivers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from toolkit.adapters.checkov import Record
from toolkit.artifacts.findings import PROTECTED_CHANGE_CHECK, PROTECTED_CHANGE_TITLE, Finding, Source
from toolkit.artifacts.layout import PLAN_JSON
from toolkit.artifacts.summary import Summary
from toolkit.policy.severity import SeverityMap
from toolkit.policy.waivers import Waiver, apply_waivers
from toolkit.scan.units import Unit, relative

SOURCES: dict[str, Source] = {"hcl": "hcl", "plan": "plan", "manifests": "manifest"}


def normalise_file(rec: Record, unit: Unit, project_root: Path) -> str:
    """A path relative to the project root (HCL, enriched plan findings) or to the region dir."""
    file_path = str(rec.get("file_path") or "")
    if unit.kind == "plan" and file_path and not file_path.endswith(".json"):
        # Enriched: checkov reports the HCL file relative to the enrichment root (terraform/).
        resolved = (project_root / "terraform" / file_path.lstrip("/")).resolve()
        return relative(resolved, project_root)
    if unit.kind == "hcl":
        return relative(Path(rec["abs_path"]), project_root)
    return ""  # plan/manifest findings point at the input itself (filled per region)


def region_findings(
    env: str,
    region: str,
    region_prefix: str,
    units: Sequence[Unit],
    summary: Summary | None,
    severity: SeverityMap,
    waivers: Sequence[Waiver],
    today: date,
) -> list[Finding]:
    """Findings of one region, waivers applied, failed first.

    ``region_prefix`` is the region directory as findings name it (relative to the project
    root, or ``<artifacts dir name>/ENV/REGION`` for artifacts kept elsewhere).
    """
    findings: list[Finding] = []
    for unit in units:
        for rec in unit.records or []:
            file = rec.get("file_path") or f"{region_prefix}/{rec.get('input', '')}"
            findings.append(
                Finding(
                    check_id=str(rec["check_id"]),
                    title=str(rec["title"]),
                    severity=severity.severity_of(str(rec["check_id"])),
                    environment=env,
                    region=region,
                    resource=str(rec["resource"]),
                    file=file,
                    line=rec.get("line") if unit.kind != "plan" or rec.get("file_path") else None,
                    status="failed" if rec["status"] == "failed" else "passed",
                    source=SOURCES[unit.kind],
                )
            )
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
    return findings
