"""EC2NodeClasses: one per pool (``modules/karpenter/nodepools.tf`` builds the same)."""

from __future__ import annotations

from toolkit.render.karpenter.common import (
    EFA_SECURITY_GROUP_TAG,
    MANAGED_BY,
    NODECLASS_API,
    POOL_LABEL,
    Json,
    Stack,
    ebs_key_alias_arn,
    node_role_name,
    placement_group_name,
)
from toolkit.settings.pools import Pool


def nodeclass(pname: str, pool: Pool, stack: Stack) -> Json:
    family = pool.ami_alias.split("@", 1)[0]
    ebs = {
        "deleteOnTermination": True,
        "encrypted": True,
        "kmsKeyID": ebs_key_alias_arn(stack.region, stack.account_id, stack.name),
        "volumeSize": f"{pool.root_volume_gi}Gi",
        "volumeType": "gp3",
    }
    if family == "bottlerocket":
        # Bottlerocket: a small OS volume, kubelet and images on the data volume.
        os_ebs = dict(ebs, volumeSize="4Gi")
        devices = [
            {"deviceName": "/dev/xvda", "ebs": os_ebs},
            {"deviceName": "/dev/xvdb", "ebs": ebs, "rootVolume": True},
        ]
    else:
        devices = [{"deviceName": "/dev/xvda", "ebs": ebs, "rootVolume": True}]
    tags = dict(stack.tags)
    tags[POOL_LABEL] = pname
    spec: Json = {
        "amiSelectorTerms": [{"alias": pool.ami_alias}],
        "blockDeviceMappings": devices,
        "metadataOptions": {
            "httpEndpoint": "enabled",
            "httpProtocolIPv6": "disabled",
            "httpPutResponseHopLimit": 1,
            "httpTokens": "required",
        },
        "role": node_role_name(stack.name),
        "securityGroupSelectorTerms": [{"tags": stack.discovery_tags}],
        "subnetSelectorTerms": [{"tags": stack.discovery_tags}],
        "tags": tags,
    }
    if pool.instance_store == "raid0":
        spec["instanceStorePolicy"] = "RAID0"
    if pool.capacity_reservations:
        spec["capacityReservationSelectorTerms"] = [t.selector() for t in pool.capacity_reservations]
    if pool.efa is not None and pool.efa.enabled:
        # EFA: the interfaces, the placement group, and the EFA security group (self-referencing
        # all traffic in and out) besides the cluster security group.
        spec["networkInterfaces"] = pool.efa.network_interfaces()
        group = pool.efa.placement_group
        spec["placementGroupSelector"] = {"name": group.name or placement_group_name(stack.name, pname)}
        cluster = stack.discovery_tags["karpenter.sh/discovery"]
        spec["securityGroupSelectorTerms"] = [{"tags": stack.discovery_tags},
                                              {"tags": {EFA_SECURITY_GROUP_TAG: cluster}}]
    return {
        "apiVersion": NODECLASS_API,
        "kind": "EC2NodeClass",
        "metadata": {"name": pname, "labels": dict(MANAGED_BY)},
        "spec": spec,
    }


def nodeclasses(stack: Stack) -> list[Json]:
    pools = stack.karpenter.pools
    return [nodeclass(pname, pools[pname], stack) for pname in sorted(pools)]
