"""Paths and helpers shared by the Terraform module tests (imported by name: keep it unique)."""

from __future__ import annotations

import os
from pathlib import Path

from toolkit.sandbox.install import SandboxInstall
from toolkit.terraform import Terraform

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
FIXTURES = HERE / "fixtures"
MODULES = REPO / "modules"
ROOT_STACK = REPO / "terraform"
SHARED = Path(os.environ.get("INFRA_SHARED_DIR", REPO.parent / "shared")).resolve()
SCHEMA = Path(os.environ.get("INFRA_PROVIDER_SCHEMA") or SHARED / "schemas" / "terraform" / "hashicorp-aws-6.47.0.json")

# The modules of issue 3 that this test package owns (karpenter has its own tests).
OWN_MODULES = ("kms", "network", "secrets", "eks-cluster")
BACKEND_OVERRIDE = 'terraform {\n  backend "local" {}\n}\n'


def module_dirs() -> list[Path]:
    """Every module under modules/ (a directory with a variables.tf)."""
    return sorted(p for p in MODULES.iterdir() if (p / "variables.tf").is_file())


def terraform_in(sandbox: SandboxInstall, workdir: Path, log: list[str] | None = None) -> Terraform:
    sink = log if log is not None else []
    return Terraform(workdir, env=sandbox.env(), log=sink.append)
