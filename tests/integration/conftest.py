"""Integration fixtures: real embedded Terraform + the real sandbox provider plugin.

The session's environment (private cache, bundled schema) and the shared prod plans come
from tests/conftest.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.baseline import ProdPlans


@pytest.fixture
def prod_artifacts(prod_plans: ProdPlans, tmp_path: Path) -> Path:
    """A private copy of the session's ``infra plan --all --env prod`` artifacts (plans and scan).

    Terraform's work dirs are kept (a test looks at the staged lock file); plan with
    ``--project prod_plans.root``, the project they were made from.
    """
    return prod_plans.copy_artifacts(tmp_path / "prod-artifacts", ignore=(".lock", ".private"))
