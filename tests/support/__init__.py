"""Paths and small helpers every test package shares (import from here, never from a conftest)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from toolkit.paths import BUNDLED_SCHEMA_DIR

REPO = Path(__file__).resolve().parents[2]
# The AWS provider schema bundled with the package: the tests use what a user's install uses.
SCHEMA = BUNDLED_SCHEMA_DIR / "hashicorp-aws-6.47.0.json.gz"


def load_aws_schema() -> dict[str, Any]:
    """The bundled `terraform providers schema -json` document, decompressed."""
    from infra_sandbox.schema import read_document

    doc: dict[str, Any] = json.loads(read_document(SCHEMA))
    return doc
