"""Names, constants and the stack identity the Karpenter builders share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from toolkit.settings.pools import Karpenter

NODEPOOL_API = "karpenter.sh/v1"
NODECLASS_API = "karpenter.k8s.aws/v1"
CAPACITY_TYPE = "karpenter.sh/capacity-type"
CAPACITY_ORDER = "infra.platform/capacity-order"  # annotation of a reserved pool's NodePools
ZONE_LABEL = "topology.kubernetes.io/zone"
# Tag of the EFA security group (modules/eks-cluster, value: the cluster name) that the
# EC2NodeClasses of EFA pools select besides the cluster security group.
EFA_SECURITY_GROUP_TAG = "infra.platform/efa"
SPREAD_LABEL = "capacity-spread"
GPU_RESOURCE = "nvidia.com/gpu"
GPU_LABEL = "nvidia.com/gpu.present"
POOL_LABEL = "infra.platform/pool"
MANAGED_BY = {"app.kubernetes.io/managed-by": "infra"}
ARGOCD_NAMESPACE = "argocd"
CHART_REPOSITORY = "public.ecr.aws/karpenter"  # Argo CD form of oci://public.ecr.aws/karpenter

Json = dict[str, Any]

# The contract keys the builders read besides `karpenter` (see docs/contracts.md).
IDENTITY_KEYS = ("environment", "region", "account_id", "name")


def node_role_name(name: str) -> str:
    return f"{name}-karpenter-node"


def controller_role_name(name: str) -> str:
    return f"{name}-karpenter-controller"


def queue_name(name: str) -> str:
    return f"{name}-karpenter"


def placement_group_name(name: str, pool: str) -> str:
    """The cluster placement group modules/karpenter creates for an EFA pool (strategy cluster)."""
    return f"{name}-{pool}"


def ebs_key_alias_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:kms:{region}:{account_id}:alias/{name}-ebs"


@dataclass(frozen=True)
class Stack:
    """What the Karpenter objects of one stack are built from: identity plus the validated pools."""

    name: str
    region: str
    account_id: str
    karpenter: Karpenter
    tags: dict[str, str] = field(default_factory=dict)
    # The module tags by var.cluster_name (as the network and eks-cluster modules tag subnets
    # and security groups); the root stack's cluster is named var.name, so the two agree.
    cluster_name: str | None = None

    @property
    def discovery_tags(self) -> dict[str, str]:
        return {"karpenter.sh/discovery": self.cluster_name or self.name}

    @classmethod
    def of(cls, inputs: Mapping[str, Any], karpenter: Karpenter) -> Stack:
        """The stack of a contract's inputs (``terraform.tfvars.json``) whose ``karpenter`` validated."""
        return cls(name=str(inputs["name"]), region=str(inputs["region"]), account_id=str(inputs["account_id"]),
                   karpenter=karpenter, tags={str(k): str(v) for k, v in (inputs.get("tags") or {}).items()},
                   cluster_name=inputs.get("cluster_name") or None)
