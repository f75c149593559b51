"""EKS control plane: private endpoint and deletion protection in strict environments, audit logs,
envelope encryption; cluster admin only for named principals of the stack's own account."""

from __future__ import annotations

import re
from typing import Any

import infra_common as ic
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class EksEndpointPrivate(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="EKS API endpoint is private in strict environments",
            id="CKV_INFRA_7",
            categories=[CheckCategories.NETWORKING],
            supported_resources=["aws_eks_cluster"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        env = ic.environment(conf, ic.file_context(self.entity_path))
        if env is None:
            return CheckResult.UNKNOWN
        if not ic.is_strict(env):
            return CheckResult.PASSED
        self.evaluated_keys = ["vpc_config/[0]/endpoint_public_access", "vpc_config/[0]/endpoint_private_access"]
        public = ic.get(conf, "vpc_config", "endpoint_public_access")
        private = ic.get(conf, "vpc_config", "endpoint_private_access")
        # The provider defaults to a public endpoint and no private one.
        public_b = True if public is None else ic.as_bool(public)
        private_b = False if private is None else ic.as_bool(private)
        if public_b is None or private_b is None:
            return CheckResult.UNKNOWN
        return CheckResult.PASSED if not public_b and private_b else CheckResult.FAILED


class EksControlPlaneLogs(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="EKS sends all control-plane log types (api, audit, authenticator, controllerManager, scheduler)",
            id="CKV_INFRA_9",
            categories=[CheckCategories.LOGGING],
            supported_resources=["aws_eks_cluster"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["enabled_cluster_log_types"]
        raw = conf.get("enabled_cluster_log_types")
        if raw is None:
            return CheckResult.FAILED
        values = raw
        if isinstance(values, list) and len(values) == 1 and isinstance(values[0], list):
            values = values[0]
        if isinstance(values, str):
            return CheckResult.UNKNOWN if ic.is_unresolved(values) else CheckResult.FAILED
        if not isinstance(values, list):
            return CheckResult.UNKNOWN
        enabled = {str(v) for v in values}
        return CheckResult.PASSED if set(ic.CONTROL_PLANE_LOG_TYPES) <= enabled else CheckResult.FAILED


class EksSecretsEncryption(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="EKS encrypts Kubernetes secrets with a customer managed KMS key",
            id="CKV_INFRA_20",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=["aws_eks_cluster"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["encryption_config"]
        for block in ic.blocks(conf.get("encryption_config")):
            resources = ic.get(block, "resources")
            resources = resources if isinstance(resources, list) else [resources]
            key_arn = ic.get(block, "provider", "key_arn")
            if "secrets" in resources and key_arn not in (None, ""):
                return CheckResult.PASSED
        return CheckResult.FAILED


class EksDeletionProtection(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="EKS clusters have deletion protection on in strict environments",
            id="CKV_INFRA_25",
            categories=[CheckCategories.BACKUP_AND_RECOVERY],
            supported_resources=["aws_eks_cluster"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        env = ic.environment(conf, ic.file_context(self.entity_path))
        if env is None:
            return CheckResult.UNKNOWN
        if not ic.is_strict(env):
            return CheckResult.PASSED
        self.evaluated_keys = ["deletion_protection"]
        value = ic.get(conf, "deletion_protection")
        if value is None:
            return CheckResult.FAILED  # EKS default: off
        flag = ic.as_bool(value)
        if flag is None:
            return CheckResult.UNKNOWN
        return CheckResult.PASSED if flag else CheckResult.FAILED


class EksNoCreatorAdmin(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="EKS does not make the cluster creator a cluster admin (bootstrap_cluster_creator_admin_permissions)",
            id="CKV_INFRA_26",
            categories=[CheckCategories.IAM],
            supported_resources=["aws_eks_cluster"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """The EKS API defaults to true: a missing ``access_config`` or attribute fails."""
        self.evaluated_keys = ["access_config/[0]/bootstrap_cluster_creator_admin_permissions"]
        value = ic.get(conf, "access_config", "bootstrap_cluster_creator_admin_permissions")
        if value is None or value == []:
            return CheckResult.FAILED
        flag = ic.as_bool(value)
        if flag is None:
            return CheckResult.UNKNOWN
        return CheckResult.FAILED if flag else CheckResult.PASSED


ADMIN_ACCESS_POLICIES = ("AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy")
_ACCESS_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:eks::aws:cluster-access-policy/(.+)$")
_PRINCIPAL_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):")


class EksAdminInOwnAccount(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="EKS cluster-admin access policies are only associated with principals of the stack's own account",
            id="CKV_INFRA_29",
            categories=[CheckCategories.IAM],
            supported_resources=["aws_eks_access_policy_association"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """``AmazonEKSClusterAdminPolicy`` / ``AmazonEKSAdminPolicy`` to a ``principal_arn`` whose account
        is not the stack's. The stack's account: ``account_id`` of the context when it has one,
        else the account the plan itself names (``ic.plan_account``: its ``aws:SourceAccount``-style
        conditions, else the majority of its ARNs; the association and access entries do not vote).
        UNKNOWN when either account cannot be read (HCL, values known only after apply)."""
        self.evaluated_keys = ["policy_arn", "principal_arn"]
        policy_arn = ic.get(conf, "policy_arn")
        if not isinstance(policy_arn, str) or policy_arn == ic.UNKNOWN_VALUE or ic.is_unresolved(policy_arn):
            return CheckResult.UNKNOWN
        match = _ACCESS_POLICY_ARN.match(policy_arn)
        if not match or match.group(1) not in ADMIN_ACCESS_POLICIES:
            return CheckResult.PASSED
        principal = ic.get(conf, "principal_arn")
        found = _PRINCIPAL_ACCOUNT.match(principal) if isinstance(principal, str) else None
        if found is None:
            return CheckResult.UNKNOWN
        ctx = ic.file_context(self.entity_path) or {}
        account = str(ctx["account_id"]) if ctx.get("account_id") else None
        if account is None:
            plan = ic.scanned_plan(conf)
            if plan is not None:
                account = ic.plan_account(
                    plan, exclude_types=("aws_eks_access_entry", "aws_eks_access_policy_association")
                )
        if account is None:
            return CheckResult.UNKNOWN
        return CheckResult.PASSED if found.group(1) == account else CheckResult.FAILED


check_endpoint = EksEndpointPrivate()
check_logs = EksControlPlaneLogs()
check_secrets_encryption = EksSecretsEncryption()
check_deletion_protection = EksDeletionProtection()
check_creator_admin = EksNoCreatorAdmin()
check_admin_account = EksAdminInOwnAccount()
