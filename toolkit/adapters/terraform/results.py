"""What a Terraform run gives back: results, diagnostics of ``-json`` output, and the one-line
summary of a failure (:func:`error_summary`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Result:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Diagnostic:
    severity: str
    summary: str
    detail: str = ""
    filename: str | None = None
    line: int | None = None
    column: int | None = None

    def location(self) -> str:
        if self.filename is None:
            return ""
        return f"{self.filename}:{self.line}" if self.line is not None else self.filename

    def one_line(self) -> str:
        loc = self.location()
        text = f"{self.summary}: {' '.join(self.detail.split())}" if self.detail else self.summary
        return f"{loc}: {text}" if loc else text


@dataclass(frozen=True)
class ValidateResult:
    valid: bool
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


@dataclass(frozen=True)
class PlanResult:
    plan_file: Path
    has_changes: bool


@dataclass(frozen=True)
class TestResult:
    passed: bool
    output: str


# ---------------------------------------------------------------- errors

_ERROR_RE = re.compile(r"^(?:│\s*)?Error: (.+?)\s*$")
_ON_RE = re.compile(r"^(?:│\s*)?\s*on (\S+) line (\d+)")
_SNIPPET_RE = re.compile(r"^(\d+:|├|│|╵|╷|\(and )")
_LOCK_FIELD_RE = re.compile(r"^(?:│\s*)?\s*(ID|Path|Operation|Who|Version|Created):\s*(.*?)\s*$")


_PROVIDER_QUERY_RE = re.compile(r"for provider ([\w.-]+/[\w.-]+(?:/[\w.-]+)?):")


def _unreachable_provider(output: str) -> str | None:
    """init could not download a provider: name it and say why in one line."""
    if "Failed to query available provider packages" not in output and "Failed to install provider" not in output:
        return None
    flat = " ".join(output.split())
    match = _PROVIDER_QUERY_RE.search(flat)
    name = match.group(1) if match else "a provider"
    offline = any(s in flat for s in ("could not connect to", "no such host", "dial tcp", "i/o timeout"))
    why = "there is no registry access here" if offline else "the registry refused it"
    return (f"provider {name} cannot be installed: {why}; the sandbox serves only hashicorp/aws (remove the "
            f"dependency, or run where the registry or a provider mirror with {name} is reachable)")


def error_summary(output: str) -> str:
    """One line from Terraform's error output: first ``Error:`` summary, location, lock info."""
    unreachable = _unreachable_provider(output)
    if unreachable:
        return unreachable
    lines = output.splitlines()
    for i, line in enumerate(lines):
        match = _ERROR_RE.match(line)
        if not match:
            continue
        summary = match.group(1)
        where = ""
        lock: dict[str, str] = {}
        detail = ""
        for follow in lines[i + 1 : i + 40]:
            if _ERROR_RE.match(follow):
                break
            on = _ON_RE.match(follow)
            if on and not where:
                where = f"{on.group(1)}:{on.group(2)}"
                continue
            field_match = _LOCK_FIELD_RE.match(follow)
            if field_match and "lock" in summary.lower():
                lock[field_match.group(1)] = field_match.group(2)
                continue
            text = follow.strip("│ ").strip()
            if _SNIPPET_RE.match(text):
                continue
            if text and not detail and not text.startswith(("with ", "on ")) and "lock" not in summary.lower():
                detail = text
        if lock:
            info = ", ".join(f"{k}={lock[k]}" for k in ("ID", "Who", "Created") if k in lock)
            return f"{summary} ({info})"
        parts = [p for p in (where, summary) if p]
        text = ": ".join(parts)
        return f"{text} ({detail})" if detail else text
    for line in reversed(lines):
        if line.strip():
            return line.strip()
    return "no output"
