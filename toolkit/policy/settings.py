"""``policy/policy.yaml``: knobs of the custom checks (passed to them as context) and of the gate."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from toolkit.policy.files import read_policy_file


class PolicySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    strict_environments: list[str] = ["prod"]
    required_tags: list[str] = ["owner", "cost-center", "data-classification", "environment"]
    max_secret_rotation_days: int = Field(90, gt=0)
    min_kms_deletion_window_days: int = Field(30, ge=7, le=30)
    expiring_within_days: int = Field(30, ge=0, description="Gate and report list waivers expiring this soon.")


def load_policy_settings(path: Path) -> PolicySettings:
    return read_policy_file(path, PolicySettings)
