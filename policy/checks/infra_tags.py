"""Required tags on every taggable resource of a plan (tags_all includes provider default_tags)."""

from __future__ import annotations

from typing import Any

import infra_common as ic
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class RequiredTags(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Taggable resources carry the required tags (owner, cost-center, data-classification, environment)",
            id="CKV_INFRA_12",
            categories=[CheckCategories.CONVENTION],
            supported_resources=["aws_*"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        # In HCL, tags usually come from provider default_tags, which only the plan resolves.
        if not ic.is_plan(conf) or ("tags_all" not in conf and "tags" not in conf):
            return CheckResult.UNKNOWN
        self.evaluated_keys = ["tags_all"]
        tags = ic.get(conf, "tags_all")
        if tags == ic.UNKNOWN_VALUE:
            return CheckResult.UNKNOWN
        if not isinstance(tags, dict):
            tags = ic.get(conf, "tags")
        if not isinstance(tags, dict):
            tags = {}
        missing = [t for t in ic.policy()["required_tags"] if not str(tags.get(t) or "").strip()]
        return CheckResult.FAILED if missing else CheckResult.PASSED


check_tags = RequiredTags()
