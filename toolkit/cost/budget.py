"""Budgets: the settings' spend ceilings (``cost:``) against the priced NodePools of a region."""

from __future__ import annotations

from dataclasses import dataclass

from toolkit.cost.model import RegionCost, usd
from toolkit.settings.models import CostBudget


@dataclass(frozen=True)
class Breach:
    environment: str
    region: str
    scope: str  # "region" or the settings pool's name
    ceiling_usd: float
    budget_usd: float

    def line(self) -> str:
        region = self.scope == "region"
        what = f"{self.environment}/{self.region}" + ("" if region else f" pool {self.scope}")
        setting = "cost.monthly_ceiling_usd" if region else f"cost.pools.{self.scope}"
        return (f"spend ceiling {what}: {usd(self.ceiling_usd)} per month is over its budget "
                f"{usd(self.budget_usd)} ({setting})")

    def to_dict(self) -> dict[str, object]:
        return {"scope": self.scope, "ceiling_usd": round(self.ceiling_usd, 2), "budget_usd": self.budget_usd,
                "line": self.line()}


def breaches(budget: CostBudget, cost: RegionCost) -> list[Breach]:
    """Every budget the region's ceilings exceed (the headline ceiling: the dearest fill)."""
    found: list[Breach] = []
    if budget.monthly_ceiling_usd is not None and cost.ceiling_usd > budget.monthly_ceiling_usd:
        found.append(Breach(cost.environment, cost.region, "region", cost.ceiling_usd, budget.monthly_ceiling_usd))
    for pool, limit in sorted(budget.pools.items()):
        ceiling = sum(n.ceiling_usd for n in cost.nodepools if n.pool == pool)
        if ceiling > limit:
            found.append(Breach(cost.environment, cost.region, pool, ceiling, limit))
    return found


def budget_json(budget: CostBudget) -> dict[str, object]:
    return {"monthly_ceiling_usd": budget.monthly_ceiling_usd, "pools": dict(sorted(budget.pools.items()))}
