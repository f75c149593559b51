"""The ``ARTIFACTS/ENV/REGION/`` contract: every file a region directory holds, and the gate's outputs.

Plan, scan, gate, report and apply name these files only through this module, so that a
rename is one edit and a reader never guesses what a writer called a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from toolkit.paths import region_dir

# Written by render (inputs of the plan).
TFVARS_JSON = "terraform.tfvars.json"
BACKEND_HCL = "backend.hcl"
MANIFESTS = "manifests"
# Written by plan.
TFPLAN = "tfplan"  # binary, holds cleartext values: mode 0600
PLAN_JSON = "plan.json"  # `terraform show -json`, mode 0600
PLAN_SHA256 = "plan.sha256"  # "<hex>  tfplan"
SUMMARY_JSON = "summary.json"
SUMMARY_MD = "summary.md"
STATUS_JSON = "status.json"
PLAN_LOG = "plan.log"
WORK = "work"  # the staged copy of the root stack: work/terraform, with work/modules beside it
LOCK = ".lock"  # held by the one run using the directory
PRIVATE = ".private"  # mode 0700: where Terraform writes the plan file before it is moved into place
SANDBOX_STATE = "sandbox.tfstate"
SANDBOX_WORLD = "sandbox-world.json"  # out-of-band changes the sandbox provider reads at refresh (drift tests)
BUNDLE = "bundle"  # the plan bundle (toolkit.artifacts.bundle): what apply applies, 0700
# Written by drift.
DRIFT_JSON = "drift.json"
DRIFT_MD = "drift.md"
DRIFT_LOG = "drift.log"
DRIFT_WORK = "drift"  # the refresh-only plan's private inputs and work dir
# Written by scan and apply.
FINDINGS_JSON = "findings.json"
APPLY_LOG = "apply.log"

# What a new plan replaces: none of it may outlive the run (findings.json judged an older plan).
PLAN_OUTPUTS = (TFPLAN, PLAN_JSON, PLAN_SHA256, SUMMARY_JSON, SUMMARY_MD, FINDINGS_JSON)
# A directory holding any of these is a region directory (the gate looks for them).
REGION_MARKERS = (FINDINGS_JSON, SUMMARY_JSON, PLAN_JSON, STATUS_JSON)
# Hashed into the compliance report's provenance when present.
HASHED_FILES = (SUMMARY_JSON, PLAN_JSON, PLAN_SHA256, TFPLAN, FINDINGS_JSON, TFVARS_JSON, BACKEND_HCL)


@dataclass(frozen=True)
class RegionLayout:
    """The files of one region directory."""

    root: Path

    @classmethod
    def of(cls, artifacts: Path, env: str, region: str) -> RegionLayout:
        return cls(region_dir(artifacts, env, region))

    def __truediv__(self, name: str) -> Path:
        return self.root / name

    @property
    def tfvars(self) -> Path:
        return self.root / TFVARS_JSON

    @property
    def backend(self) -> Path:
        return self.root / BACKEND_HCL

    @property
    def manifests(self) -> Path:
        return self.root / MANIFESTS

    @property
    def tfplan(self) -> Path:
        return self.root / TFPLAN

    @property
    def plan_json(self) -> Path:
        return self.root / PLAN_JSON

    @property
    def plan_sha256(self) -> Path:
        return self.root / PLAN_SHA256

    @property
    def summary(self) -> Path:
        return self.root / SUMMARY_JSON

    @property
    def summary_md(self) -> Path:
        return self.root / SUMMARY_MD

    @property
    def status(self) -> Path:
        return self.root / STATUS_JSON

    @property
    def plan_log(self) -> Path:
        return self.root / PLAN_LOG

    @property
    def findings(self) -> Path:
        return self.root / FINDINGS_JSON

    @property
    def stack(self) -> Path:
        """Where Terraform runs (``work/terraform``, staged by the plan)."""
        return self.root / WORK / "terraform"

    @property
    def apply_log(self) -> Path:
        return self.root / APPLY_LOG

    @property
    def bundle(self) -> Path:
        return self.root / BUNDLE

    @property
    def sandbox_world(self) -> Path:
        return self.root / SANDBOX_WORLD

    def manifest_files(self) -> list[Path]:
        """The rendered Karpenter manifests (``manifests/*.yaml``), sorted."""
        return sorted(self.manifests.glob("*.y*ml")) if self.manifests.is_dir() else []

    def is_region_dir(self) -> bool:
        return any((self.root / name).is_file() for name in REGION_MARKERS)


@dataclass(frozen=True)
class GateFiles:
    """What ``infra gate`` writes for one environment."""

    junit: Path
    sarif: Path
    json: Path
    markdown: Path

    @classmethod
    def of(cls, out_dir: Path, env: str) -> GateFiles:
        return cls(
            out_dir / f"gate-{env}.junit.xml",
            out_dir / f"gate-{env}.sarif",
            out_dir / f"gate-{env}.json",
            out_dir / f"gate-{env}.md",
        )

    def paths(self) -> dict[str, Path]:
        return {"junit": self.junit, "sarif": self.sarif, "json": self.json, "markdown": self.markdown}


def gate_dir(artifacts: Path, env: str) -> Path:
    """Where the gate writes by default: ``ARTIFACTS/gate/ENV/``."""
    return artifacts / "gate" / env


def report_path(artifacts: Path, env: str, fmt: str) -> Path:
    """Where ``infra report`` writes by default: ``ARTIFACTS/ENV/compliance-report.FORMAT``."""
    return artifacts / env / f"compliance-report.{fmt}"
