"""The ``ARTIFACTS/ENV/REGION/`` contract: every file a region directory holds, and the gate's outputs.

Plan, scan, gate, report and apply name these files only through this module, so that a
rename is one edit and a reader never guesses what a writer called a file.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from toolkit.artifacts.io import Refused, check_dir, check_file, list_dir
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
LOCK = ".lock"  # flock-ed by the one run using the directory; holds its pid, host and start time
PRIVATE = ".private"  # mode 0700: where Terraform writes the plan file before it is moved into place
SANDBOX_STATE = "sandbox.tfstate"  # local state of sandbox plans (Terraform writes it; made 0600 after)
BASE_STATE = "base.tfstate"  # `plan --base REF`: the copy of REF's sandbox state the plan ran against (0600)
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

    @property
    def artifacts(self) -> Path:
        """The artifacts root: a region directory is always ``ARTIFACTS/ENV/REGION``."""
        return self.root.parent.parent

    @property
    def environment(self) -> str:
        return self.root.parent.name

    @property
    def region(self) -> str:
        return self.root.name

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
        """The rendered Karpenter manifests (``manifests/*.yaml``), sorted; links are refused."""
        if not check_dir(self.manifests, root=self.artifacts):
            return []
        out = []
        for name, mode in list_dir(self.manifests, root=self.artifacts):
            if fnmatch.fnmatch(name, "*.y*ml"):
                if not stat.S_ISREG(mode):
                    check_file(self.manifests / name, root=self.artifacts)  # raises Refused
                out.append(self.manifests / name)
        return out

    @property
    def private(self) -> Path:
        return self.root / PRIVATE

    @property
    def lock(self) -> Path:
        return self.root / LOCK

    @property
    def sandbox_state(self) -> Path:
        return self.root / SANDBOX_STATE

    def is_region_dir(self) -> bool:
        """Holds any marker file (a link in its place counts: reading it is then refused)."""
        return any(os.path.lexists(self.root / name) for name in REGION_MARKERS)


def region_dirs(artifacts: Path, env: str) -> list[str]:
    """The region directories of ``ARTIFACTS/ENV``, sorted; a link among its entries is refused.

    A region directory linked elsewhere would let outside data into the gate and the report.
    """
    env_dir = artifacts / env
    names = []
    for name, mode in list_dir(env_dir, root=artifacts):
        if stat.S_ISLNK(mode):
            raise Refused(env_dir / name, "a symbolic link inside the artifacts tree (a region directory must be "
                                          "a plain directory; no links are followed there)")
        if stat.S_ISDIR(mode) and RegionLayout(env_dir / name).is_region_dir():
            names.append(name)
    return names


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
