"""A small synthetic price snapshot and rendered inputs whose arithmetic is easy to check by hand.

The figures are invented; the GPU family is named g6e because GPU pools take NVIDIA families only
(the cx and rx CPU families are fictional)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from toolkit.cost.snapshot import Snapshot, parse

# Memory as Karpenter counts it (less 7.5%, rounded up in MiB):
#   32768 MiB -> 32768 - ceil(2457.6) = 30310;   196608 -> 196608 - 14746 = 181862
#    4096 MiB ->  4096 - ceil(307.2)  =  3788;    16384 ->  16384 -  1229 =  15155
TYPES: dict[str, dict[str, Any]] = {
    "g6e.1": {"family": "g6e", "vcpu": 8, "memory_mib": 32768, "gpu_count": 1, "gpu_model": "T1"},
    "g6e.4": {"family": "g6e", "vcpu": 48, "memory_mib": 196608, "gpu_count": 4, "gpu_model": "T1"},
    "cx.2": {"family": "cx", "vcpu": 2, "memory_mib": 4096, "gpu_count": 0, "gpu_model": None},
    "rx.2": {"family": "rx", "vcpu": 2, "memory_mib": 16384, "gpu_count": 0, "gpu_model": None},
}
PRICES: dict[str, tuple[float | None, float | None, float | None]] = {  # on-demand, spot min, spot max
    "g6e.1": (1.00, 0.30, 0.40),
    "g6e.4": (5.00, 1.50, 2.00),
    "cx.2": (0.10, 0.03, 0.04),
    "rx.2": (0.13, None, None),
}
REGION = "xx-test-1"


def snapshot_doc(prices: dict[str, tuple[float | None, float | None, float | None]] | None = None) -> dict[str, Any]:
    table = {}
    for name, (od, smin, smax) in (prices or PRICES).items():
        entry: dict[str, Any] = {"spot": None}
        if od is not None:
            entry["on_demand"] = {"usd_per_hour": od, "source": "test"}
        if smin is not None:
            entry["spot"] = {"min_usd_per_hour": smin, "max_usd_per_hour": smax, "zones": 2, "source": "test"}
        table[name] = entry
    return {
        "schema_version": 1, "assembled": "2026-01-01", "currency": "USD", "families": ["cx", "g6e", "rx"],
        "sources": {"test": {"kind": "test figures", "url": "file:///dev/null", "as_of": "2026-01-01"}},
        "instance_types": {k: dict(v, source="test") for k, v in TYPES.items()},
        "regions": {REGION: table},
    }


def snapshot(prices: dict[str, tuple[float | None, float | None, float | None]] | None = None) -> Snapshot:
    return parse(snapshot_doc(prices), Path("test-snapshot.json"), "file")


def write_snapshot(path: Path) -> Path:
    path.write_text(json.dumps(snapshot_doc()), encoding="utf-8")
    return path


BASE_POOL: dict[str, Any] = {
    "gpu": False, "instance_families": ["cx"],
    "capacity_mix": {"policy": "on-demand", "spot_share": 0.0, "baseline_cpu": None, "baseline_gpu": None},
    "limits": {"cpu": 10, "memory_gi": 1000, "gpu": None}, "ami_alias": "al2023@latest", "taints": [],
    "labels": {}, "weight": 10, "consolidation_policy": "WhenEmpty", "consolidate_after": "5m",
    "expire_after": "720h", "disruption_budgets": [], "root_volume_gi": 100, "termination_grace_period": None,
}
GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}


def pool(families: list[str], cpu: int, memory_gi: int, gpu: int | None = None, policy: str = "on-demand",
         spot_share: float = 0.0, baseline_cpu: int | None = None, baseline_gpu: int | None = None) -> dict[str, Any]:
    p = copy.deepcopy(BASE_POOL)
    p["instance_families"] = families
    p["limits"] = {"cpu": cpu, "memory_gi": memory_gi, "gpu": gpu}
    p["capacity_mix"] = {"policy": policy, "spot_share": spot_share, "baseline_cpu": baseline_cpu,
                         "baseline_gpu": baseline_gpu}
    if gpu is not None:
        p["gpu"] = True
        p["taints"] = [GPU_TAINT]
    return p


def inputs(pools: dict[str, dict[str, Any]], environment: str = "test", region_key: str = "xx") -> dict[str, Any]:
    """Rendered stack inputs with just what pricing (and the NodePool builder) reads."""
    return {
        "environment": environment, "region": REGION, "region_key": region_key, "account_id": "123456789012",
        "name": f"{environment}-{region_key}",
        "karpenter": {"chart_version": "1.14.1", "namespace": "kube-system", "min_on_demand_share": 0.0,
                      "pools": pools},
    }
