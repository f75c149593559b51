"""Core operations behind the commands (no click here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolkit.config import Project
from toolkit.config.models import RegionSettings
from toolkit.project import region_dir
from toolkit.render import RenderResult, render_region


def region_rows(project: Project, env: str | None = None) -> list[dict[str, Any]]:
    """One row per environment/region pair: the CI matrix."""
    rows: list[dict[str, Any]] = []
    envs = [project.default_environment(env)] if env else project.environment_names()
    for name in envs:
        for region in sorted(project.region_files(name)):
            project.check_region(region)
            cat = project.catalog.regions[region]
            rows.append({"environment": name, "region": region, "aws_region": cat.aws_region, "zone": cat.zone})
    return rows


def settings_json_schema() -> dict[str, Any]:
    schema = RegionSettings.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "infra region settings (effective, after layering)"
    return schema


def render_many(project: Project, env: str, regions: list[str], artifacts: Path) -> dict[str, RenderResult]:
    # Validate every region first, so one bad file writes nothing at all.
    configs = {r: project.region(env, r) for r in regions}
    return {r: render_region(project, cfg, region_dir(artifacts, env, r)) for r, cfg in configs.items()}
