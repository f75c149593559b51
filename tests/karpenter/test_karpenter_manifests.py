"""toolkit.render.karpenter: manifests from contract inputs, CRD schema and CEL checks."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import REPO
from toolkit.errors import UserError
from toolkit.render import karpenter

HERE = Path(__file__).resolve().parent
FIXTURES = sorted((HERE / "fixtures").glob("*.tfvars.json"))
OTHER = REPO / "tests" / "terraform" / "fixtures" / "prod-us-east.tfvars.json"
ALL_INPUTS = [*FIXTURES, OTHER]


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


PROD = load(HERE / "fixtures" / "prod-us-east.tfvars.json")


def objects(path: Path) -> list[dict[str, Any]]:
    built = karpenter.build_manifests(load(path))
    return built["nodepools"] + built["ec2nodeclasses"]


def nodepool(built: dict[str, list[dict[str, Any]]], name: str) -> dict[str, Any]:
    return next(o for o in built["nodepools"] if o["metadata"]["name"] == name)


def requirement(np: dict[str, Any], key: str) -> dict[str, Any] | None:
    return next((r for r in np["spec"]["template"]["spec"]["requirements"] if r["key"] == key), None)


# ------------------------------------------------------------------ generated objects are valid


@pytest.mark.parametrize("path", ALL_INPUTS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_generated_object_validates_against_the_crds(path: Path) -> None:
    objs = objects(path)
    assert {o["kind"] for o in objs} == {"NodePool", "EC2NodeClass"}
    for obj in objs:
        assert karpenter.validate_manifest(obj) == [], obj["metadata"]["name"]


def test_prod_fixture_gives_the_contract_names() -> None:
    built = karpenter.build_manifests(PROD)
    assert [o["metadata"]["name"] for o in built["nodepools"]] == [
        "general-on-demand", "general-spot", "gpu-inference-on-demand", "gpu-inference-spot", "gpu-training",
    ]
    assert [o["metadata"]["name"] for o in built["ec2nodeclasses"]] == ["general", "gpu-inference", "gpu-training"]
    for np in built["nodepools"]:
        assert np["spec"]["template"]["spec"]["nodeClassRef"]["name"] == np["spec"]["template"]["metadata"]["labels"][
            karpenter.POOL_LABEL]


def test_gpu_nodepools_carry_taint_gpu_requirement_limit_and_label() -> None:
    built = karpenter.build_manifests(PROD)
    gpu = [np for np in built["nodepools"] if np["metadata"]["name"].startswith("gpu-")]
    assert len(gpu) == 3
    for np in gpu:
        spec = np["spec"]["template"]["spec"]
        assert {"key": "nvidia.com/gpu", "effect": "NoSchedule"}.items() <= next(
            t for t in spec["taints"] if t["key"] == "nvidia.com/gpu").items()
        assert requirement(np, "karpenter.k8s.aws/instance-gpu-count") == {
            "key": "karpenter.k8s.aws/instance-gpu-count", "operator": "Gt", "values": ["0"]}
        assert "nvidia.com/gpu" in np["spec"]["limits"]
        assert np["spec"]["template"]["metadata"]["labels"][karpenter.GPU_LABEL] == "true"
        assert np["spec"]["disruption"]["consolidationPolicy"] == "WhenEmpty"
    training = nodepool(built, "gpu-training")
    assert training["spec"]["template"]["spec"]["expireAfter"] == "Never"
    assert training["spec"]["disruption"]["budgets"][0] == {"nodes": "0", "schedule": "0 7 * * 1-5", "duration": "12h"}


def test_gpu_nodepools_launch_nvidia_gpus_only() -> None:
    built = karpenter.build_manifests(PROD)
    nvidia = {"key": "karpenter.k8s.aws/instance-gpu-manufacturer", "operator": "In", "values": ["nvidia"]}
    for np in built["nodepools"]:
        gpu = np["metadata"]["name"].startswith("gpu-")
        assert requirement(np, "karpenter.k8s.aws/instance-gpu-manufacturer") == (nvidia if gpu else None)
        assert karpenter.validate_manifest(np) == []


def test_nodeclasses_are_hardened_and_use_the_region_ebs_alias() -> None:
    built = karpenter.build_manifests(PROD)
    alias = "arn:aws:kms:us-east-1:123456789012:alias/prod-us-east-ebs"
    for nc in built["ec2nodeclasses"]:
        spec = nc["spec"]
        assert spec["role"] == "prod-us-east-karpenter-node"
        assert spec["metadataOptions"]["httpTokens"] == "required"
        assert spec["metadataOptions"]["httpPutResponseHopLimit"] == 1
        assert spec["subnetSelectorTerms"] == [{"tags": {"karpenter.sh/discovery": "prod-us-east"}}]
        assert spec["securityGroupSelectorTerms"] == [{"tags": {"karpenter.sh/discovery": "prod-us-east"}}]
        assert all(d["ebs"]["encrypted"] and d["ebs"]["kmsKeyID"] == alias for d in spec["blockDeviceMappings"])
        assert sum(1 for d in spec["blockDeviceMappings"] if d.get("rootVolume")) == 1
    training = next(nc for nc in built["ec2nodeclasses"] if nc["metadata"]["name"] == "gpu-training")
    assert training["spec"]["amiSelectorTerms"] == [{"alias": "bottlerocket@latest"}]
    assert [d["deviceName"] for d in training["spec"]["blockDeviceMappings"]] == ["/dev/xvda", "/dev/xvdb"]
    assert training["spec"]["blockDeviceMappings"][1]["ebs"]["volumeSize"] == "500Gi"


# ------------------------------------------------------------------ capacity mixes


@pytest.mark.parametrize("share, expected", [(0.75, (3, 4)), (0.5, (1, 2)), (0.7, (7, 10)), (0.8, (4, 5)),
                                             (0.05, (1, 20)), (1 / 3, (1, 3)), (0.99, (19, 20)),
                                             (0.01, (1, 20)), (0.123, (2, 20))])
def test_spread_buckets(share: float, expected: tuple[int, int]) -> None:
    assert karpenter.spread_buckets(share) == expected


def test_ratio_pools_split_the_capacity_spread_domain() -> None:
    mixes = karpenter.build_manifests(load(HERE / "fixtures" / "mixes.tfvars.json"))
    spot = requirement(nodepool(mixes, "general-spot"), karpenter.SPREAD_LABEL)
    od = requirement(nodepool(mixes, "general-on-demand"), karpenter.SPREAD_LABEL)
    assert spot is not None and od is not None
    assert set(spot["values"]).isdisjoint(od["values"])
    assert len(spot["values"]) / (len(spot["values"]) + len(od["values"])) == pytest.approx(0.7)
    assert requirement(nodepool(mixes, "general-spot"), karpenter.CAPACITY_TYPE)["values"] == ["spot"]  # type: ignore[index]


def test_on_demand_baseline_fills_on_demand_first_then_bursts_to_spot() -> None:
    built = karpenter.build_manifests(PROD)
    od, spot = nodepool(built, "gpu-inference-on-demand"), nodepool(built, "gpu-inference-spot")
    assert od["spec"]["weight"] > spot["spec"]["weight"]
    # limits 384 cpu / 1536Gi / 16 GPUs, baseline 96 cpu + 4 GPUs: memory follows the cpu share
    assert od["spec"]["limits"] == {"cpu": 96, "memory": "384Gi", "nvidia.com/gpu": 4}
    assert spot["spec"]["limits"] == {"cpu": 288, "memory": "1152Gi", "nvidia.com/gpu": 12}
    # weight 100 still leaves room for the ordering
    mixes = karpenter.build_manifests(load(HERE / "fixtures" / "mixes.tfvars.json"))
    assert nodepool(mixes, "gpu-serve-on-demand")["spec"]["weight"] == 100
    assert nodepool(mixes, "gpu-serve-spot")["spec"]["weight"] == 99
    # baseline_cpu 64 of 256 only: GPUs (12) and memory (1024Gi) take the same quarter
    assert nodepool(mixes, "gpu-serve-on-demand")["spec"]["limits"] == {"cpu": 64, "memory": "256Gi",
                                                                        "nvidia.com/gpu": 3}
    assert nodepool(mixes, "gpu-serve-spot")["spec"]["limits"] == {"cpu": 192, "memory": "768Gi",
                                                                   "nvidia.com/gpu": 9}


def _quantity(value: Any) -> int:
    return int(str(value).removesuffix("Gi"))


@pytest.mark.parametrize("path", ALL_INPUTS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_split_pools_add_up_to_the_pool_limits(path: Path) -> None:
    inputs = load(path)
    built = karpenter.build_manifests(inputs)
    split = 0
    for pname, pool in inputs["karpenter"]["pools"].items():
        expected = {"cpu": pool["limits"]["cpu"], "memory": pool["limits"]["memory_gi"]}
        if pool["limits"].get("gpu") is not None:
            expected["nvidia.com/gpu"] = pool["limits"]["gpu"]
        names = [o["metadata"]["name"] for o in built["nodepools"] if o["metadata"]["name"] in
                 (pname, f"{pname}-spot", f"{pname}-on-demand")]
        parts = [nodepool(built, n)["spec"]["limits"] for n in names]
        assert {r: sum(_quantity(p[r]) for p in parts) for r in expected} == expected, pname
        if len(parts) == 2:
            split += 1
            od = nodepool(built, f"{pname}-on-demand")["spec"]["limits"]
            measure = "nvidia.com/gpu" if pool["gpu"] and (
                pool["capacity_mix"]["policy"] == "ratio" or pool["capacity_mix"].get("baseline_gpu") is not None
            ) else "cpu"
            # at full use the on-demand NodePool holds the share settings validation checks
            # (ratio rounds per resource: within one unit)
            assert _quantity(od[measure]) == pytest.approx(
                karpenter.on_demand_share(pool) * expected[measure], abs=1 if pool["capacity_mix"]["policy"] == "ratio" else 0)
    assert split >= 1


@pytest.mark.parametrize("values, k, n, spot, od", [
    ({"cpu": 1000, "memory_gi": 4000}, 3, 5, {"cpu": 600, "memory_gi": 2400}, {"cpu": 400, "memory_gi": 1600}),
    ({"cpu": 2, "memory_gi": 3, "gpu": 2}, 19, 20, {"cpu": 1, "memory_gi": 2, "gpu": 1},
     {"cpu": 1, "memory_gi": 1, "gpu": 1}),
    ({"cpu": 3, "memory_gi": 10}, 1, 20, {"cpu": 1, "memory_gi": 1}, {"cpu": 2, "memory_gi": 9}),
    ({"cpu": 5, "memory_gi": 7}, 1, 2, {"cpu": 3, "memory_gi": 4}, {"cpu": 2, "memory_gi": 3}),
])
def test_ratio_limits_split_k_over_n_each_at_least_one(values: dict[str, int], k: int, n: int,
                                                        spot: dict[str, int], od: dict[str, int]) -> None:
    assert karpenter.ratio_limits(values, k, n) == (spot, od)


def test_baseline_limits_from_gpu_baseline_only() -> None:
    values = {"cpu": 100, "memory_gi": 1000, "gpu": 8}
    od, spot = karpenter.baseline_limits(values, {"baseline_cpu": None, "baseline_gpu": 3})
    assert od == {"cpu": 38, "memory_gi": 375, "gpu": 3}  # 3/8 of cpu and memory, rounded up
    assert spot == {"cpu": 62, "memory_gi": 625, "gpu": 5}


@pytest.mark.parametrize("share, expected", [(0.6, 0.4), (0.75, 0.25), (0.123, 0.9), (0.33, 0.65)])
def test_ratio_on_demand_share_is_the_spread_split(share: float, expected: float) -> None:
    pool = {"gpu": False, "capacity_mix": {"policy": "ratio", "spot_share": share}, "limits": {"cpu": 10}}
    assert karpenter.on_demand_share(pool) == pytest.approx(expected)


def test_termination_grace_period_lands_on_the_template() -> None:
    data = copy.deepcopy(PROD)
    data["karpenter"]["pools"]["gpu-training"]["termination_grace_period"] = "24h"
    built = karpenter.build_manifests(data)
    training = nodepool(built, "gpu-training")
    assert training["spec"]["template"]["spec"]["terminationGracePeriod"] == "24h"
    assert karpenter.validate_manifest(training) == []
    assert "terminationGracePeriod" not in nodepool(built, "general-spot")["spec"]["template"]["spec"]


def test_spot_first_is_one_pool_with_both_capacity_types() -> None:
    mixes = karpenter.build_manifests(load(HERE / "fixtures" / "mixes.tfvars.json"))
    dev = nodepool(mixes, "gpu-dev")
    assert requirement(dev, karpenter.CAPACITY_TYPE)["values"] == ["on-demand", "spot"]  # type: ignore[index]
    assert not any(o["metadata"]["name"].startswith("gpu-dev-") for o in mixes["nodepools"])
    batch = nodepool(mixes, "batch")
    assert "weight" not in batch["spec"] and "budgets" not in batch["spec"]["disruption"]


# ------------------------------------------------------------------ reserved capacity and zones


RESERVATIONS = [{"id": "cr-0123456789abcdef0"}, {"tags": {"block": "p5-training"}, "owner": "210987654321"}]


def reserved(pool: str, **mix: Any) -> dict[str, list[dict[str, Any]]]:
    data = copy.deepcopy(PROD)
    data["karpenter"]["min_on_demand_share"] = 0
    data["karpenter"]["pools"][pool]["capacity_reservations"] = RESERVATIONS
    data["karpenter"]["pools"][pool]["zones"] = ["us-east-1b"]
    data["karpenter"]["pools"][pool]["capacity_mix"].update(mix)
    return karpenter.build_manifests(data)


def test_reserved_pool_adds_reserved_and_selects_its_reservations() -> None:
    built = reserved("gpu-training")
    training = nodepool(built, "gpu-training")
    assert requirement(training, karpenter.CAPACITY_TYPE)["values"] == ["on-demand", "reserved"]  # type: ignore[index]
    assert training["metadata"]["annotations"] == {"infra.platform/capacity-order": "reserved,on-demand"}
    assert requirement(training, "topology.kubernetes.io/zone") == {
        "key": "topology.kubernetes.io/zone", "operator": "In", "values": ["us-east-1b"]}
    nc = next(o for o in built["ec2nodeclasses"] if o["metadata"]["name"] == "gpu-training")
    assert nc["spec"]["capacityReservationSelectorTerms"] == [
        {"id": "cr-0123456789abcdef0"}, {"tags": {"block": "p5-training"}, "ownerID": "210987654321"}]
    # the other pools are as before: no reserved type, no annotation, no terms
    for np in built["nodepools"]:
        if np is not training:
            assert "reserved" not in requirement(np, karpenter.CAPACITY_TYPE)["values"]  # type: ignore[index]
            assert "annotations" not in np["metadata"]
    assert all("capacityReservationSelectorTerms" not in o["spec"] for o in built["ec2nodeclasses"] if o is not nc)
    for obj in built["nodepools"] + built["ec2nodeclasses"]:
        assert karpenter.validate_manifest(obj) == [], obj["metadata"]["name"]


@pytest.mark.parametrize("mix, names, types, order", [
    ({"policy": "on-demand"}, ["general"], [["on-demand", "reserved"]], ["reserved,on-demand"]),
    ({"policy": "spot"}, ["general"], [["reserved", "spot"]], ["reserved,spot"]),
    ({"policy": "spot-first"}, ["general"], [["on-demand", "reserved", "spot"]], ["reserved,spot,on-demand"]),
    ({"policy": "on-demand-baseline", "baseline_cpu": 100}, ["general-on-demand", "general-spot"],
     [["on-demand", "reserved"], ["reserved", "spot"]], ["reserved,on-demand,spot"] * 2),
    ({"policy": "ratio", "spot_share": 0.6}, ["general-on-demand", "general-spot"],
     [["on-demand", "reserved"], ["reserved", "spot"]], ["reserved,on-demand", "reserved,spot"]),
])
def test_reservations_come_first_then_the_capacity_mix(mix: dict[str, Any], names: list[str],
                                                        types: list[list[str]], order: list[str]) -> None:
    built = reserved("general", **mix)
    pools = [o for o in built["nodepools"] if o["metadata"]["name"] in ("general", "general-on-demand", "general-spot")]
    assert [o["metadata"]["name"] for o in pools] == names
    assert [requirement(o, karpenter.CAPACITY_TYPE)["values"] for o in pools] == types  # type: ignore[index]
    assert [o["metadata"]["annotations"]["infra.platform/capacity-order"] for o in pools] == order
    # reserved is not spot: the on-demand share a policy guarantees is the same with reservations
    data = copy.deepcopy(PROD)
    data["karpenter"]["min_on_demand_share"] = 0
    data["karpenter"]["pools"]["general"]["capacity_mix"].update(mix)
    plain = karpenter.build_manifests(data)
    assert [o["spec"]["limits"] for o in pools] == [nodepool(plain, n)["spec"]["limits"] for n in names]


def test_zones_outside_the_stack_region_are_rejected() -> None:
    data = copy.deepcopy(PROD)
    data["karpenter"]["pools"]["general"]["zones"] = ["us-west-2a"]
    assert karpenter.check_inputs(data) == [
        "karpenter.pools.general.zones: expected availability zones of the stack's region us-east-1, got us-west-2a"]


# ------------------------------------------------------------------ EFA (training pools)


def training(**efa: Any) -> dict[str, Any]:
    data = copy.deepcopy(PROD)
    pool = data["karpenter"]["pools"]["gpu-training"]
    pool.update(zones=["us-east-1a"], efa={"interfaces": 32, **efa})
    return data


def efa_nodeclass(data: dict[str, Any]) -> dict[str, Any]:
    return next(o for o in karpenter.build_manifests(data)["ec2nodeclasses"] if o["metadata"]["name"] == "gpu-training")


def test_efa_pool_gets_interfaces_placement_group_and_the_efa_security_group() -> None:
    nc = efa_nodeclass(training())
    nics = nc["spec"]["networkInterfaces"]
    assert nics[0] == {"networkCardIndex": 0, "deviceIndex": 0, "interfaceType": "interface"}
    assert nics[1] == {"networkCardIndex": 0, "deviceIndex": 1, "interfaceType": "efa-only"}
    assert nics[2:] == [{"networkCardIndex": c, "deviceIndex": 0, "interfaceType": "efa-only"} for c in range(1, 32)]
    assert nc["spec"]["placementGroupSelector"] == {"name": "prod-us-east-gpu-training"}
    assert nc["spec"]["securityGroupSelectorTerms"] == [
        {"tags": {"karpenter.sh/discovery": "prod-us-east"}}, {"tags": {"infra.platform/efa": "prod-us-east"}}]
    assert karpenter.validate_manifest(nc) == []
    # the NodePool is pinned to the one zone; the other pools get no EFA and keep one SG term
    built = karpenter.build_manifests(training())
    assert requirement(nodepool(built, "gpu-training"), "topology.kubernetes.io/zone")["values"] == [  # type: ignore[index]
        "us-east-1a"]
    for other in built["ec2nodeclasses"]:
        if other["metadata"]["name"] != "gpu-training":
            assert "networkInterfaces" not in other["spec"] and "placementGroupSelector" not in other["spec"]
            assert len(other["spec"]["securityGroupSelectorTerms"]) == 1


def test_efa_pool_with_a_named_placement_group_and_one_interface() -> None:
    nc = efa_nodeclass(training(interfaces=1, placement_group={"name": "existing-pg"}))
    assert nc["spec"]["placementGroupSelector"] == {"name": "existing-pg"}
    assert nc["spec"]["networkInterfaces"] == [
        {"networkCardIndex": 0, "deviceIndex": 0, "interfaceType": "interface"},
        {"networkCardIndex": 0, "deviceIndex": 1, "interfaceType": "efa-only"}]


def test_efa_off_renders_nothing_of_it() -> None:
    data = copy.deepcopy(PROD)
    data["karpenter"]["pools"]["gpu-training"]["efa"] = {"enabled": False, "interfaces": 4}
    assert karpenter.build_manifests(data) == karpenter.build_manifests(PROD)


@pytest.mark.parametrize("change, message", [
    ({"zones": None}, "an EFA pool needs exactly one zone"),
    ({"zones": ["us-east-1a", "us-east-1b"]}, "an EFA pool needs exactly one zone"),
    ({"instance_families": ["p5", "g6f"]}, "not EFA-capable: g6f"),
])
def test_efa_pool_rules_reject_with_one_line(change: dict[str, Any], message: str) -> None:
    data = training()
    data["karpenter"]["pools"]["gpu-training"].update(change)
    problems = karpenter.check_inputs(data)
    assert len(problems) == 1 and message in problems[0], problems


# ------------------------------------------------------------------ instance store


def test_instance_store_raid0_sets_the_policy_and_keeps_the_encrypted_root_volume() -> None:
    data = copy.deepcopy(PROD)
    data["karpenter"]["pools"]["gpu-training"]["instance_store"] = "raid0"
    before = {o["metadata"]["name"]: o for o in karpenter.build_manifests(PROD)["ec2nodeclasses"]}
    after = {o["metadata"]["name"]: o for o in karpenter.build_manifests(data)["ec2nodeclasses"]}
    assert after["gpu-training"]["spec"].pop("instanceStorePolicy") == "RAID0"
    assert after == before  # nothing else changes: the EBS volumes stay encrypted with the ebs key
    data["karpenter"]["pools"]["gpu-inference"]["instance_store"] = "raid0"
    data["karpenter"]["pools"]["general"]["instance_store"] = "raid0"  # m6i, m7i, c6i ...: no instance store
    problems = karpenter.check_inputs(data)
    assert problems == ["karpenter.pools.general.instance_store: instance_store raid0 needs families with local "
                        "NVMe instance store (such as g5, g6, p4d or p5); no local NVMe: " +
                        ", ".join(PROD["karpenter"]["pools"]["general"]["instance_families"])], problems


# ------------------------------------------------------------------ input rules (twins of variables.tf)


def pool_input(**mix: Any) -> dict[str, Any]:
    data = copy.deepcopy(PROD)
    data["karpenter"]["pools"]["general"]["capacity_mix"].update(mix)
    return data


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["karpenter"]["pools"]["gpu-training"].update(taints=[]), "needs the nvidia.com/gpu NoSchedule taint"),
    (lambda d: d["karpenter"]["pools"]["gpu-training"]["taints"][0].update(effect="PreferNoSchedule"),
     "needs the nvidia.com/gpu NoSchedule taint"),
    (lambda d: d["karpenter"]["pools"]["general"]["capacity_mix"].update(policy="cheapest"), "expected one of"),
    (lambda d: d["karpenter"]["pools"]["general"]["capacity_mix"].update(spot_share=1.5), "between 0 and 1"),
    (lambda d: d["karpenter"]["pools"]["general"]["capacity_mix"].update(spot_share=0.9),
     "is below karpenter.min_on_demand_share"),
    (lambda d: d["karpenter"]["pools"]["general"]["capacity_mix"].update(policy="spot-first"),
     "is below karpenter.min_on_demand_share"),
    (lambda d: d["karpenter"]["pools"]["gpu-inference"]["capacity_mix"].update(baseline_gpu=2),
     "on-demand share 0.12 is below"),
    (lambda d: d["karpenter"]["pools"]["general"]["capacity_mix"].update(spot_share=0.0), "ratio needs 0 < spot_share < 1"),
    (lambda d: d["karpenter"]["pools"]["general"].update(disruption_budgets=[{"nodes": "0", "schedule": "@daily",
                                                                               "duration": None, "reasons": []}]),
     "schedule and duration go together"),
    (lambda d: d["karpenter"]["pools"]["general"].update(ami_alias="al2@latest"), "ami_alias"),
    (lambda d: d["karpenter"]["pools"]["general"].update(consolidate_after="soon"), "consolidate_after"),
    (lambda d: d["karpenter"]["pools"]["gpu-inference"]["capacity_mix"].update(baseline_cpu=400),
     "baseline_cpu: expected a number between 0 and limits.cpu (384, at least 1)"),
    (lambda d: d["karpenter"]["pools"]["gpu-inference"]["capacity_mix"].update(baseline_gpu=17),
     "baseline_gpu: expected a number between 0 and limits.gpu (16, at least 1)"),
    (lambda d: d["karpenter"]["pools"]["general"]["limits"].update(cpu=1), "a ratio pool needs at least 2"),
    (lambda d: d["karpenter"]["pools"]["general"].update(termination_grace_period="1 day"),
     "termination_grace_period: expected a duration"),
])
def test_build_rejects_bad_pools_with_a_one_line_user_error(mutate: Any, message: str) -> None:
    data = copy.deepcopy(PROD)
    mutate(data)
    with pytest.raises(UserError) as info:
        karpenter.build_manifests(data, source="environments/prod.yaml")
    text = str(info.value)
    assert message in text and "\n" not in text
    assert text.startswith("environments/prod.yaml: karpenter.")


def test_check_inputs_accepts_the_fixtures() -> None:
    for path in ALL_INPUTS:
        assert karpenter.check_inputs(load(path)) == [], path


# ------------------------------------------------------------------ validate_manifest catches what the API server would


def prod_nodepool() -> dict[str, Any]:
    return copy.deepcopy(nodepool(karpenter.build_manifests(PROD), "gpu-inference-on-demand"))


def prod_nodeclass() -> dict[str, Any]:
    return copy.deepcopy(karpenter.build_manifests(PROD)["ec2nodeclasses"][0])


def reqs(obj: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = obj["spec"]["template"]["spec"]["requirements"]
    return result


NODEPOOL_BREAKS = [
    ("unknown operator", lambda o: reqs(o)[0].update(operator="Contains"), "'Contains' is not one of"),
    ("In without values", lambda o: reqs(o)[0].update(values=[]), "operator 'In' must have a value"),
    ("Gt with text", lambda o: reqs(o)[3].update(values=["zero"]), "single positive integer value"),
    ("Gt with two values", lambda o: reqs(o)[3].update(values=["0", "1"]), "single positive integer value"),
    ("Exists with values", lambda o: reqs(o).append({"key": "team", "operator": "Exists", "values": ["a"]}),
     "must not have values"),
    ("minValues above values", lambda o: reqs(o)[0].update(minValues=5), "at least that many values"),
    ("restricted karpenter.sh key", lambda o: reqs(o).append({"key": "karpenter.sh/nodepool", "operator": "In",
                                                              "values": ["x"]}), "restricted"),
    ("restricted aws domain", lambda o: reqs(o).append({"key": "karpenter.k8s.aws/made-up", "operator": "Exists"}),
     "label domain \"karpenter.k8s.aws\" is restricted"),
    ("schedule without duration", lambda o: o["spec"]["disruption"]["budgets"][0].pop("duration"),
     "'schedule' must be set with 'duration'"),
    ("duration without schedule", lambda o: o["spec"]["disruption"]["budgets"][1].update(duration="1h"),
     "'schedule' must be set with 'duration'"),
    ("bad budget duration", lambda o: o["spec"]["disruption"]["budgets"][0].update(duration="10 hours"),
     "does not match"),
    ("cron with six fields", lambda o: o["spec"]["disruption"]["budgets"][0].update(schedule="0 0 8 * * 1-5"),
     "5-field cron"),
    ("bad budget nodes", lambda o: o["spec"]["disruption"]["budgets"][1].update(nodes="ten"), "does not match"),
    ("bad consolidateAfter", lambda o: o["spec"]["disruption"].update(consolidateAfter="5 min"), "does not match"),
    ("missing consolidateAfter", lambda o: o["spec"]["disruption"].pop("consolidateAfter"), "is a required property"),
    ("bad expireAfter", lambda o: o["spec"]["template"]["spec"].update(expireAfter="30d"), "does not match"),
    ("bad taint effect", lambda o: o["spec"]["template"]["spec"]["taints"][0].update(effect="NoRun"),
     "'NoRun' is not one of"),
    ("weight above 100", lambda o: o["spec"].update(weight=101), "101 is greater than the maximum of 100"),
    ("weight zero", lambda o: o["spec"].update(weight=0), "0 is less than the minimum of 1"),
    ("bad consolidation policy", lambda o: o["spec"]["disruption"].update(consolidationPolicy="Always"),
     "'Always' is not one of"),
    ("fractional limit", lambda o: o["spec"]["limits"].update(cpu=1.5), "is not valid under any of the given schemas"),
    ("weight on static pool", lambda o: o["spec"].update(replicas=2), "'weight' is not supported on static NodePools"),
    ("empty nodeClassRef name", lambda o: o["spec"]["template"]["spec"]["nodeClassRef"].update(name=""),
     "may not be empty"),
    ("label value too long", lambda o: o["spec"]["template"]["metadata"]["labels"].update(team="x" * 64),
     "is too long"),
    ("wrong apiVersion", lambda o: o.update(apiVersion="karpenter.sh/v1beta1"), "apiVersion: expected"),
]


@pytest.mark.parametrize("label, breaker, message", NODEPOOL_BREAKS, ids=[b[0] for b in NODEPOOL_BREAKS])
def test_validate_manifest_catches_nodepool_errors(label: str, breaker: Any, message: str) -> None:
    obj = prod_nodepool()
    assert karpenter.validate_manifest(obj) == []
    breaker(obj)
    errors = karpenter.validate_manifest(obj)
    assert any(message in e for e in errors), errors


NODECLASS_BREAKS = [
    ("alias family", lambda o: o["spec"]["amiSelectorTerms"][0].update(alias="ubuntu@latest"), "not supported"),
    ("alias format", lambda o: o["spec"]["amiSelectorTerms"][0].update(alias="al2023"), "family@version"),
    ("alias with tags", lambda o: o["spec"]["amiSelectorTerms"][0].update(tags={"a": "b"}), "mutually exclusive"),
    ("alias plus another term", lambda o: o["spec"]["amiSelectorTerms"].append({"id": "ami-123"}),
     "cannot be combined"),
    ("amiFamily mismatch", lambda o: o["spec"].update(amiFamily="Bottlerocket"), "must be 'AL2023' or 'Custom'"),
    ("role and instanceProfile", lambda o: o["spec"].update(instanceProfile="p"), "exactly one of"),
    ("no role", lambda o: o["spec"].pop("role"), "exactly one of"),
    ("empty subnet terms", lambda o: o["spec"].update(subnetSelectorTerms=[]), "cannot be empty"),
    ("empty selector term", lambda o: o["spec"]["securityGroupSelectorTerms"].append({}), "expected at least one"),
    ("empty tag value", lambda o: o["spec"]["subnetSelectorTerms"][0]["tags"].update(team=""), "empty tag"),
    ("two root volumes", lambda o: o["spec"]["blockDeviceMappings"].append(
        {"deviceName": "/dev/xvdc", "rootVolume": True, "ebs": {"volumeSize": "10Gi"}}), "only one blockDeviceMappings"),
    ("volume without size", lambda o: o["spec"]["blockDeviceMappings"][0]["ebs"].pop("volumeSize"),
     "snapshotID or volumeSize"),
    ("bad volume size", lambda o: o["spec"]["blockDeviceMappings"][0]["ebs"].update(volumeSize="100GB"),
     "does not match"),
    ("imds tokens optional typo", lambda o: o["spec"]["metadataOptions"].update(httpTokens="sometimes"),
     "is not one of"),
    ("hop limit zero", lambda o: o["spec"]["metadataOptions"].update(httpPutResponseHopLimit=0), "minimum of 1"),
    ("restricted tag", lambda o: o["spec"]["tags"].update({"kubernetes.io/cluster/x": "owned"}), "restricted"),
    ("missing subnet terms", lambda o: o["spec"].pop("subnetSelectorTerms"), "is a required property"),
    ("empty reservation term", lambda o: o["spec"].update(capacityReservationSelectorTerms=[{}]),
     "expected at least one, got none"),
    ("reservation id with tags", lambda o: o["spec"].update(
        capacityReservationSelectorTerms=[{"id": "cr-1", "tags": {"a": "b"}}]), "'id' is mutually exclusive"),
    ("reservation id pattern", lambda o: o["spec"].update(capacityReservationSelectorTerms=[{"id": "r-1"}]),
     "does not match"),
    ("reservation empty tag value", lambda o: o["spec"].update(capacityReservationSelectorTerms=[{"tags": {"a": ""}}]),
     "empty tag keys or values"),
    ("reservation owner pattern", lambda o: o["spec"].update(
        capacityReservationSelectorTerms=[{"tags": {"a": "b"}, "ownerID": "12"}]), "does not match"),
]


EFA_NODECLASS_BREAKS = [
    ("no primary interface", lambda o: o["spec"]["networkInterfaces"].pop(0), "must include a primary interface"),
    ("primary efa-only", lambda o: o["spec"]["networkInterfaces"][0].update(interfaceType="efa-only"),
     "must include a primary interface"),
    ("two efa on one card", lambda o: o["spec"]["networkInterfaces"][2].update(networkCardIndex=0, deviceIndex=2),
     "at most one efa device per network card"),
    ("same card and device", lambda o: o["spec"]["networkInterfaces"][3].update(networkCardIndex=1),
     "must not have duplicate networkCardIndex and deviceIndex pairs"),
    ("unknown interface type", lambda o: o["spec"]["networkInterfaces"][1].update(interfaceType="efa"),
     "'efa' is not one of"),
    ("negative card", lambda o: o["spec"]["networkInterfaces"][1].update(networkCardIndex=-1), "less than the minimum"),
    ("placement group empty", lambda o: o["spec"].update(placementGroupSelector={}), "expected at least one"),
    ("placement group name and id", lambda o: o["spec"]["placementGroupSelector"].update(id="pg-0123"),
     "'name' and 'id' are mutually exclusive"),
    ("instance store policy", lambda o: o["spec"].update(instanceStorePolicy="RAID1"), "'RAID1' is not one of"),
    ("placement group id pattern", lambda o: o["spec"].update(placementGroupSelector={"id": "cpg-1"}), "does not match"),
]


@pytest.mark.parametrize("label, breaker, message", EFA_NODECLASS_BREAKS, ids=[b[0] for b in EFA_NODECLASS_BREAKS])
def test_validate_manifest_catches_efa_nodeclass_errors(label: str, breaker: Any, message: str) -> None:
    obj = copy.deepcopy(efa_nodeclass(training()))
    assert karpenter.validate_manifest(obj) == []
    breaker(obj)
    errors = karpenter.validate_manifest(obj)
    assert any(message in e for e in errors), errors


@pytest.mark.parametrize("label, breaker, message", NODECLASS_BREAKS, ids=[b[0] for b in NODECLASS_BREAKS])
def test_validate_manifest_catches_nodeclass_errors(label: str, breaker: Any, message: str) -> None:
    obj = prod_nodeclass()
    assert karpenter.validate_manifest(obj) == []
    breaker(obj)
    errors = karpenter.validate_manifest(obj)
    assert any(message in e for e in errors), errors


def test_every_valid_pool_case_renders_objects_the_crds_accept() -> None:
    """Every valid case of the pool-rules table (tests/settings/pool_cases.py), every new pool kind
    with it (reserved, zonal, ...), renders NodePools and EC2NodeClasses the bundled CRDs accept."""
    from tests.settings.pool_cases import CASES

    identity = {"environment": "test", "name": "test-us-east", "region": "us-east-1", "account_id": "123456789012"}
    valid = [c for c in CASES if c.error is None]
    assert len(valid) >= 40
    for case in valid:
        built = karpenter.build_manifests({**identity, "karpenter": case.data()})
        for obj in built["nodepools"] + built["ec2nodeclasses"]:
            assert karpenter.validate_manifest(obj) == [], (case.id, obj["metadata"]["name"])


def test_validate_manifest_rejects_other_kinds() -> None:
    assert karpenter.validate_manifest({"kind": "Deployment"}) == [
        "kind: expected one of ['EC2NodeClass', 'NodePool'], got 'Deployment'"]


def test_crds_are_bundled_with_their_provenance() -> None:
    import hashlib
    import json

    provenance = json.loads((karpenter.CRD_DIR / "PROVENANCE.json").read_text())
    assert sorted(provenance) == sorted(karpenter.CRD_FILES.values())
    for name, entry in provenance.items():
        assert hashlib.sha256((karpenter.CRD_DIR / name).read_bytes()).hexdigest() == entry["sha256"], name
        assert entry["version"] == "1.14.1"


def test_missing_bundled_crd_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(karpenter, "CRD_DIR", tmp_path)
    karpenter._crd_schema.cache_clear()
    try:
        with pytest.raises(UserError, match="bundled Karpenter CRD missing"):
            karpenter.validate_manifest(prod_nodepool())
    finally:
        karpenter._crd_schema.cache_clear()


# ------------------------------------------------------------------ Helm values, Argo CD, files


def test_helm_values_and_argocd_applications() -> None:
    built = karpenter.build_manifests(PROD)
    crd, chart = built["applications"]
    assert crd["spec"]["source"]["chart"] == "karpenter-crd"
    assert chart["spec"]["source"]["chart"] == "karpenter"
    waves = [int(a["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) for a in (crd, chart)]
    assert waves[0] < waves[1]
    for app in (crd, chart):
        assert app["spec"]["source"]["targetRevision"] == "1.14.1"
        assert app["spec"]["source"]["repoURL"] == "public.ecr.aws/karpenter"
        assert app["spec"]["destination"]["namespace"] == "kube-system"
    values = chart["spec"]["source"]["helm"]["valuesObject"]
    assert values == karpenter.helm_values(PROD)
    gates = values["settings"].pop("featureGates")  # the gates are checked in test_helm_values_set_the_feature_gates
    assert values["settings"] == {"clusterName": "prod-us-east", "interruptionQueue": "prod-us-east-karpenter"}
    assert gates["reservedCapacity"] is True
    assert values["serviceAccount"]["name"] == "karpenter"
    assert chart["spec"]["source"]["helm"]["skipCrds"] is True


def test_render_is_deterministic_and_round_trips(tmp_path: Path) -> None:
    first = karpenter.render_files(PROD)
    shuffled = json.loads(json.dumps(PROD))
    shuffled["karpenter"]["pools"] = dict(reversed(list(shuffled["karpenter"]["pools"].items())))
    assert karpenter.render_files(shuffled) == first
    written = karpenter.write_manifests(tmp_path / "manifests", PROD)
    assert sorted(p.name for p in written) == sorted(first)
    built = karpenter.build_manifests(PROD)
    loaded = list(yaml.safe_load_all((tmp_path / "manifests" / "karpenter-nodepools.yaml").read_text()))
    assert loaded == built["nodepools"]
    assert not list((tmp_path / "manifests").glob(".*.tmp"))


def test_helm_values_set_the_feature_gates() -> None:
    values = karpenter.helm_values(PROD)
    assert values["settings"]["featureGates"] == {"nodeRepair": True, "reservedCapacity": True}
    data = copy.deepcopy(PROD)
    data["karpenter"]["node_health"] = {"node_repair": False}
    assert karpenter.helm_values(data)["settings"]["featureGates"] == {"nodeRepair": False, "reservedCapacity": True}
    chart = karpenter.build_manifests(data)["applications"][1]
    assert chart["spec"]["source"]["helm"]["valuesObject"] == karpenter.helm_values(data)


# ------------------------------------------------------------------ scale to zero


def test_scale_to_zero_gpu_pool_consolidates_when_empty() -> None:
    data = copy.deepcopy(PROD)
    pool = data["karpenter"]["pools"]["gpu-inference"]
    pool.update(scale_to_zero=True, consolidation_policy="WhenEmptyOrUnderutilized", consolidate_after="20m",
                disruption_budgets=[{"nodes": "0", "schedule": "0 12 * * mon-fri", "duration": "11h",
                                     "reasons": ["Underutilized", "Drifted"]}, {"nodes": "1"}])
    built = karpenter.build_manifests(data)
    for name in ("gpu-inference-on-demand", "gpu-inference-spot"):
        np = nodepool(built, name)
        assert np["spec"]["disruption"]["consolidationPolicy"] == "WhenEmpty"
        assert np["spec"]["disruption"]["consolidateAfter"] == "20m"
        assert "replicas" not in np["spec"]  # dynamic NodePools: no static minimum
        assert karpenter.validate_manifest(np) == []
    # a budget that keeps empty nodes in business hours keeps idle GPUs: rejected
    pool["disruption_budgets"][0]["reasons"] = []
    assert "no budget with nodes 0 may cover reason Empty (budget 0)" in karpenter.check_inputs(data)[0]


def test_the_readme_training_pool_is_valid_and_renders_objects_the_crds_accept() -> None:
    import re

    text = (REPO / "modules" / "karpenter" / "README.md").read_text(encoding="utf-8")
    example = yaml.safe_load(re.search(r"```yaml\n(karpenter:.*?)```", text, re.S).group(1))  # type: ignore[union-attr]
    data = copy.deepcopy(PROD)
    data["karpenter"]["pools"].update(example["karpenter"]["pools"])
    built = karpenter.build_manifests(data)
    for obj in built["nodepools"] + built["ec2nodeclasses"]:
        assert karpenter.validate_manifest(obj) == [], obj["metadata"]["name"]
    nc = next(o for o in built["ec2nodeclasses"] if o["metadata"]["name"] == "gpu-training")
    assert {"networkInterfaces", "placementGroupSelector", "capacityReservationSelectorTerms",
            "instanceStorePolicy"} <= set(nc["spec"])
