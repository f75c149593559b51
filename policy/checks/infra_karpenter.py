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


class NodeClassEbsEncrypted(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name="EC2NodeClass block device mappings are EBS-encrypted (not with the AWS managed key)",
            id="CKV_INFRA_24",
            categories=[CheckCategories.ENCRYPTION],
            supported_entities=["EC2NodeClass"],
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Every mapping with ``ebs`` sets ``encrypted: true``; a ``kmsKeyID`` may not be
        ``alias/aws/ebs``. Without mappings the AMI family's defaults apply and our EBS key is not
        used, so a node class must list them (modules/karpenter always renders the root volume)."""
        mappings = (conf.get("spec") or {}).get("blockDeviceMappings")
        if not isinstance(mappings, list) or not mappings:
            return CheckResult.FAILED
        volumes = [m.get("ebs") for m in mappings if isinstance(m, dict) and m.get("ebs") is not None]
        if not volumes:
            return CheckResult.FAILED
        for ebs in volumes:
            if not isinstance(ebs, dict) or ic.as_bool(ebs.get("encrypted")) is not True:
                return CheckResult.FAILED
            key = ebs.get("kmsKeyID")
            if isinstance(key, str) and key.endswith("alias/aws/ebs"):
                return CheckResult.FAILED
        return CheckResult.PASSED


def _percent(value: Any) -> float | None:
    """A budget's ``nodes`` as a share of the pool (``"10%"`` -> 0.1); an absolute count -> 0.0."""
    text = str(value).strip()
    if text.endswith("%"):
        number = ic.as_number(text[:-1])
        return None if number is None else number / 100
    number = ic.as_number(text)
    return None if number is None else 0.0


class NodePoolDisruptionBudgets(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name="NodePools set disruption budgets that limit how many nodes are disrupted at once",
            id="CKV_INFRA_28",
            categories=[CheckCategories.KUBERNETES],
            supported_entities=["NodePool"],
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        """``spec.disruption.budgets`` is a non-empty list with at least one budget below 100% of
        the nodes (an absolute count or a percentage under 100)."""
        disruption = (conf.get("spec") or {}).get("disruption") or {}
        budgets = disruption.get("budgets") if isinstance(disruption, dict) else None
        if not isinstance(budgets, list) or not budgets:
            return CheckResult.FAILED
        shares = [_percent(b.get("nodes")) for b in budgets if isinstance(b, dict) and b.get("nodes") is not None]
        return CheckResult.PASSED if any(s is not None and s < 1.0 for s in shares) else CheckResult.FAILED


NODE_ROLE_SUFFIX = "-karpenter-node"


class NodeClassNodeRole(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name="EC2NodeClass uses the module's Karpenter node role (<env>-<region>-karpenter-node)",
            id="CKV_INFRA_34",
            categories=[CheckCategories.IAM],
            supported_entities=["EC2NodeClass"],
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        """``spec.role`` is ``<name>-karpenter-node`` with the stack name of the context (``name``) when
        the context has it, else ``<environment>-...-karpenter-node``; ``spec.instanceProfile``
        (any role behind it) fails. Without a context: UNKNOWN."""
        ctx = ic.file_context(self.entity_path)
        spec = conf.get("spec") or {}
        if spec.get("instanceProfile"):
            return CheckResult.FAILED
        if ctx is None or not ctx.get("environment"):
            return CheckResult.UNKNOWN
        role = spec.get("role")
        if not isinstance(role, str) or not role:
            return CheckResult.FAILED
        if ctx.get("name"):
            return CheckResult.PASSED if role == f"{ctx['name']}{NODE_ROLE_SUFFIX}" else CheckResult.FAILED
        prefix = f"{ctx['environment']}-"
        middle = role[len(prefix) : -len(NODE_ROLE_SUFFIX)] if role.endswith(NODE_ROLE_SUFFIX) else ""
        return CheckResult.PASSED if role.startswith(prefix) and middle else CheckResult.FAILED


class ReservedNodePoolSelectsReservations(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name="NodePools that allow capacity type reserved use an EC2NodeClass that selects capacity reservations",
            id="CKV_INFRA_35",
            categories=[CheckCategories.KUBERNETES],
            supported_entities=["NodePool"],
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        """A NodePool that may launch ``reserved`` capacity names an EC2NodeClass (in the same
        manifests folder) whose ``capacityReservationSelectorTerms`` is a non-empty list of terms
        that each select something (``id``, non-empty ``tags`` or ``instanceMatchCriteria``).
        Without it the pool never gets reserved capacity and paid reservations sit idle.
        Pools without ``reserved`` pass; a node class outside the folder: UNKNOWN."""
        if "reserved" not in ic.capacity_types(conf):
            return CheckResult.PASSED
        nodeclass = ic.sibling_nodeclass(self.entity_path, conf)
        if nodeclass is None:
            return CheckResult.UNKNOWN
        terms = (nodeclass.get("spec") or {}).get("capacityReservationSelectorTerms")
        if not isinstance(terms, list) or not terms:
            return CheckResult.FAILED
        for term in terms:
            if not isinstance(term, dict) or not (term.get("id") or term.get("tags") or term.get("instanceMatchCriteria")):
                return CheckResult.FAILED
        return CheckResult.PASSED


ZONE_KEYS = ("topology.kubernetes.io/zone", "topology.k8s.aws/zone-id")


class EfaNodePoolSingleZone(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name="NodePools of EFA node classes are pinned to exactly one availability zone",
            id="CKV_INFRA_36",
            categories=[CheckCategories.KUBERNETES],
            supported_entities=["NodePool"],
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        """A NodePool whose EC2NodeClass (same manifests folder) attaches ``efa-only`` interfaces
        has a ``topology.kubernetes.io/zone`` (or ``topology.k8s.aws/zone-id``) requirement ``In``
        exactly one zone: EFA traffic and cluster placement groups do not cross zones, so nodes of
        one training job in two zones cannot talk over EFA. Other NodePools pass; a node class
        outside the folder: UNKNOWN."""
        nodeclass = ic.sibling_nodeclass(self.entity_path, conf)
        if nodeclass is None:
            return CheckResult.UNKNOWN
        nics = (nodeclass.get("spec") or {}).get("networkInterfaces") or []
        if not any(isinstance(n, dict) and n.get("interfaceType") == "efa-only" for n in nics):
            return CheckResult.PASSED
        zones: set[str] | None = None
        for req in ic.requirements(conf):
            if req.get("key") in ZONE_KEYS and req.get("operator") == "In":
                values = {str(v) for v in req.get("values") or []}
                zones = values if zones is None else zones & values
        return CheckResult.PASSED if zones is not None and len(zones) == 1 else CheckResult.FAILED


check_gpu_taint = GpuNodePoolTaint()
check_gpu_limit = GpuNodePoolLimit()
check_on_demand = OnDemandShare()
check_nodeclass_imds = NodeClassImdsV2()
check_nodeclass_ebs = NodeClassEbsEncrypted()
check_budgets = NodePoolDisruptionBudgets()
check_node_role = NodeClassNodeRole()
check_reserved_selector = ReservedNodePoolSelectsReservations()
check_efa_single_zone = EfaNodePoolSingleZone()
