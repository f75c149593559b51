"""Error types shared by the core and the adapters.

The CLI maps them to exit codes: ``UserError`` -> 1 with its one-line message,
anything else -> 3 with a log file holding the traceback.
"""

from __future__ import annotations


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
