"""Helm values of the karpenter chart and the Argo CD Applications that install both charts."""

from __future__ import annotations

from toolkit.render.karpenter.common import ARGOCD_NAMESPACE, CHART_REPOSITORY, MANAGED_BY, Json, Stack, queue_name


def values(name: str, cluster_endpoint: str | None = None, node_repair: bool = True) -> Json:
    """Values for the karpenter chart of cluster ``name`` (the CRDs come from the karpenter-crd chart)."""
    # ReservedCapacity: native capacity reservations (capacity type reserved); BETA and on by
    # default in 1.14, stated so that a chart default change cannot turn reserved pools off.
    # NodeRepair: ALPHA, off by default; on unless karpenter.node_health.node_repair is false.
    gates = {"nodeRepair": node_repair, "reservedCapacity": True}
    settings: Json = {"clusterName": name, "featureGates": gates, "interruptionQueue": queue_name(name)}
    if cluster_endpoint is not None:
        settings["clusterEndpoint"] = cluster_endpoint
    return {
        "controller": {"resources": {"limits": {"memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}}},
        "replicas": 2,
        "serviceAccount": {"create": True, "name": "karpenter"},
        "settings": settings,
        "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}],
    }


def application(stack: Stack, chart: str, wave: int, chart_values: Json | None) -> Json:
    helm: Json = {"releaseName": chart}
    if chart_values is not None:
        helm["valuesObject"] = chart_values
        helm["skipCrds"] = True
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": f"{stack.name}-{chart}",
            "namespace": ARGOCD_NAMESPACE,
            "labels": dict(MANAGED_BY),
            "annotations": {"argocd.argoproj.io/sync-wave": str(wave)},
        },
        "spec": {
            "project": "default",
            "source": {
                "repoURL": CHART_REPOSITORY,
                "chart": chart,
                "targetRevision": stack.karpenter.chart_version,
                "helm": helm,
            },
            "destination": {"server": "https://kubernetes.default.svc", "namespace": stack.karpenter.namespace},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": ["CreateNamespace=true", "ServerSideApply=true"],
            },
        },
    }


def applications(stack: Stack) -> list[Json]:
    """The CRD chart first (sync wave -1), then the controller chart."""
    return [
        application(stack, "karpenter-crd", -1, None),
        application(stack, "karpenter", 0, values(stack.name, node_repair=stack.karpenter.node_health.node_repair)),
    ]
