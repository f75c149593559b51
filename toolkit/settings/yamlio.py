"""Strict YAML reading with line numbers.

PyYAML's ``safe_load`` silently keeps the last of two duplicate keys and forgets
where every value came from. Settings files are reviewed by humans, so we want
both: duplicates are an error, and every key path knows its line, so that a
validation error can point at ``file:line``.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from toolkit.errors import UserError

KeyPath = tuple[str | int, ...]


@dataclass
class YamlDoc:
    path: Path
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)


_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


def _construct(node: yaml.Node, path: Path, where: KeyPath, lines: dict[KeyPath, int],
               seen: set[int] | None = None) -> Any:
    # Anchors/aliases share one node between places; settings have no use for them, and
    # expanding them is how "billion laughs" files and self-references hurt a reader.
    seen = set() if seen is None else seen
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        if id(node) in seen:
            raise UserError(f"{path}:{node.start_mark.line + 1}: YAML anchors and aliases are not supported "
                            "in settings files; write the values out")
        seen.add(id(node))
    lines[where] = node.start_mark.line + 1
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
        raise UserError(f"{path}:{node.start_mark.line + 1}: malformed YAML: tag {node.tag!r} is not allowed")
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise UserError(f"{path}:{key_node.start_mark.line + 1}: keys must be plain strings")
            key = key_node.value
            if key == "<<":
                raise UserError(f"{path}:{key_node.start_mark.line + 1}: YAML merge keys (<<) are not supported")
            if key in out:
                raise UserError(
                    f"{path}:{key_node.start_mark.line + 1}: duplicate key {key!r} "
                    f"(first defined on line {lines[where + (key,)]})"
                )
            lines[where + (key,)] = key_node.start_mark.line + 1
            out[key] = _construct(value_node, path, where + (key,), lines, seen)
            lines[where + (key,)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, path, where + (i,), lines, seen) for i, item in enumerate(node.value)]
    # Scalars: let the safe constructor resolve the tag (int, bool, null, str ...).
    constructor = yaml.SafeLoader("")
    try:
        return constructor.construct_object(node, deep=True)
    finally:
        constructor.dispose()


MAX_BYTES = 1 << 20  # settings and policy files: 1 MiB is far above any real one


def _read_bounded(path: Path) -> bytes:
    """The bytes of regular file ``path``, at most :data:`MAX_BYTES`; never blocks (a FIFO is refused)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # a FIFO opens at once, and is refused
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(st.st_mode):
            kind = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else "a device"
            raise UserError(f"{path}: {kind}, not a regular file; settings and policy files must be regular files")
        if st.st_size > MAX_BYTES:
            raise UserError(f"{path}: {st.st_size} bytes, over the 1 MiB limit for settings and policy files")
        os.set_blocking(fd, True)
        chunks, size = [], 0
        while size <= MAX_BYTES and (chunk := os.read(fd, MAX_BYTES + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_BYTES:  # it grew while being read
            raise UserError(f"{path}: over the 1 MiB limit for settings and policy files")
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_yaml(path: Path, *, required: bool = True) -> YamlDoc | None:
    """Read one YAML document; return None for a missing optional file.

    The file must be a regular file of at most 1 MiB (:data:`MAX_BYTES`); it is opened
    non-blocking and checked before anything is read, so a FIFO or a huge file fails at once.
    """
    path = Path(path)
    try:
        text = _read_bounded(path).decode("utf-8")
    except FileNotFoundError:
        if required:
            raise UserError(f"{path}: file not found") from None
        return None
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, expected a YAML file") from None
    except PermissionError:
        raise UserError(f"{path}: permission denied (cannot read the file)") from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not text.strip():
        raise UserError(f"{path}: file is empty, expected a YAML mapping")
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise UserError(f"{path}{line}: malformed YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: malformed YAML: {exc}") from None
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        raise UserError(f"{path}: file has no YAML content (only comments or blank documents), "
                        "expected a YAML mapping")
    if len(nodes) != 1:
        raise UserError(f"{path}: expected exactly one YAML document, found {len(nodes)}")
    node = nodes[0]
    if not isinstance(node, yaml.MappingNode):
        raise UserError(f"{path}:{node.start_mark.line + 1}: expected a mapping at the top level")
    lines: dict[KeyPath, int] = {}
    try:
        data = _construct(node, path, (), lines)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise UserError(f"{path}{line}: malformed YAML: {exc.problem}") from None
    return YamlDoc(path=path, data=data, lines=lines)
