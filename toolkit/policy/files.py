"""Where the policy material lives, and the one reader of its YAML files.

``policy/waivers.yaml``, ``policy/severity.yaml`` and ``policy/policy.yaml`` are read with the
strict reader of the settings (:mod:`toolkit.settings.yamlio`: duplicate keys, anchors,
aliases and tags refused, every key's line kept), then validated: an error is one line
``FILE:LINE: key.path: message``. A missing file means the model's defaults.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from toolkit.errors import KeyPath, UserError, key_path, validation_error
from toolkit.settings.yamlio import read_yaml

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class PolicyPaths:
    """Where the policy material lives (defaults: ``<project>/policy/...``)."""

    checks_dir: Path
    severity: Path
    waivers: Path
    settings: Path

    @classmethod
    def of(cls, project_root: Path, policy_dir: Path | None = None) -> PolicyPaths:
        base = policy_dir or project_root / "policy"
        return cls(base / "checks", base / "severity.yaml", base / "waivers.yaml", base / "policy.yaml")


def read_policy_file(path: Path, model: type[M]) -> M:
    """``path`` validated as ``model``; the model's defaults when the file does not exist."""
    try:
        doc = read_yaml(path, required=False)
    except ValueError as exc:
        raise _bad_scalar(path, exc) from None
    if doc is None:
        return model()
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise validation_error(exc, path, lines=doc.lines) from None


def _scalars(node: yaml.Node, loc: KeyPath) -> Iterator[tuple[KeyPath, yaml.ScalarNode]]:
    if isinstance(node, yaml.ScalarNode):
        yield loc, node
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _scalars(value, (*loc, str(key.value)))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from _scalars(item, (*loc, i))


def _bad_scalar(path: Path, exc: ValueError) -> UserError:
    """The strict reader builds scalars with PyYAML's constructor, which raises a bare
    ``ValueError`` for an impossible date (``expires: 2027-13-01``): name its line and key."""
    root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    constructor = yaml.SafeLoader("")
    try:
        for loc, scalar in _scalars(root, ()) if root is not None else ():
            try:
                constructor.construct_object(scalar)
            except ValueError as err:
                what = "date" if scalar.tag == "tag:yaml.org,2002:timestamp" else "value"
                line = scalar.start_mark.line + 1
                return UserError(f"{path}:{line}: {key_path(loc)}: not a valid {what}: {scalar.value!r} ({err})")
    finally:
        constructor.dispose()
    return UserError(f"{path}: malformed YAML: {exc}")
