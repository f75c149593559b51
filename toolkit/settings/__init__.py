"""Settings: region catalog, environments, layering and validation."""

from toolkit.settings.loader import Environment, Project, RegionConfig, stack_inputs

__all__ = ["Environment", "Project", "RegionConfig", "stack_inputs"]
