"""EKS control plane: private endpoint in strict environments, audit logs, envelope encryption."""

from __future__ import annotations

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


check_endpoint = EksEndpointPrivate()
check_logs = EksControlPlaneLogs()
check_secrets_encryption = EksSecretsEncryption()
