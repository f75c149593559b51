"""Launch templates require IMDSv2 with a hop limit of 1."""

from __future__ import annotations

from typing import Any

import infra_common as ic
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class LaunchTemplateImdsV2(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Launch templates require IMDSv2 with a hop limit of 1",
            id="CKV_INFRA_10",
            categories=[CheckCategories.GENERAL_SECURITY],
            supported_resources=["aws_launch_template"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["metadata_options/[0]/http_tokens", "metadata_options/[0]/http_put_response_hop_limit"]
        tokens = ic.get(conf, "metadata_options", "http_tokens")
        hops = ic.get(conf, "metadata_options", "http_put_response_hop_limit")
        if ic.is_unresolved(tokens) or ic.is_unresolved(hops):
            return CheckResult.UNKNOWN
        if ic.get(conf, "metadata_options", "http_endpoint") == "disabled":
            return CheckResult.PASSED
        return CheckResult.PASSED if tokens == "required" and ic.as_number(hops) == 1 else CheckResult.FAILED


check_imds = LaunchTemplateImdsV2()
