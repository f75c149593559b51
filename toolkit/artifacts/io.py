"""The one reader and the one writer of the JSON artifacts.

``read_artifact(path, Model)`` fails with one ``UserError`` line naming the path and what
was expected, whatever went wrong: a missing file (naming the command that writes it), an
unreadable one, bad JSON, or content that does not fit the model. ``write_artifact`` writes
a model atomically (``toolkit.fsutil``) as deterministic JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from toolkit.errors import UserError, validation_error
from toolkit.fsutil import atomic_write_text, dump_json


class Artifact(BaseModel):
    """A file of the region directory that the toolkit writes: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")

    # For messages: what the file holds, and the command that writes it.
    what: ClassVar[str] = "an artifact"
    written_by: ClassVar[str] = "infra plan"


M = TypeVar("M", bound=BaseModel)


def _hint(model: type[BaseModel]) -> str:
    return f"run `{getattr(model, 'written_by', 'infra plan')}` first"


def read_artifact(path: Path, model: type[M], *, hint: str | None = None) -> M:
    """``path`` validated as ``model``; every failure is one ``UserError`` line naming ``path``.

    ``hint`` replaces the model's "run `infra ...` first" in the missing-file message.
    """
    what = getattr(model, "what", model.__name__)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path}: file not found ({hint or _hint(model)})") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror or exc}); expected {what}") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); expected {what}") from None
    except json.JSONDecodeError as exc:
        raise UserError(
            f"{path}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); expected {what}"
        ) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, path) from None


def read_artifact_if_present(path: Path, model: type[M]) -> M | None:
    """As :func:`read_artifact`, None when there is no such file."""
    return read_artifact(path, model) if path.is_file() else None


def write_artifact(path: Path, artifact: BaseModel, *, mode: int = 0o644) -> None:
    """Write ``artifact`` atomically as sorted, indented JSON."""
    atomic_write_text(path, dump_json(artifact.model_dump(mode="json")), mode)
