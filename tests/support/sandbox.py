"""What the sandbox tests share: their fixture configurations and the result of a planned stack."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.adapters.terraform.runner import Terraform

FIXTURES = Path(__file__).resolve().parents[1] / "sandbox" / "fixtures"


@dataclass
class Planned:
    tf: Terraform
    workdir: Path
    plan_file: Path
    has_changes: bool
    plan: dict[str, Any]
    log: list[str]

    def change(self, address: str) -> dict[str, Any]:
        for rc in self.plan["resource_changes"]:
            if rc["address"] == address:
                change: dict[str, Any] = rc["change"]
                return change
        raise AssertionError(f"{address} not in plan")
