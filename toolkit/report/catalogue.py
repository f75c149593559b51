"""The control catalogue: compliance controls and the checks that evidence them.

``controls/catalogue.yaml`` maps each control of a framework (CIS, SOC 2, ISO/IEC 27001,
GDPR) to checkov check ids and our own ``CKV_INFRA_*`` policies. It is validated strictly
(unknown keys, duplicate controls, malformed check ids are errors with ``file:line``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from toolkit.errors import UserError
from toolkit.settings.loader import validate_doc
from toolkit.settings.yamlio import read_yaml

CATALOGUE_PATH = Path("controls") / "catalogue.yaml"

# checkov ids (CKV_AWS_58, CKV2_AWS_11), ours (CKV_INFRA_7) and the scan's pseudo-checks
# (INFRA_PROTECTED_CHANGE: a destroy/replace of a protected resource type in the plan).
CHECK_ID_RE = re.compile(r"^(CKV2?_[A-Z0-9]+_[0-9]+|INFRA_[A-Z_]+)$")

CheckId = Annotated[str, StringConstraints(pattern=CHECK_ID_RE.pattern)]
# A Terraform resource type (aws_kms_key) or the kind of a rendered manifest object (EC2NodeClass).
ResourceType = Annotated[str, StringConstraints(pattern=r"^([a-z][a-z0-9_]*|[A-Z][A-Za-z0-9]*)$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$")]
NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Framework(_Strict):
    """A compliance framework the catalogue maps to."""

    id: Slug = Field(description="Short key used by controls, e.g. 'cis-eks'.")
    name: NonEmpty = Field(description="Full name, e.g. 'CIS Amazon EKS Benchmark'.")
    version: NonEmpty = Field(description="Edition of the framework the ids refer to.")
    url: str | None = Field(default=None, description="Where the framework is published.")


class Control(_Strict):
    """One control of a framework and the checks whose results evidence it."""

    framework: Slug
    id: NonEmpty = Field(description="The framework's own reference, e.g. '5.3.1' or 'CC6.1'.")
    title: NonEmpty
    description: NonEmpty
    checks: list[CheckId] = Field(min_length=1)
    applies_to: list[ResourceType] = Field(
        default_factory=list,
        description="Resource types in scope: Terraform types (aws_kms_key) in the plan, and "
        "kinds (EC2NodeClass) of the rendered manifests; a region without any of them and "
        "without results for the checks is 'not applicable'.",
    )

    @property
    def key(self) -> str:
        return f"{self.framework}/{self.id}"

    @model_validator(mode="after")
    def _unique_lists(self) -> Control:
        for name in ("checks", "applies_to"):
            values: list[str] = getattr(self, name)
            dupes = sorted({v for v in values if values.count(v) > 1})
            if dupes:
                raise ValueError(f"{name} lists {', '.join(dupes)} more than once")
        return self


class Catalogue(_Strict):
    """The whole catalogue file."""

    schema_version: int = Field(ge=1, le=1)
    frameworks: list[Framework] = Field(min_length=1)
    controls: list[Control] = Field(min_length=1)

    @model_validator(mode="after")
    def _cross_refs(self) -> Catalogue:
        fw_ids = [f.id for f in self.frameworks]
        dupes = sorted({f for f in fw_ids if fw_ids.count(f) > 1})
        if dupes:
            raise ValueError(f"framework id {dupes[0]!r} is defined more than once")
        seen: set[str] = set()
        for c in self.controls:
            if c.framework not in fw_ids:
                raise ValueError(
                    f"control {c.id!r} names unknown framework {c.framework!r} "
                    f"(expected one of {', '.join(fw_ids)})"
                )
            if c.key in seen:
                raise ValueError(f"control {c.key!r} is defined more than once")
            seen.add(c.key)
        return self

    def framework(self, framework_id: str) -> Framework:
        for f in self.frameworks:
            if f.id == framework_id:
                return f
        raise KeyError(framework_id)

    def check_ids(self) -> set[str]:
        return {check for c in self.controls for check in c.checks}


def load_catalogue(path: Path) -> Catalogue:
    """Read and validate a catalogue file; errors are one-line ``UserError``s with file:line."""
    doc = read_yaml(Path(path))
    assert doc is not None  # required=True
    result = validate_doc(Catalogue, doc)
    if not isinstance(result, Catalogue):  # pragma: no cover - validate_doc returns the model
        raise UserError(f"{path}: not a control catalogue")
    return result
