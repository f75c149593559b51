"""Rules on the rendered Karpenter objects (NodePool, EC2NodeClass)."""

from __future__ import annotations

from typing import Any

import infra_common as ic
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check


class GpuNodePoolTaint(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name="GPU NodePools carry the nvidia.com/gpu NoSchedule taint",
            id="CKV_INFRA_1",
            categories=[CheckCategories.KUBERNETES],
            supported_entities=["NodePool"],
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        if not ic.is_gpu_nodepool(conf):
            return CheckResult.PASSED
        spec = ((conf.get("spec") or {}).get("template") or {}).get("spec") or {}
        for taint in spec.get("taints") or []:
            if isinstance(taint, dict) and taint.get("key") == "nvidia.com/gpu" and taint.get("effect") == "NoSchedule":
                return CheckResult.PASSED
        return CheckResult.FAILED


class GpuNodePoolLimit(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name="GPU NodePools set a nvidia.com/gpu limit",
            id="CKV_INFRA_2",
            categories=[CheckCategories.KUBERNETES],
            supported_entities=["NodePool"],
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        if not ic.is_gpu_nodepool(conf):
            return CheckResult.PASSED
        limits = (conf.get("spec") or {}).get("limits") or {}
        value = ic.as_number(limits.get("nvidia.com/gpu"))
        return CheckResult.PASSED if value is not None and value > 0 else CheckResult.FAILED


class OnDemandShare(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name="Pool on-demand share is not below the environment's floor (and its setting in strict environments)",
            id="CKV_INFRA_3",
            categories=[CheckCategories.KUBERNETES],
            supported_entities=["NodePool"],
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        """The minimum is the policy floor ``min_on_demand_share`` of the environment (a change to the
        environment settings cannot lower it) and, in strict environments, the rendered setting
        ``karpenter.min_on_demand_share`` too: the larger of the two."""
        ctx = ic.file_context(self.entity_path)
        if ctx is None:
            return CheckResult.UNKNOWN
        env = ctx.get("environment")
        minimums = [ic.env_floor(env, "min_on_demand_share")]
        if ic.is_strict(env):
            minimums.append(ic.as_number(ctx.get("min_on_demand_share")) or 0.0)
        known = [m for m in minimums if m is not None]
        if not known:
            return CheckResult.PASSED
        minimum = max(known)
        group = ic.pool_group(conf)
        siblings = [p for p in ic.load_sibling_nodepools(self.entity_path) if ic.pool_group(p) == group]
        share = ic.on_demand_share(siblings or [conf])
        return CheckResult.PASSED if share + 1e-9 >= minimum else CheckResult.FAILED


class NodeClassImdsV2(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name="EC2NodeClass requires IMDSv2 with a hop limit of 1",
            id="CKV_INFRA_11",
            categories=[CheckCategories.KUBERNETES],
            supported_entities=["EC2NodeClass"],
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        # Omitted fields take the CRD defaults: httpTokens=required, hop limit 1.
        options = (conf.get("spec") or {}).get("metadataOptions") or {}
        tokens = options.get("httpTokens", "required")
        hops = ic.as_number(options.get("httpPutResponseHopLimit", 1))
        if options.get("httpEndpoint", "enabled") == "disabled":
            return CheckResult.PASSED
        return CheckResult.PASSED if tokens == "required" and hops == 1 else CheckResult.FAILED


check_gpu_taint = GpuNodePoolTaint()
check_gpu_limit = GpuNodePoolLimit()
check_on_demand = OnDemandShare()
check_nodeclass_imds = NodeClassImdsV2()
