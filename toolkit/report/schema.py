"""The JSON Schema of the report, generated from the models.

``toolkit/report/report.schema.json`` is committed so GRC tools can fetch it without
Python; a test fails when it drifts from the models. Regenerate with::

    .venv/bin/python -m toolkit.report.schema
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolkit.fsutil import atomic_write_json
from toolkit.report.models import SCHEMA_ID, SCHEMA_VERSION, Report

SCHEMA_PATH = Path(__file__).with_name("report.schema.json")


def json_schema() -> dict[str, Any]:
    schema = Report.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "infra compliance report",
        "description": (
            f"Compliance report produced by `infra report --format json`, schema_version "
            f"{SCHEMA_VERSION}. See docs/report-schema.md."
        ),
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }


def main() -> None:
    atomic_write_json(SCHEMA_PATH, json_schema())
    print(SCHEMA_PATH)


if __name__ == "__main__":
    main()
