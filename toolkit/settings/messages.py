"""One-line messages for settings errors, and the helpers that give rules their own words.

Pydantic's messages ("Input should be less than or equal to 1") say what failed, not what
is expected. Two helpers let a rule speak for itself:

- :func:`expect` wraps a field's type and constraints: whatever the inner validation
  rejects becomes one error ``"<message>, got <value>"``. The constraints stay in the
  JSON Schema (editors still see ``minimum``, ``enum``, ``pattern``).
- :func:`problem` is the error a model validator raises for a rule that spans fields;
  ``at`` names the key below the model the rule is about, so the message (and the
  ``file:line`` the loader reports) points at that key, not at the whole model.

:func:`error_loc` and :func:`describe` turn one pydantic error into the key path and text
used everywhere settings are validated (the loader, and the Karpenter contract check that
``toolkit.render`` runs on plain tfvars).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError, ValidatorFunctionWrapHandler, WrapValidator
from pydantic_core import PydanticCustomError

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


def error_loc(err: Mapping[str, Any]) -> KeyPath:
    """Where an error is: pydantic's location plus the ``at`` of a :func:`problem`."""
    loc = tuple(err.get("loc") or ())
    if err.get("type") == RULE_ERROR:
        loc += tuple((err.get("ctx") or {}).get("at") or ())
    return loc


def fmt_path(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def describe(err: Mapping[str, Any]) -> str:
    kind = err.get("type", "")
    msg = str(err.get("msg", "invalid value"))
    if kind == RULE_ERROR:
        return msg
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see `infra config schema`)"
    if kind == "missing":
        return "required key is missing"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if kind.endswith("_type") or kind.endswith("_parsing"):
        got = err.get("input")
        if isinstance(got, (dict, list)):
            return f"{msg} (got {type(got).__name__})"
        return f"{msg} (got {type(got).__name__} {got!r})"
    if kind == "string_pattern_mismatch":
        got = err.get("input")
        return f"{got!r} does not match the expected pattern {err.get('ctx', {}).get('pattern')}"
    if kind == "literal_error":
        return f"{msg} (got {err.get('input')!r})"
    return msg


def one_line(err: Mapping[str, Any], prefix: KeyPath = ()) -> str:
    """``"<key path>: <message>"`` for one pydantic error."""
    return f"{fmt_path(prefix + error_loc(err))}: {describe(err)}"
