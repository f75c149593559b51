"""The sandbox's stand-in for changes made outside Terraform: a "world" file read at refresh.

A real provider's ``ReadResource`` asks AWS what an object looks like now; the sandbox has no
AWS, so by default an object looks exactly as the state says (no drift ever). To exercise drift
offline, point ``INFRA_SANDBOX_WORLD`` at a JSON file that says how objects changed out of
band, keyed by resource type and the object's ``id``::

    {"format": 1,
     "objects": {
       "aws_sqs_queue": {
         "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs": {"set": {"visibility_timeout_seconds": 120}}},
       "aws_kms_alias": {"alias/prod-us-east-ebs": {"deleted": true}}}}

``set`` replaces top-level attributes of the refreshed object; ``deleted`` makes the object
disappear (Terraform then plans to create it again). :func:`record_change` writes entries
(tests and ``infra sandbox world`` use it). The file is read on every refresh, never written
by the provider.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from infra_sandbox._files import atomic_write_text
from infra_sandbox.errors import SandboxError

WORLD_ENV = "INFRA_SANDBOX_WORLD"
_GONE = object()


def _load(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise SandboxError(f"{path}: sandbox world file unreadable ({exc})") from None
    objects = doc.get("objects") if isinstance(doc, dict) else None
    if not isinstance(objects, dict):
        raise SandboxError(f"{path}: sandbox world file needs an \"objects\" mapping")
    return objects


def world_path() -> Path | None:
    value = os.environ.get(WORLD_ENV)
    return Path(value) if value else None


def refreshed(type_name: str, state: Any, path: Path | None = None) -> Any:
    """The object as the world has it now: ``state`` with out-of-band changes, or None when deleted."""
    path = path or world_path()
    if path is None or not isinstance(state, dict) or not isinstance(state.get("id"), str):
        return state
    entry = _load(path).get(type_name, {}).get(state["id"])
    if not isinstance(entry, dict):
        return state
    if entry.get("deleted"):
        return None
    changes = entry.get("set") or {}
    if not isinstance(changes, dict):
        raise SandboxError(f"{path}: {type_name} {state['id']}: \"set\" must be a mapping of attributes")
    unknown = sorted(set(changes) - set(state))
    if unknown:
        raise SandboxError(f"{path}: {type_name} has no attribute {unknown[0]!r}")
    return {**state, **changes}


def record_change(path: Path, type_name: str, object_id: str, *, set_attributes: dict[str, Any] | None = None,
                  deleted: bool = False) -> None:
    """Add or replace the out-of-band change of one object in the world file."""
    objects = _load(path)
    entry: dict[str, Any] = {"deleted": True} if deleted else {"set": dict(set_attributes or {})}
    objects.setdefault(type_name, {})[object_id] = entry
    atomic_write_text(path, json.dumps({"format": 1, "objects": objects}, indent=2, sort_keys=True) + "\n",
                      mode=0o600)
