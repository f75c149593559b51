"""The typed results of pricing: ceilings per NodePool, mixes per pool, totals per region.

Every figure is US dollars per month of ``HOURS_PER_MONTH`` hours. A *ceiling* is what the
NodePool limits allow Karpenter to run at once, priced: not a forecast of the bill.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

HOURS_PER_MONTH = 730.0

# Karpenter (aws provider) reports a node's memory capacity as the instance memory less
# VM_MEMORY_OVERHEAD_PERCENT (default 0.075, rounded up in MiB) until it has seen the real
# node; NodePool limits are checked against that capacity (pkg/providers/instancetype/types.go).
VM_MEMORY_OVERHEAD = 0.075


@dataclass(frozen=True)
class Limits:
    """A NodePool's ``spec.limits``: vCPUs, memory in GiB, GPUs (None: no GPU limit)."""

    cpu: int
    memory_gi: int
    gpu: int | None = None

    def describe(self) -> str:
        text = f"{self.cpu} CPU / {self.memory_gi} Gi"
        return text + (f" / {self.gpu} GPU" if self.gpu is not None else "")


@dataclass(frozen=True)
class UsdRange:
    """A monthly figure as a range: the cheapest and the dearest case."""

    low: float
    high: float

    def __add__(self, other: UsdRange) -> UsdRange:
        return UsdRange(self.low + other.low, self.high + other.high)

    def __sub__(self, other: UsdRange) -> UsdRange:
        return UsdRange(self.low - other.low, self.high - other.high)

    def scale(self, factor: float) -> UsdRange:
        return UsdRange(self.low * factor, self.high * factor)


ZERO = UsdRange(0.0, 0.0)


@dataclass(frozen=True)
class Fill:
    """One instance type filling a NodePool up to its limits."""

    instance_type: str
    instances: int
    binding: str  # the limit that stops the next instance: "cpu", "memory" or "gpu"
    usd_per_hour: float  # per instance
    monthly_usd: float  # all instances, HOURS_PER_MONTH hours


@dataclass(frozen=True)
class FillRange:
    """The cheapest and the dearest fill over the NodePool's allowed instance types."""

    low: Fill
    high: Fill

    @property
    def usd(self) -> UsdRange:
        return UsdRange(self.low.monthly_usd, self.high.monthly_usd)


@dataclass(frozen=True)
class NodePoolCost:
    """The spend ceiling implied by one NodePool's limits (after the capacity-mix split)."""

    nodepool: str
    pool: str
    gpu: bool
    capacity_types: tuple[str, ...]  # "on-demand", "spot" (Karpenter's karpenter.sh/capacity-type)
    families: tuple[str, ...]
    limits: Limits
    instance_types: tuple[str, ...]  # the allowed types the snapshot prices in this region
    unlisted_families: tuple[str, ...]  # allowed families with no type listed for this region
    on_demand: FillRange | None
    spot: FillRange | None
    reserved: FillRange | None  # only for NodePools that allow reserved capacity (none do today)
    ceiling_usd: float
    ceiling_basis: str  # which price the headline ceiling uses
    caveats: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return "GPU" if self.gpu else "CPU"


@dataclass(frozen=True)
class PoolMix:
    """The expected monthly cost of a pool's capacity mix at full use of its limits."""

    pool: str
    policy: str
    spot_share: float
    nodepools: tuple[str, ...]
    expected: UsdRange
    all_on_demand: UsdRange
    savings: UsdRange  # all_on_demand - expected

    @property
    def savings_percent(self) -> float:
        """Savings of the dearest case as a share of its all-on-demand cost (0..100)."""
        return 100.0 * self.savings.high / self.all_on_demand.high if self.all_on_demand.high else 0.0


@dataclass(frozen=True)
class SourceInfo:
    """Where a snapshot's figures come from."""

    id: str
    kind: str
    url: str
    as_of: str | None
    as_of_bound: str | None = None
    notes: str = ""


@dataclass(frozen=True)
class SnapshotInfo:
    """Which price snapshot priced a result, and its dates."""

    path: str
    origin: str  # "bundled", "user cache" or "file"
    assembled: str
    sources: tuple[SourceInfo, ...]
    sha256: str = ""  # of the snapshot file, so artifacts name it without a machine's path


@dataclass(frozen=True)
class RegionCost:
    """All NodePools of one environment/region, priced."""

    environment: str
    region: str
    aws_region: str
    nodepools: tuple[NodePoolCost, ...]
    pools: tuple[PoolMix, ...]
    snapshot: SnapshotInfo
    hours_per_month: float = HOURS_PER_MONTH

    @property
    def ceiling_usd(self) -> float:
        return sum(n.ceiling_usd for n in self.nodepools)

    @property
    def gpu_ceiling_usd(self) -> float:
        return sum(n.ceiling_usd for n in self.nodepools if n.gpu)

    @property
    def expected(self) -> UsdRange:
        return _sum(p.expected for p in self.pools)

    @property
    def all_on_demand(self) -> UsdRange:
        return _sum(p.all_on_demand for p in self.pools)

    @property
    def savings(self) -> UsdRange:
        return self.all_on_demand - self.expected

    def nodepool(self, name: str) -> NodePoolCost:
        for n in self.nodepools:
            if n.nodepool == name:
                return n
        raise KeyError(name)


@dataclass(frozen=True)
class EnvironmentCost:
    """The regions of one environment and their totals."""

    environment: str
    regions: tuple[RegionCost, ...] = field(default_factory=tuple)

    @property
    def ceiling_usd(self) -> float:
        return sum(r.ceiling_usd for r in self.regions)

    @property
    def expected(self) -> UsdRange:
        return _sum(r.expected for r in self.regions)

    @property
    def all_on_demand(self) -> UsdRange:
        return _sum(r.all_on_demand for r in self.regions)

    @property
    def savings(self) -> UsdRange:
        return self.all_on_demand - self.expected


@dataclass(frozen=True)
class CostChange:
    """One NodePool whose ceiling differs between two pricings (None: the NodePool is absent)."""

    environment: str
    region: str
    nodepool: str
    kind: str  # "GPU" or "CPU"
    before_usd: float | None
    after_usd: float | None

    @property
    def delta_usd(self) -> float:
        return (self.after_usd or 0.0) - (self.before_usd or 0.0)

    def line(self) -> str:
        """``GPU ceiling prod/us-east gpu-inference: $41,300 -> $82,600 per month``."""
        before = usd(self.before_usd) if self.before_usd is not None else "(none)"
        after = usd(self.after_usd) if self.after_usd is not None else "(none)"
        return f"{self.kind} ceiling {self.environment}/{self.region} {self.nodepool}: {before} -> {after} per month"


def usd(value: float) -> str:
    """Whole dollars with thousands separators: ``$41,300``."""
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.0f}"


def _sum(items: Iterable[UsdRange]) -> UsdRange:
    total = ZERO
    for item in items:
        total = total + item
    return total
