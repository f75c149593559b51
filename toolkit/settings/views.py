"""Read-only views of the settings: the CI matrix rows and the editor JSON Schema."""

from __future__ import annotations

from typing import Any

from toolkit.settings import Project
from toolkit.settings.models import RegionSettings


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


def _drop_required(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _drop_required(v) for k, v in node.items() if k != "required"}
    if isinstance(node, list):
        return [_drop_required(v) for v in node]
    return node


def settings_json_schema(layer: bool = True) -> dict[str, Any]:
    """JSON Schema of region settings.

    ``layer=True`` (the default, for editors): every key optional, because a single
    file is one layer of the merge; unknown keys and wrong types are still flagged.
    ``layer=False``: the effective settings after layering, with required keys.
    """
    schema = RegionSettings.model_json_schema()
    if layer:
        schema = _drop_required(schema)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = ("infra region settings layer (environments/ENV/REGION.yaml)" if layer
                       else "infra effective region settings")
    return dict(schema)
