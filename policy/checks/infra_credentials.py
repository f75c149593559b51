"""No AWS credentials in the configuration: access key ids anywhere in a resource, secret-looking
tag values, and keys, secrets or session tokens written into a provider block."""

from __future__ import annotations

import re
from typing import Any

import infra_common as ic
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.provider.base_check import BaseProviderCheck
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

# Tag keys that announce a credential (``db-password``, ``api_key``, ``aws_secret_access_key``).
CREDENTIAL_TAG_KEY = re.compile(r"(password|passwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key)", re.I)
TAG_ATTRIBUTES = ("tags", "tags_all")


def _tag_pairs(conf: dict[str, Any]) -> list[tuple[str, str]]:
    """Every tag key/value of a resource: ``tags``/``tags_all`` at any depth (``tag_specifications``
    too), ``tag { key value }`` blocks and ``aws_ec2_tag``'s own key and value."""
    pairs: list[tuple[str, str]] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if str(key).startswith("__"):
                    continue
                inner = ic.first(item)
                if key in TAG_ATTRIBUTES and isinstance(inner, dict):
                    pairs.extend((str(k), v) for k, v in inner.items() if isinstance(v, str))
                elif key == "tag" or key == "default_tags":
                    for block in ic.blocks(item):
                        k, v = ic.get(block, "key"), ic.get(block, "value")
                        if isinstance(k, str) and isinstance(v, str):
                            pairs.append((k, v))
                        walk(block)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(conf)
    key, val = ic.get(conf, "key"), ic.get(conf, "value")
    if isinstance(key, str) and isinstance(val, str) and "resource_id" in conf:
        pairs.append((key, val))  # aws_ec2_tag
    return pairs


def _credential_tag(key: str, value: str) -> bool:
    text = value.strip()
    if not text or text == ic.UNKNOWN_VALUE or ic.is_unresolved(text):
        return False
    if ic.ACCESS_KEY_ID.search(text) or ic.looks_like_secret_key(text):
        return True
    return bool(CREDENTIAL_TAG_KEY.search(key)) and not text.startswith("arn:")


class NoCredentialsInResources(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="No AWS access key id in any attribute and no credential-looking tag value",
            id="CKV_INFRA_30",
            categories=[CheckCategories.SECRETS],
            supported_resources=["aws_*"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Fails on an ``AKIA``/``ASIA`` access key id in any string of the resource, and on a tag
        whose value has the shape of a secret access key (40 base64 characters, mixed case and
        digits) or whose key names a credential (``password``, ``token``, ``secret`` ...)."""
        self.evaluated_keys = ["tags", "tags_all"]
        for _path, text in ic.walk_strings(conf):
            if ic.ACCESS_KEY_ID.search(text):
                return CheckResult.FAILED
        for key, value in _tag_pairs(conf):
            if _credential_tag(key, value):
                return CheckResult.FAILED
        return CheckResult.PASSED


# Provider arguments that carry a credential (aws provider; assume_role / assume_role_with_web_identity).
CREDENTIAL_ARGUMENTS = ("access_key", "secret_key", "token", "web_identity_token")


class NoCredentialsInProvider(BaseProviderCheck):
    def __init__(self) -> None:
        super().__init__(
            name="The aws provider block holds no access key, secret key or session token",
            id="CKV_INFRA_31",
            categories=[CheckCategories.SECRETS],
            supported_provider=["aws"],
        )

    def scan_provider_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Fails on a literal ``access_key``/``secret_key``/``token`` (at any depth: ``assume_role``
        blocks too), on an access key id or a secret-key-shaped value anywhere in the block
        (``default_tags`` included). References (``var.x`` without a default) pass: the value then
        comes from the environment, not from the repository. In a plan checkov keeps only constant
        provider arguments, so anything left there was written literally."""
        for path, text in ic.walk_strings(conf):
            if ic.ACCESS_KEY_ID.search(text) or ic.looks_like_secret_key(text):
                return CheckResult.FAILED
            leaf = path.rsplit("/", 1)[-1]
            if leaf in CREDENTIAL_ARGUMENTS and text.strip() and not ic.is_unresolved(text):
                return CheckResult.FAILED
        return CheckResult.PASSED


check_resource_credentials = NoCredentialsInResources()
check_provider_credentials = NoCredentialsInProvider()
