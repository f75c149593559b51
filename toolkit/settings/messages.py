"""One-line messages for settings errors, and the helpers that give rules their own words.

Pydantic's messages ("Input should be less than or equal to 1") say what failed, not what
is expected. Two helpers let a rule speak for itself:

- :func:`expect` wraps a field's type and constraints: whatever the inner validation
  rejects becomes one error ``"<message>, got <value>"``. The constraints stay in the
  JSON Schema (editors still see ``minimum``, ``enum``, ``pattern``).
- :func:`problem` is the error a model validator raises for a rule that spans fields;
  ``at`` names the key below the model the rule is about, so the message (and the
  ``file:line`` the loader reports) points at that key, not at the whole model.

:func:`one_line` words one pydantic error with the formatter of :mod:`toolkit.errors`, the one
used everywhere (the settings loader, artifacts, policy files, and the Karpenter contract
check that ``toolkit.render`` runs on plain tfvars).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError, ValidatorFunctionWrapHandler, WrapValidator
from pydantic_core import PydanticCustomError

from toolkit.errors import describe, error_loc, key_path

RULE_ERROR = "settings_rule"

KeyPath = tuple[str | int, ...]


def expect(message: str) -> WrapValidator:
    """Replace every error of the wrapped validation with ``"<message>, got <value>"``."""

    def wrap(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError:
            raise PydanticCustomError(RULE_ERROR, "{message}, got {got}",
                                      {"message": message, "got": repr(value)}) from None

    return WrapValidator(wrap)


def problem(message: str, *at: str | int) -> PydanticCustomError:
    """The error of a cross-field rule, located at ``at`` below the validated model."""
    return PydanticCustomError(RULE_ERROR, "{message}", {"message": message, "at": tuple(at)})


def one_line(err: Mapping[str, Any], prefix: KeyPath = ()) -> str:
    """``"<key path>: <message>"`` for one pydantic error (the formatter of :mod:`toolkit.errors`)."""
    return f"{key_path(prefix + error_loc(err))}: {describe(err)}"
