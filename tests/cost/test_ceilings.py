"""Ceilings and mixes against figures worked out by hand (see the comments; 730 h a month).

Memory capacities (Karpenter's, less 7.5% rounded up in MiB) are in tests/cost/helpers.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from toolkit.cost import from_inputs
from toolkit.cost.ceiling import instances_allowed
from toolkit.cost.model import Limits, RegionCost
from toolkit.errors import UserError

from . import helpers as h

Prices = dict[str, tuple[float | None, float | None, float | None]]


def price(pools: dict[str, dict[str, Any]], prices: Prices | None = None) -> RegionCost:
    return from_inputs(h.inputs(pools), h.snapshot(prices))


def test_gpu_pool_ceiling_by_gpu_limit() -> None:
    # 512 CPU / 2048 Gi / 8 GPU, on-demand.
    # g6e.1: cpu 512//8=64, memory 2097152//30310=69, gpu 8//1=8   -> 8 (gpu)  * $1.00 * 730 = $5,840
    # g6e.4: cpu 512//48=10, memory 2097152//181862=11, gpu 8//4=2 -> 2 (gpu)  * $5.00 * 730 = $7,300
    cost = price({"infer": h.pool(["g6e"], 512, 2048, gpu=8)})
    n = cost.nodepool("infer")
    assert n.kind == "GPU" and n.capacity_types == ("on-demand",)
    assert n.on_demand is not None
    assert (n.on_demand.low.instance_type, n.on_demand.low.instances, n.on_demand.low.binding) == ("g6e.1", 8, "gpu")
    assert n.on_demand.low.monthly_usd == pytest.approx(5840.0)
    assert (n.on_demand.high.instance_type, n.on_demand.high.instances) == ("g6e.4", 2)
    assert n.on_demand.high.monthly_usd == pytest.approx(7300.0)
    assert n.ceiling_usd == pytest.approx(7300.0)
    assert n.spot is not None and n.spot.usd.high == pytest.approx(2 * 2.00 * 730)  # listed, not used


def test_doubling_the_gpu_limit_doubles_the_ceiling() -> None:
    one = price({"infer": h.pool(["g6e"], 512, 2048, gpu=8)}).nodepool("infer")
    two = price({"infer": h.pool(["g6e"], 512, 2048, gpu=16)}).nodepool("infer")
    # g6e.1 16 -> $11,680; g6e.4 4 -> $14,600 (cpu 10 and memory 11 still allow it).
    assert two.ceiling_usd == pytest.approx(2 * one.ceiling_usd) == pytest.approx(14600.0)
    assert two.on_demand is not None and two.on_demand.low.monthly_usd == pytest.approx(11680.0)


def test_cpu_pool_bound_by_memory() -> None:
    # 100 CPU / 64 Gi: cx.2 cpu 50, memory 65536//3788=17 -> 17 (memory) * $0.10 * 730 = $1,241
    #                  rx.2 cpu 50, memory 65536//15155=4 -> 4 (memory) * $0.13 * 730 = $379.60
    n = price({"web": h.pool(["cx", "rx"], 100, 64)}).nodepool("web")
    assert n.on_demand is not None
    assert (n.on_demand.high.instance_type, n.on_demand.high.instances, n.on_demand.high.binding) == ("cx.2", 17, "memory")
    assert (n.on_demand.low.instance_type, n.on_demand.low.instances, n.on_demand.low.binding) == ("rx.2", 4, "memory")
    assert n.on_demand.high.monthly_usd == pytest.approx(1241.0)
    assert n.on_demand.low.monthly_usd == pytest.approx(379.6)


def test_cpu_pool_bound_by_cpu() -> None:
    # 10 CPU / 1000 Gi: both types 5 (cpu): cx.2 5*0.10*730 = $365; rx.2 5*0.13*730 = $474.50
    n = price({"web": h.pool(["cx", "rx"], 10, 1000)}).nodepool("web")
    assert n.on_demand is not None
    assert {n.on_demand.low.binding, n.on_demand.high.binding} == {"cpu"}
    assert n.on_demand.usd.low == pytest.approx(365.0) and n.on_demand.usd.high == pytest.approx(474.5)
    assert n.ceiling_usd == pytest.approx(474.5)


@pytest.mark.parametrize(("limits", "itype", "expected"), [
    (Limits(96, 10000, None), "cx.2", (48, "cpu")),
    (Limits(1000, 10, None), "cx.2", (2, "memory")),  # 10240 // 3788 = 2
    (Limits(1000, 10000, 3), "g6e.4", (0, "gpu")),  # 3 // 4 = 0: does not fit
])
def test_instances_allowed(limits: Limits, itype: str, expected: tuple[int, str]) -> None:
    assert instances_allowed(limits, h.snapshot().instance_types[itype]) == expected


def test_types_that_do_not_fit_are_left_out_of_the_range() -> None:
    # 8 CPU / 64 Gi / 1 GPU: g6e.4 needs 48 vCPUs (0 fit); g6e.1 fits once: 1 * $1.00 * 730 = $730.
    n = price({"small": h.pool(["g6e"], 8, 64, gpu=1)}).nodepool("small")
    assert n.on_demand is not None
    assert n.on_demand.low.instance_type == n.on_demand.high.instance_type == "g6e.1"
    assert n.ceiling_usd == pytest.approx(730.0)


def test_spot_pool_ceiling_is_the_highest_spot_price() -> None:
    # spot, 512 CPU / 2048 Gi / 8 GPU: g6e.1 8 * $0.40 = $2,336, g6e.4 2 * $2.00 = $2,920 (highs);
    # lows g6e.1 8 * $0.30 = $1,752, g6e.4 2 * $1.50 = $2,190.
    n = price({"batch": h.pool(["g6e"], 512, 2048, gpu=8, policy="spot")}).nodepool("batch")
    assert n.capacity_types == ("spot",)
    assert n.spot is not None
    assert n.spot.usd.low == pytest.approx(1752.0) and n.spot.usd.high == pytest.approx(2920.0)
    assert n.ceiling_usd == pytest.approx(2920.0) and n.ceiling_basis.startswith("spot")


def test_spot_pool_without_spot_prices_is_bounded_by_on_demand() -> None:
    # rx.2 has no spot figure: 10 CPU -> 5 * $0.13 * 730 = $474.50 on-demand as the bound.
    n = price({"batch": h.pool(["rx"], 10, 1000, policy="spot")}).nodepool("batch")
    assert n.spot is None
    assert n.ceiling_usd == pytest.approx(474.5) and "no spot price" in n.ceiling_basis


def test_ratio_mix_expected_cost_and_savings() -> None:
    # ratio 0.75 of 1000 CPU / 4000 Gi: spot NodePool 750 / 3000 Gi, on-demand 250 / 1000 Gi.
    # on-demand: cx.2 cpu 125, memory 1024000//3788=270 -> 125 * $0.10 * 730 = $9,125
    # spot:      cx.2 cpu 375, memory 3072000//3788=810 -> 375 * $0.03..$0.04 * 730 = $8,212.50..$10,950
    #            (all on-demand: 375 * $0.10 * 730 = $27,375)
    cost = price({"web": h.pool(["cx"], 1000, 4000, policy="ratio", spot_share=0.75)})
    assert [n.nodepool for n in cost.nodepools] == ["web-on-demand", "web-spot"]
    assert cost.nodepool("web-spot").limits == Limits(750, 3000, None)
    assert cost.nodepool("web-on-demand").ceiling_usd == pytest.approx(9125.0)
    assert cost.nodepool("web-spot").ceiling_usd == pytest.approx(10950.0)
    (mix,) = cost.pools
    assert mix.expected.low == pytest.approx(9125.0 + 8212.5) and mix.expected.high == pytest.approx(9125.0 + 10950.0)
    assert mix.all_on_demand.low == pytest.approx(36500.0) == mix.all_on_demand.high
    assert mix.savings.low == pytest.approx(36500.0 - 17337.5) and mix.savings.high == pytest.approx(36500.0 - 20075.0)
    assert mix.savings_percent == pytest.approx(100 * 16425.0 / 36500.0)
    assert cost.ceiling_usd == pytest.approx(9125.0 + 10950.0)


def test_baseline_mix_splits_limits_and_prices_each_side() -> None:
    # The README's example: 384 CPU / 1536 Gi / 16 GPU, baseline 96 CPU + 4 GPU
    # -> on-demand 96 / 384 Gi / 4, spot 288 / 1152 Gi / 12.
    # on-demand: g6e.1 cpu 12, memory 393216//30310=12, gpu 4 -> 4 * $1.00 * 730 = $2,920
    #            g6e.4 cpu 2, memory 2, gpu 1 -> 1 * $5.00 * 730 = $3,650
    # spot:      g6e.1 cpu 36, memory 1179648//30310=38, gpu 12 -> 12 * $0.30..$0.40 * 730 = $2,628..$3,504
    #            g6e.4 cpu 6, memory 6, gpu 3 -> 3 * $1.50..$2.00 * 730 = $3,285..$4,380
    cost = price({"infer": h.pool(["g6e"], 384, 1536, gpu=16, policy="on-demand-baseline", spot_share=0.5,
                                  baseline_cpu=96, baseline_gpu=4)})
    od, spot = cost.nodepool("infer-on-demand"), cost.nodepool("infer-spot")
    assert od.limits == Limits(96, 384, 4) and spot.limits == Limits(288, 1152, 12)
    assert od.ceiling_usd == pytest.approx(3650.0)
    assert spot.spot is not None
    assert spot.spot.usd.low == pytest.approx(2628.0) and spot.spot.usd.high == pytest.approx(4380.0)
    (mix,) = cost.pools
    assert mix.expected.low == pytest.approx(2920.0 + 2628.0)
    assert mix.expected.high == pytest.approx(3650.0 + 4380.0)


def test_spot_first_expected_uses_spot_share() -> None:
    # spot-first 0.7, 10 CPU: 5 cx.2. on-demand 5 * $0.10 * 730 = $365; spot $109.50..$146.
    # expected = 0.7 * spot + 0.3 * on-demand = $186.15..$211.70; ceiling = on-demand $365.
    cost = price({"web": h.pool(["cx"], 10, 1000, policy="spot-first", spot_share=0.7)})
    (n,) = cost.nodepools
    assert n.capacity_types == ("on-demand", "spot")
    assert n.ceiling_usd == pytest.approx(365.0)
    (mix,) = cost.pools
    assert mix.expected.low == pytest.approx(186.15) and mix.expected.high == pytest.approx(211.7)


def test_region_totals_add_up() -> None:
    cost = price({"infer": h.pool(["g6e"], 512, 2048, gpu=8), "web": h.pool(["cx", "rx"], 10, 1000)})
    assert cost.ceiling_usd == pytest.approx(7300.0 + 474.5)
    assert cost.gpu_ceiling_usd == pytest.approx(7300.0)


def test_family_missing_from_the_catalog_is_a_one_line_error() -> None:
    with pytest.raises(UserError) as err:
        price({"train": h.pool(["g6e", "p5"], 512, 2048, gpu=8)})
    message = str(err.value)
    assert "\n" not in message
    assert "pool train" in message and "p5" in message and "not in the price snapshot" in message


def test_family_without_any_type_in_the_region_is_an_error() -> None:
    with pytest.raises(UserError, match=r"pool web .* none of the instance families cx"):
        price({"web": h.pool(["cx"], 10, 1000)}, prices={"g6e.1": (1.0, None, None)})


def test_reserved_is_not_priced_when_no_pool_uses_it() -> None:
    n = price({"web": h.pool(["cx"], 10, 1000)}).nodepool("web")
    assert n.reserved is None
