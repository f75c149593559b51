"""The base model and the constrained types that several settings models share."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

DURATION_RE = r"^([0-9]+(s|m|h))+$"
NAME_RE = r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$"

Name = Annotated[str, StringConstraints(pattern=NAME_RE)]
RegionKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,30}$")]
Zone = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,8}$")]
AccountId = Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]
IamArn = Annotated[str, StringConstraints(
    pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]{1,512}$")]
LambdaArn = Annotated[str, StringConstraints(
    pattern=r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}$")]
Duration = Annotated[str, StringConstraints(pattern=DURATION_RE)]
FreeText = Annotated[str, StringConstraints(max_length=256)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False, validate_default=True)
