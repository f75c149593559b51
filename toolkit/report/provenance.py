"""Provenance of the report: git, hashes of every artifact and input, and whether they tie together."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Literal

from toolkit.artifacts.io import read_artifact_if_present
from toolkit.artifacts.layout import HASHED_FILES
from toolkit.artifacts.summary import Status
from toolkit.fsutil import sha256_file
from toolkit.report.inputs import RegionInputs
from toolkit.report.models import GitInfo, HashedFile, Issue, RegionProvenance


def rel(path: Path, *bases: Path) -> str:
    """``path`` relative to the first base that contains it (reports never hold absolute paths)."""
    for base in bases:
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return path.name


def git_info(project_root: Path) -> GitInfo:
    """HEAD commit and dirty flag; both null when git or the repository is missing."""

    def git(*args: str) -> str | None:
        try:
            proc = subprocess.run(
                ["git", "-C", str(project_root), *args],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return proc.stdout if proc.returncode == 0 else None

    commit = git("rev-parse", "--verify", "HEAD")
    if commit is None:
        return GitInfo(commit=None, dirty=None)
    status = git("status", "--porcelain")
    return GitInfo(commit=commit.strip(), dirty=None if status is None else bool(status.strip()))


def hashed(path: Path, *bases: Path) -> HashedFile:
    return HashedFile(path=rel(path, *bases), sha256=sha256_file(path), verified="recorded")


def _verify_inputs(ri: RegionInputs, recorded_inputs: dict[str, str], stage: str, root: Path,
                   issues: list[Issue]) -> list[HashedFile]:
    """Compare the hashes a stage recorded with the files found now (project root or region dir)."""
    out: list[HashedFile] = []
    for name, recorded in sorted(recorded_inputs.items()):
        candidates = [root / name, ri.directory / name]
        found = next((p for p in candidates if p.is_file()), None)
        verified: Literal["match", "mismatch", "missing"]
        if found is None:
            verified = "missing"
        elif sha256_file(found) == recorded.lower():
            verified = "match"
        else:
            verified = "mismatch"
            issues.append(Issue(scope=ri.scope, message=f"{stage} input {name} changed after the {stage} "
                                f"(recorded {recorded[:12]}, now {sha256_file(found)[:12]})"))
        out.append(HashedFile(path=name, sha256=recorded, verified=verified))
    return out


def consistency(ri: RegionInputs, issues: list[Issue]) -> None:
    """Issues where the region's artifacts do not tie together."""
    s, f = ri.summary, ri.findings
    if s.plan_sha256.lower() != ri.plan_sha256:
        issues.append(Issue(scope=ri.scope, message="plan.sha256 does not match summary.json plan_sha256"))
    tfplan = ri.layout.tfplan
    if tfplan.is_file() and sha256_file(tfplan) != ri.plan_sha256:
        issues.append(Issue(scope=ri.scope, message="tfplan does not match plan.sha256"))
    for name, (env, region) in (("summary.json", (s.environment, s.region)),
                                ("findings.json", (f.environment, f.region))):
        if (env, region) != (ri.environment, ri.region):
            issues.append(Issue(scope=ri.scope, message=f"{name} is for {env}/{region}, "
                                f"found in the directory of {ri.scope}"))
    if f.mode is not None and s.mode != f.mode:
        issues.append(Issue(scope=ri.scope, message=f"plan ran in {s.mode} mode but the scan in {f.mode} mode"))
    status = read_artifact_if_present(ri.layout.status, Status)
    if status is not None and status.status != "ok":
        issues.append(Issue(scope=ri.scope, message=f"last run failed at stage "
                            f"{status.stage!r}: the artifacts may be stale"))


def region_provenance(ri: RegionInputs, root: Path, artifacts_dir: Path, issues: list[Issue]) -> RegionProvenance:
    s = ri.summary
    return RegionProvenance(
        environment=ri.environment, region=ri.region, mode=s.mode,
        terraform_version=s.terraform_version,
        checkov_version=ri.findings.checkov_version,
        provider_source=s.provider.source,
        provider_version=s.provider.version,
        provider_schema_sha256=s.provider.schema_sha256,
        plan_sha256=ri.plan_sha256, plan_generated_at=s.generated_at,
        artifacts=[hashed(ri.layout / n, root, artifacts_dir.parent)
                   for n in HASHED_FILES if (ri.layout / n).is_file()],
        plan_inputs=_verify_inputs(ri, s.inputs_sha256, "plan", root, issues),
        scan_inputs=_verify_inputs(ri, ri.findings.inputs, "scan", root, issues),
    )
