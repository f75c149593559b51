"""What the real ``hashicorp/aws`` provider does beyond its schema, from ``data/aws_provider_facts.json``.

Three kinds of facts per resource type, each attribute named by a dotted path (``name``,
``vpc_config.endpoint_public_access`` for an attribute inside a nested block):

- ``force_new``: changing the attribute replaces the object (``RequiresReplace`` / ``ForceNew``);
- ``defaults``: the value the provider plans when the configuration leaves it unset;
- ``enums`` / ``patterns``: the values the provider accepts at validate, with its messages.

The data file says where each fact came from (the provider's source for the version the
schema describes, and a real provider binary run as an oracle); see its ``provenance`` and
``scripts/provider_facts/``. The functions here apply the facts to decoded cty values, in
which ``UNKNOWN`` marks a value known only after apply.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from infra_sandbox.cty import UNKNOWN, Dynamic
from infra_sandbox.errors import SandboxError

FACTS_PATH = Path(__file__).with_name("data") / "aws_provider_facts.json"



class MapKey(str):
    """A map key in a path (an element key), as opposed to an attribute name."""


Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class TypeFacts:
    force_new: frozenset[str] = frozenset()
    defaults: dict[str, Any] = field(default_factory=dict)
    enums: dict[str, list[str]] = field(default_factory=dict)
    patterns: dict[str, dict[str, str]] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)


NO_FACTS = TypeFacts()


@lru_cache(maxsize=2)
def _load(path: str) -> dict[str, TypeFacts]:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        resources = doc["resources"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SandboxError(f"{path}: provider facts unreadable ({exc})") from None
    out = {}
    for name, entry in resources.items():
        out[name] = TypeFacts(
            force_new=frozenset(entry.get("force_new", [])),
            defaults=dict(entry.get("defaults", {})),
            enums={k: list(v) for k, v in entry.get("enums", {}).items()},
            patterns=dict(entry.get("patterns", {})),
            messages=dict(entry.get("validation_messages", {})),
        )
    return out


def facts_for(type_name: str, path: Path | None = None) -> TypeFacts:
    return _load(str(path or FACTS_PATH)).get(type_name, NO_FACTS)


# ------------------------------------------------------------------ walking values by dotted path


def _split(dotted: str) -> list[str]:
    return dotted.split(".")


def _values_at(block: dict[str, Any], value: Any, parts: list[str],
               here: Path_ = ()) -> list[tuple[Path_, Any, dict[str, Any]]]:
    """(path, value, parent object) for every place a dotted path reaches, walking by the schema.

    A nested block fans out by its nesting mode: one object (single, group), each element
    (list, set) or each value (map).
    """
    if not parts or not isinstance(value, dict):
        return []
    head, rest = parts[0], parts[1:]
    if head not in value:
        return []
    child = value[head]
    if not rest:
        return [((*here, head), child, value)]
    nested = block.get("block_types", {}).get(head)
    if nested is None:
        attr = block.get("attributes", {}).get(head, {})
        if "nested_type" not in attr:
            return []
        inner: dict[str, Any] = {"attributes": attr["nested_type"].get("attributes", {})}
        mode = attr["nested_type"].get("nesting_mode", "single")
    else:
        inner, mode = nested["block"], nested.get("nesting_mode", "single")
    if child is None or child is UNKNOWN or isinstance(child, Dynamic):
        return []
    found: list[tuple[Path_, Any, dict[str, Any]]] = []
    if mode in ("single", "group"):
        found += _values_at(inner, child, rest, (*here, head))
    elif mode in ("list", "set") and isinstance(child, list):
        for i, item in enumerate(child):
            found += _values_at(inner, item, rest, (*here, head, i))
    elif mode == "map" and isinstance(child, dict):
        for key, item in sorted(child.items()):
            found += _values_at(inner, item, rest, (*here, head, MapKey(key)))
    return found


def apply_defaults(facts: TypeFacts, block: dict[str, Any], planned: dict[str, Any],
                   config: dict[str, Any] | None) -> dict[str, Any]:
    """Fill each default the configuration left unset (null in the config; in place, returned)."""
    for dotted, default in facts.defaults.items():
        parts = _split(dotted)
        set_in_config = {p for p, v, _ in _values_at(block, config or {}, parts) if v is not None}
        for path, current, parent in _values_at(block, planned, parts):
            if path in set_in_config:
                continue
            if parent is not None and (current is None or current is UNKNOWN):
                parent[parts[-1]] = default
    return planned


def replace_paths(facts: TypeFacts, block: dict[str, Any], prior: Any, planned: Any) -> list[Path_]:
    """Paths of force-new attributes whose planned value differs from the prior one."""
    if not isinstance(prior, dict) or not isinstance(planned, dict):
        return []
    changed: list[Path_] = []
    for dotted in sorted(facts.force_new):
        parts = _split(dotted)
        before = {p: v for p, v, _ in _values_at(block, prior, parts)}
        after = {p: v for p, v, _ in _values_at(block, planned, parts)}
        if len(parts) > 1 and set(before) != set(after):
            changed.append((parts[0],))  # nested objects added or removed: the block itself changed
            continue
        for path in sorted(set(before) | set(after), key=str):
            new = after.get(path)
            if new is UNKNOWN or before.get(path) != new:
                changed.append(path)
    return changed


@dataclass(frozen=True)
class Problem:
    path: Path_
    summary: str
    detail: str = ""


def validate(facts: TypeFacts, block: dict[str, Any], config: Any) -> list[Problem]:
    """Enum and pattern checks the real provider makes at validate, on known string values."""
    problems: list[Problem] = []
    if not isinstance(config, dict):
        return problems
    for dotted, allowed in sorted(facts.enums.items()):
        for path, value, _ in _values_at(block, config, _split(dotted)):
            for item, where in _strings(value, path):
                if item not in allowed:
                    problems.append(Problem(where, _message(facts, dotted, item, allowed)))
    for dotted, rule in sorted(facts.patterns.items()):
        regex = re.compile(rule["regex"])
        for path, value, _ in _values_at(block, config, _split(dotted)):
            for item, where in _strings(value, path):
                if not regex.search(item):
                    text = rule.get("message") or f"must match {rule['regex']}"
                    problems.append(Problem(where, f"invalid value for {dotted.rsplit('.', 1)[-1]} ({text})"))
    return problems


def _strings(value: Any, path: Path_) -> list[tuple[str, Path_]]:
    if isinstance(value, str):
        return [(value, path)]
    if isinstance(value, list):
        return [(v, (*path, i)) for i, v in enumerate(value) if isinstance(v, str)]
    return []


def _message(facts: TypeFacts, dotted: str, value: str, allowed: list[str]) -> str:
    recorded = facts.messages.get(dotted)
    if recorded and "FOO" in recorded:
        return recorded.replace("FOO", value)
    name = dotted.rsplit(".", 1)[-1]
    return f"expected {name} to be one of [{' '.join(json.dumps(a) for a in allowed)}], got {value}"
