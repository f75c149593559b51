"""Arithmetic of the pool rules: durations, the capacity spread of ratio pools, on-demand shares."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from toolkit.settings.pool_tables import EPS, SPREAD_MAX_BUCKETS

_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1}


def duration_seconds(text: str) -> int:
    """Seconds of a duration such as ``1h30m`` (the pattern of ``consolidate_after``)."""
    return sum(int(n) * _UNIT_SECONDS[u] for n, u in re.findall(r"([0-9]+)(h|m|s)", text))


# --------------------------------------------------------------------------- shares


def spread_buckets(spot_share: float) -> tuple[int, int]:
    """(spot buckets k, total buckets n) of a ratio pool (0 < spot_share < 1).

    n is the smallest n <= 20 with spot_share * n whole, else 20 with k rounded; k is kept
    within 1..n-1 so both NodePools get at least one capacity-spread value.
    """
    n = next((n for n in range(1, SPREAD_MAX_BUCKETS + 1)
              if abs(spot_share * n - math.floor(spot_share * n + 0.5)) < EPS), SPREAD_MAX_BUCKETS)
    k = math.floor(spot_share * n + 0.5)
    return min(max(k, 1), n - 1), n


def mix_on_demand_share(mix: Mapping[str, Any], limits: Mapping[str, Any], gpu: bool) -> float:
    """The share of a pool's capacity its capacity mix guarantees to be on-demand.

    ``on-demand`` 1, ``spot`` and ``spot-first`` 0. ``ratio``: ``(n - k) / n`` of
    :func:`spread_buckets` (equal to ``1 - spot_share`` when ``spot_share * n`` is whole for
    some ``n <= 20``), the share of the spread domain and of the limits the on-demand NodePool
    gets. ``on-demand-baseline``: baseline over limit, GPUs when the pool is a GPU pool with
    ``baseline_gpu`` (or ``baseline_gpu`` is the only baseline), else CPUs; the spot NodePool
    gets only ``limit - baseline``, so at full use the on-demand part is exactly that share and
    below it more (the baseline fills first).
    """
    policy = mix["policy"]
    if policy == "on-demand":
        return 1.0
    if policy in ("spot", "spot-first"):
        return 0.0
    if policy == "ratio":
        k, n = spread_buckets(float(mix["spot_share"]))
        return (n - k) / n
    base_cpu, base_gpu = mix.get("baseline_cpu"), mix.get("baseline_gpu")
    if base_gpu is not None and limits.get("gpu") and (gpu or base_cpu is None):
        return float(base_gpu) / float(limits["gpu"])
    if base_cpu is not None and limits.get("cpu"):
        return float(base_cpu) / float(limits["cpu"])
    return 0.0
