"""Drift detection: refresh-only plans per region, reported by attribute name (``infra drift``)."""
