"""infra cost"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from toolkit import cost as costs
from toolkit.cli.context import Ctx, pass_ctx, pick_regions
from toolkit.cli.options import all_option, env_option, json_option, regions_argument
from toolkit.cost import report, sources
from toolkit.cost.budget import Breach, breaches
from toolkit.cost.model import CostChange, FillRange, NodePoolCost, RegionCost, UsdRange, usd
from toolkit.errors import UserError
from toolkit.paths import Given, region_dir
from toolkit.settings import Project


def _k(value: float) -> str:
    """Compact dollars: $950, $17.6k, $1.24M."""
    v = abs(value)
    sign = "-" if value < 0 else ""
    if v >= 1e6:
        return f"{sign}${v / 1e6:.2f}M"
    if v >= 1e4:
        return f"{sign}${v / 1e3:.1f}k"
    if v >= 1e3:
        return f"{sign}${v / 1e3:.2f}k"
    return f"{sign}${v:,.0f}"


def _range(value: UsdRange | None) -> str:
    if value is None:
        return "-"
    lo, hi = sorted((value.low, value.high))
    return _k(lo) if hi - lo < 0.5 else f"{_k(lo)}-{_k(hi)}"


def _fills(value: FillRange | None) -> str:
    return "-" if value is None else _range(value.usd)


def _limits(n: NodePoolCost) -> str:
    lim = n.limits
    return f"{lim.cpu}c {lim.memory_gi}Gi" + (f" {lim.gpu}g" if lim.gpu is not None else "")


CAPACITY = {("on-demand",): "od", ("spot",): "spot", ("on-demand", "spot"): "od+spot"}


def _region_table(cost: RegionCost) -> Table:
    table = Table(title=f"{cost.environment}/{cost.region} ({cost.aws_region}): monthly ceilings, USD, "
                        f"{cost.hours_per_month:.0f} h", title_justify="left")
    table.add_column("nodepool", no_wrap=True)
    table.add_column("cap", no_wrap=True)
    table.add_column("limits", no_wrap=True)
    table.add_column("on-demand", justify="right", no_wrap=True)
    table.add_column("spot", justify="right", no_wrap=True)
    table.add_column("ceiling", justify="right", no_wrap=True)
    table.add_column("dearest fill")
    for n in cost.nodepools:
        fill = n.on_demand.high if n.on_demand is not None else (n.spot.high if n.spot is not None else None)
        table.add_row(n.nodepool, CAPACITY.get(n.capacity_types, "+".join(n.capacity_types)), _limits(n),
                      _fills(n.on_demand), _fills(n.spot), usd(n.ceiling_usd),
                      f"{fill.instances}x {fill.instance_type} ({fill.binding})" if fill else "-")
    table.add_section()
    table.add_row("total", "", "", _range(cost.all_on_demand), "", usd(cost.ceiling_usd), "")
    return table


def _mix_table(cost: RegionCost) -> Table:
    table = Table(title=f"{cost.environment}/{cost.region}: expected cost of the capacity mixes at full use",
                  title_justify="left")
    table.add_column("pool", no_wrap=True)
    table.add_column("policy", no_wrap=True)
    for col in ("expected", "all on-demand", "savings"):
        table.add_column(col, justify="right", no_wrap=True)
    for p in cost.pools:
        policy = p.policy + (f" {p.spot_share:g}" if p.policy in ("ratio", "spot-first") else "")
        table.add_row(p.pool, policy, _range(p.expected), _range(p.all_on_demand),
                      f"{_range(p.savings)} ({p.savings_percent:.0f}%)")
    return table


def _compare(ctx: Ctx, env: str, names: list[str], base: str | None, against: Path | None,
             current: list[RegionCost], snap: costs.Snapshot) -> tuple[list[CostChange], dict[str, str]]:
    def from_base(ref: str) -> list[RegionCost]:
        ctx.log(f"rendering the pools of {ref} from a temporary git worktree")
        with sources.worktree(ctx.root, ref) as tree:
            project = Project(tree)
            if env not in project.environment_names():
                return []
            present = project.environment(env).regions
            return [costs.ceilings(project, env, r, snap) for r in names if r in present]

    def from_dir(directory: Path) -> list[RegionCost]:
        found = sources.artifact_inputs(directory, env, names)
        return [costs.from_inputs(inputs, snap, source=str(directory)) for _, inputs in sorted(found.items())]

    if base and against:
        before, after = from_base(base), from_dir(against)
        labels = {"before": f"git {base}", "after": str(against)}
    elif base:
        before, after = from_base(base), current
        labels = {"before": f"git {base}", "after": "working tree"}
    else:
        assert against is not None
        before, after = from_dir(against), current
        labels = {"before": str(against), "after": "working tree"}
    return costs.diff(before, after), labels


@click.command("cost")
@regions_argument
@all_option
@env_option
@json_option
@click.option("--base", "base", metavar="REF", default=None,
              help="Compare with the pools of this git ref (rendered from a temporary worktree, removed after).")
@click.option("--against", "against", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Compare with rendered inputs in DIR (an artifacts dir: DIR/ENV/REGION/terraform.tfvars.json, "
                   "or DIR/terraform.tfvars.json).")
@click.option("--write", "write", is_flag=True, help="Write cost.json into ARTIFACTS/ENV/REGION/.")
@click.option("--prices", "prices_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A price snapshot file instead of the user cache or the bundled copy.")
@pass_ctx
def command(ctx: Ctx, regions: tuple[str, ...], all_regions: bool, env: Given | None, json_flag: bool,
            base: str | None, against: Path | None, write: bool, prices_file: Path | None) -> None:
    """Monthly spend ceilings per Karpenter NodePool, and what a change does to them.

    A ceiling is what a NodePool's limits let Karpenter run at once (730 h a month), from the
    cheapest to the dearest allowed instance type: an upper bound, not a forecast. Prices come
    from the user cache (infra prices refresh) or the snapshot bundled with the toolkit.

    \b
    Examples:
      infra cost --all --env prod
      infra cost us-east --json
      infra cost --all --env prod --base origin/main    # what this branch changes
      infra cost --all --env prod --against ci-artifacts --write
    """
    env_name = ctx.env(env)
    names = pick_regions(ctx, env_name, regions, all_regions)
    snap = costs.load_snapshot(prices_file)
    ctx.log(f"prices: {snap.describe()}")
    current = []
    budgets = {}
    for region in names:
        ctx.log(f"pricing {env_name}/{region}")
        current.append(costs.ceilings(ctx.project, env_name, region, snap))
        budgets[region] = ctx.project.region(env_name, region).settings.cost
    over = [b for rc in current for b in breaches(budgets[rc.region], rc)]
    changes: list[CostChange] = []
    labels: dict[str, str] = {}
    if base or against:
        changes, labels = _compare(ctx, env_name, names, base, against, current, snap)
    written = []
    if write:
        for rc in current:
            written.append(report.write(rc, region_dir(ctx.artifacts, env_name, rc.region), budgets[rc.region]))
    env_cost = costs.EnvironmentCost(environment=env_name, regions=tuple(current))
    if ctx.use_json(json_flag):
        data: dict[str, Any] = {
            "environment": env_name,
            "regions": [report.region_json(rc, budgets[rc.region]) for rc in current],
            "totals": {"ceiling_usd": round(env_cost.ceiling_usd, 2),
                       "gpu_ceiling_usd": round(sum(r.gpu_ceiling_usd for r in current), 2),
                       "expected": {"low": round(env_cost.expected.low, 2), "high": round(env_cost.expected.high, 2)},
                       "all_on_demand": {"low": round(env_cost.all_on_demand.low, 2),
                                         "high": round(env_cost.all_on_demand.high, 2)}},
            "written": [str(p) for p in written],
        }
        if labels:
            data["compared"] = labels
            data["changes"] = [{"environment": c.environment, "region": c.region, "nodepool": c.nodepool,
                                "kind": c.kind, "before_usd": c.before_usd, "after_usd": c.after_usd,
                                "line": c.line()} for c in changes]
        ctx.emit_json(data)
        _fail_on(over)
        return
    notes: list[str] = []
    # Off a terminal rich assumes 80 columns; the tables need about 120.
    if not ctx.console.is_terminal:
        ctx.console.width = max(ctx.console.width, 124)
    for rc in current:
        ctx.console.print(_region_table(rc))
        ctx.console.print(_mix_table(rc))
        for n in rc.nodepools:
            for caveat in n.caveats:
                if caveat not in notes:
                    notes.append(caveat)
    ctx.console.print(f"[bold]{env_name}[/]: ceiling {usd(env_cost.ceiling_usd)} per month over {len(current)} "
                      f"region(s); expected with the capacity mixes {_range(env_cost.expected)} "
                      f"(all on-demand {_range(env_cost.all_on_demand)})", highlight=False)
    for note in notes:
        ctx.console.print(f"[dim]note: {note}[/]", highlight=False)
    if labels:
        ctx.log(f"changes from {labels['before']} to {labels['after']}:")
        for change in changes:
            ctx.log("  " + change.line())
        if not changes:
            ctx.log("  no ceiling changes")
    for path in written:
        ctx.console.print(f"[green]wrote[/] {path}")
    for breach in over:
        ctx.console.print(f"[bold red]over budget[/]: {breach.line()}", highlight=False)
    _fail_on(over)


def _fail_on(over: list[Breach]) -> None:
    if over:
        raise UserError(f"{len(over)} spend ceiling(s) over budget: {over[0].line()}")
