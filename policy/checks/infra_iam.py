"""IAM: global names carry the region; EC2 launch/tag/terminate rights stay on Karpenter-owned
resources of one region; Pod Identity and IRSA trust policies are bound to an account and a cluster.

The two policy rules read a policy wherever it appears: JSON text on a resource (``policy``,
``inline_policy``, ``assume_role_policy``) and the ``data "aws_iam_policy_document"`` it is
built from (HCL, and plans that read the document during apply, as they do for the Karpenter
controller policy). Each rule has one id for both shapes."""

from __future__ import annotations

import fnmatch
from typing import Any

import infra_common as ic
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.data.base_check import BaseDataCheck
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class IamNameRegionQualified(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="IAM role, policy and instance profile names include the region",
            id="CKV_INFRA_19",
            categories=[CheckCategories.IAM],
            supported_resources=[
                "aws_iam_role",
                "aws_iam_policy",
                "aws_iam_instance_profile",
                "aws_iam_user",
                "aws_iam_group",
            ],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        ctx = ic.file_context(self.entity_path)
        if ctx is None:
            return CheckResult.UNKNOWN
        tokens = [str(t) for t in (ctx.get("region_key"), ctx.get("aws_region")) if t]
        if not tokens:
            return CheckResult.UNKNOWN
        self.evaluated_keys = ["name", "name_prefix"]
        name = ic.get(conf, "name")
        prefix = ic.get(conf, "name_prefix")
        for value in (name, prefix):
            if isinstance(value, str) and value and value != ic.UNKNOWN_VALUE and not ic.is_unresolved(value):
                return CheckResult.PASSED if any(t in value for t in tokens) else CheckResult.FAILED
        return CheckResult.PASSED  # generated unique name (or known only after apply)


# --- CKV_INFRA_22: EC2 launch, tag and terminate rights scoped like modules/karpenter/iam.tf ---

DESTROY_ACTIONS = ("ec2:TerminateInstances", "ec2:DeleteLaunchTemplate")
LAUNCH_ACTIONS = ("ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate")
TAG_ACTIONS = ("ec2:CreateTags",)
# What Karpenter creates and owns; RunInstances/CreateFleet also name the image, snapshot, subnet,
# security group and capacity reservation they use, which carry no Karpenter tag.
OWNED_TYPES = ("instance", "fleet", "volume", "network-interface", "spot-instances-request", "launch-template")
NODEPOOL_TAGS = ("aws:resourcetag/karpenter.sh/nodepool", "aws:requesttag/karpenter.sh/nodepool")
CLUSTER_TAG_PREFIXES = ("aws:resourcetag/kubernetes.io/cluster/", "aws:requesttag/kubernetes.io/cluster/")
CLUSTER_NAME_TAG = "aws:requesttag/eks:eks-cluster-name"


def _arn_parts(resource: str) -> list[str] | None:
    parts = resource.split(":", 5)
    return parts if len(parts) == 6 and parts[0] == "arn" else None


def _owned(resource: str) -> bool:
    if resource == "*":
        return True
    parts = _arn_parts(resource)
    if parts is None:
        return True  # not an ARN we can read: assume it covers owned resources
    rtype = parts[5].split("/", 1)[0]
    return any(fnmatch.fnmatchcase(t, rtype) for t in OWNED_TYPES) or "*" in rtype


def _region_scoped(st: ic.Statement, keys: set[str]) -> bool:
    """Every resource ARN names one region, or the statement has an ``aws:RequestedRegion`` condition."""
    if "aws:requestedregion" in keys:
        return True
    for resource in st.resources:
        parts = _arn_parts(resource)
        if parts is None or not parts[3] or "*" in parts[3] or "?" in parts[3]:
            return False
    return True


def ec2_scope_failure(st: ic.Statement) -> CheckResult | None:
    """FAILED when an Allow statement grants EC2 launch, tag or terminate rights more widely than
    modules/karpenter does, UNKNOWN when that depends on a part known only after apply, else None."""
    if "effect" in st.unknown or "actions" in st.unknown:
        return CheckResult.UNKNOWN if st.effect.lower() == "allow" else None
    if st.effect.lower() != "allow":
        return None
    destroy = [a for a in DESTROY_ACTIONS if st.grants(a)]
    launch = [a for a in LAUNCH_ACTIONS if st.grants(a)]
    tag = [a for a in TAG_ACTIONS if st.grants(a)]
    if not (destroy or launch or tag):
        return None
    if "conditions" in st.unknown:
        return CheckResult.UNKNOWN
    keys = st.condition_keys()
    nodepool_resource = NODEPOOL_TAGS[0] in keys
    nodepool_any = any(k in keys for k in NODEPOOL_TAGS)
    cluster_resource = any(k.startswith(CLUSTER_TAG_PREFIXES[0]) for k in keys)
    cluster_any = any(k.startswith(CLUSTER_TAG_PREFIXES) for k in keys) or CLUSTER_NAME_TAG in keys
    if destroy and not (nodepool_resource and cluster_resource):
        return CheckResult.FAILED  # terminate/delete without aws:ResourceTag nodepool + cluster conditions
    if tag and not (nodepool_any and cluster_any):
        return CheckResult.FAILED  # CreateTags could mark any instance as Karpenter's, then terminate it
    resources_known = "resources" not in st.unknown
    if launch and not (nodepool_any and cluster_any):
        if not resources_known:
            return CheckResult.UNKNOWN
        if any(_owned(r) for r in st.resources):
            return CheckResult.FAILED  # launches owned resources without the tags Karpenter sets
    if not _region_scoped(st, keys):
        return CheckResult.UNKNOWN if not resources_known else CheckResult.FAILED
    return None


def _verdict(statements: list[ic.Statement] | None, failure: Any) -> CheckResult:
    if statements is None:
        return CheckResult.UNKNOWN
    results = [failure(st) for st in statements]
    if CheckResult.FAILED in results:
        return CheckResult.FAILED
    if CheckResult.UNKNOWN in results:
        return CheckResult.UNKNOWN
    return CheckResult.PASSED


def _resource_documents(conf: dict[str, Any]) -> list[Any]:
    docs = [conf["policy"]] if "policy" in conf else []
    for block in ic.blocks(conf.get("inline_policy")):
        if "policy" in block:
            docs.append(block["policy"])
    return docs


def _resource_statements(conf: dict[str, Any], key: str | None = None) -> list[ic.Statement] | None:
    docs = [conf[key]] if key else _resource_documents(conf)
    out: list[ic.Statement] = []
    for doc in docs:
        if ic.first(doc) in (None, "", "{}", {}):
            continue
        statements = ic.statements_of(doc)
        if statements is None:
            return None
        out.extend(statements)
    return out


EC2_SCOPE_NAME = (
    "EC2 launch, tag and terminate rights are limited to Karpenter-owned resources "
    "(nodepool and cluster tag conditions) in one region"
)


class Ec2RightsScoped(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name=EC2_SCOPE_NAME,
            id="CKV_INFRA_22",
            categories=[CheckCategories.IAM],
            supported_resources=[
                "aws_iam_policy",
                "aws_iam_role_policy",
                "aws_iam_user_policy",
                "aws_iam_group_policy",
                "aws_iam_role",
            ],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["policy", "inline_policy"]
        return _verdict(_resource_statements(conf), ec2_scope_failure)


class Ec2RightsScopedDocument(BaseDataCheck):
    def __init__(self) -> None:
        super().__init__(
            name=EC2_SCOPE_NAME,
            id="CKV_INFRA_22",
            categories=[CheckCategories.IAM],
            supported_data=["aws_iam_policy_document"],
        )

    def scan_data_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["statement"]
        return _verdict(ic.document_statements(conf), ec2_scope_failure)


# --- CKV_INFRA_27: Pod Identity / IRSA trust bound to the account and the cluster ---------

POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
ACCOUNT_KEYS = ("aws:sourceaccount", "aws:sourcearn")
# Keys that tie a Pod Identity session to one cluster: the cluster ARN as source, or the session
# tags EKS Pod Identity sets (modules/eks-cluster checks aws:RequestTag/eks-cluster-arn).
CLUSTER_KEYS = (
    "aws:sourcearn",
    "aws:requesttag/eks-cluster-arn",
    "aws:requesttag/eks-cluster-name",
    "aws:principaltag/eks-cluster-arn",
    "aws:principaltag/eks-cluster-name",
)


def _trust_kind(st: ic.Statement) -> str | None:
    services = [s.lower() for s in st.principals.get("Service", [])]
    if POD_IDENTITY_SERVICE in services:
        return "pod-identity"
    federated = st.principals.get("Federated", [])
    if any("oidc-provider/" in f or f.startswith("oidc.eks.") for f in federated):
        return "oidc"  # IRSA (oidc.eks.<region>.amazonaws.com/id/...) and any other OIDC provider
    return None


def _bound(st: ic.Statement, keys: tuple[str, ...]) -> bool:
    """A positive condition on one of ``keys`` whose values are not all wildcards."""
    for op, key, values in st.conditions:
        if key in keys and ic.is_positive_condition(op, values) and any(v.strip("*") for v in values):
            return True
    return False


def trust_failure(st: ic.Statement) -> CheckResult | None:
    """FAILED when a Pod Identity trust is not bound to the account and one cluster, or an OIDC
    trust (IRSA, or any web-identity provider) has no ``<provider>:sub`` condition naming a subject
    (not ``*``, not every service account); UNKNOWN when that depends on a part known only after
    apply; else None."""
    if "effect" in st.unknown or "principals" in st.unknown:
        return CheckResult.UNKNOWN if st.effect.lower() == "allow" else None
    if st.effect.lower() != "allow":
        return None
    kind = _trust_kind(st)
    if kind is None:
        return None
    if "conditions" in st.unknown:
        return CheckResult.UNKNOWN
    if kind == "pod-identity":
        if not _bound(st, ACCOUNT_KEYS) or not _bound(st, CLUSTER_KEYS):
            return CheckResult.FAILED
        return None
    subs = [vals for op, key, vals in st.conditions if key.endswith(":sub") and ic.is_positive_condition(op, vals)]
    too_wide = any(v.strip() in ("*", "system:serviceaccount:*") or v.endswith(":*:*") for vals in subs for v in vals)
    return CheckResult.FAILED if not subs or too_wide else None


TRUST_NAME = "EKS Pod Identity and IRSA trust policies are bound to the account and one cluster"


class WorkloadTrustBound(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name=TRUST_NAME,
            id="CKV_INFRA_27",
            categories=[CheckCategories.IAM],
            supported_resources=["aws_iam_role"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["assume_role_policy"]
        if "assume_role_policy" not in conf:
            return CheckResult.UNKNOWN
        return _verdict(_resource_statements(conf, "assume_role_policy"), trust_failure)


class WorkloadTrustBoundDocument(BaseDataCheck):
    def __init__(self) -> None:
        super().__init__(
            name=TRUST_NAME,
            id="CKV_INFRA_27",
            categories=[CheckCategories.IAM],
            supported_data=["aws_iam_policy_document"],
        )

    def scan_data_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["statement"]
        return _verdict(ic.document_statements(conf), trust_failure)


check_iam_name = IamNameRegionQualified()
check_ec2_scope = Ec2RightsScoped()
check_ec2_scope_document = Ec2RightsScopedDocument()
check_trust = WorkloadTrustBound()
check_trust_document = WorkloadTrustBoundDocument()
