"""The sandbox's one error type: something the caller can fix, said in one line."""

from __future__ import annotations


class SandboxError(Exception):
    """A missing or unreadable schema, a socket directory that cannot be made, a plugin that did not start."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split("\n")).strip())
