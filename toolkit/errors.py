"""Error types shared by the core and the adapters, and the one formatter of validation errors.

The CLI maps them to exit codes: ``UserError`` -> 1 with its one-line message,
anything else -> 3 with a log file holding the traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails

KeyPath = tuple[str | int, ...]


class InfraError(Exception):
    """Base class for errors raised on purpose by the toolkit."""


class UserError(InfraError):
    """Something the user can fix: bad settings, a missing file, a wrong region.

    The message is shown as one line, so it must name the file, the key path and
    what was expected.
    """

    exit_code = 1

    def __init__(self, message: str) -> None:
        # One line, always: a newline in a value must not break the log format.
        super().__init__(" ".join(str(message).split("\n")).strip())


class ToolError(InfraError):
    """An external tool (terraform, checkov, AWS) failed in a way we can describe."""

    exit_code = 1


# --------------------------------------------------------------------------- validation errors


def key_path(loc: Iterable[str | int]) -> str:
    """``network.subnets[0].cidr``; ``(top level)`` for the document itself."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out or "(top level)"


def error_loc(err: ErrorDetails | Mapping[str, object]) -> KeyPath:
    """Where an error is: pydantic's location, plus the ``at`` a cross-field rule names in its
    context (``toolkit.settings.messages.problem``), so the message points at that key."""
    loc: KeyPath = tuple(err.get("loc") or ())  # type: ignore[arg-type]
    ctx = err.get("ctx") or {}
    at = ctx.get("at") if isinstance(ctx, Mapping) else None
    return loc + tuple(at) if isinstance(at, tuple) else loc


def describe(err: ErrorDetails | Mapping[str, object], explain: bool = True) -> str:
    """The message of one pydantic error (``explain``: words for people editing settings by hand)."""
    return _describe(err, explain)  # type: ignore[arg-type]


def _describe(err: ErrorDetails, explain: bool) -> str:
    kind = err.get("type", "")
    msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    if not explain:
        return msg
    got = err.get("input")
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see `infra config schema`)"
    if kind == "missing":
        return "required key is missing"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        if isinstance(got, (dict, list)):
            return f"{msg} (got {type(got).__name__})"
        return f"{msg} (got {type(got).__name__} {got!r})"
    if kind == "string_pattern_mismatch":
        return f"{got!r} does not match the expected pattern {(err.get('ctx') or {}).get('pattern')}"
    if kind == "literal_error":
        return f"{msg} (got {got!r})"
    return msg


def line_of(lines: Mapping[KeyPath, int], loc: KeyPath) -> int:
    """The line of the deepest key of ``loc`` that ``lines`` knows (1 when none)."""
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return 1


def validation_error(
    exc: ValidationError,
    where: Path | str | Callable[[KeyPath], object],
    *,
    prefix: KeyPath = (),
    lines: Mapping[KeyPath, int] | None = None,
    explain: bool = False,
) -> UserError:
    """The first error of ``exc`` as one line: ``WHERE: key.path[0]: message (+N more)``.

    ``where`` is the file, or a function of the error's key path giving ``file:line``; with
    ``lines`` (key path -> line, as :mod:`toolkit.settings.yamlio` records them) the line is
    looked up there. ``prefix`` is prepended to the key path (a document validated in parts).
    ``explain`` words the common errors for people editing settings by hand ("unknown key",
    "required key is missing", the offending value); without it pydantic's own message stays.
    """
    err = exc.errors()[0]
    loc = prefix + error_loc(err)
    if callable(where):
        at = str(where(error_loc(err)))
    elif lines is not None:
        at = f"{where}:{line_of(lines, loc)}"
    else:
        at = str(where)
    more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return UserError(f"{at}: {key_path(loc)}: {_describe(err, explain)}{more}")

