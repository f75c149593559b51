"""Paths and helpers shared by the Terraform module tests (imported by name: keep it unique)."""

from __future__ import annotations

from pathlib import Path

from infra_sandbox.install import SandboxInstall
from tests.support import REPO, SCHEMA
from toolkit.adapters.terraform.runner import Terraform

HERE = Path(__file__).resolve().parents[1] / "terraform"
FIXTURES = HERE / "fixtures"
MODULES = REPO / "modules"
ROOT_STACK = REPO / "terraform"

# The modules of issue 3 that this test package owns (karpenter has its own tests).
OWN_MODULES = ("kms", "network", "secrets", "eks-cluster")
BACKEND_OVERRIDE = 'terraform {\n  backend "local" {}\n}\n'
__all__ = ["BACKEND_OVERRIDE", "FIXTURES", "MODULES", "OWN_MODULES", "REPO", "ROOT_STACK", "SCHEMA", "module_dirs"]


def module_dirs() -> list[Path]:
    """Every module under modules/ (a directory with a variables.tf)."""
    return sorted(p for p in MODULES.iterdir() if (p / "variables.tf").is_file())


def terraform_in(sandbox: SandboxInstall, workdir: Path, log: list[str] | None = None) -> Terraform:
    sink = log if log is not None else []
    return Terraform(workdir, env=sandbox.env(), log=sink.append)
