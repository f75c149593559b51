"""The S3-native state lock (``use_lockfile = true``): who holds it, and clearing it on purpose.

Terraform writes ``KEY.tflock`` next to the state object while it runs; a run killed hard
leaves it behind, and every later run fails with "Error acquiring the state lock". Clearing
it is the equivalent of ``terraform force-unlock ID``: only with the lock's own ID, so a
lock taken again in the meantime by someone else is never removed by mistake.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from toolkit.adapters.aws.session import aws_errors, client, error_code, new_session
from toolkit.errors import UserError

__all__ = ["LockInfo", "read_lock", "release_lock"]


@dataclass(frozen=True)
class LockInfo:
    id: str
    who: str
    operation: str
    created: str
    version: str
    path: str

    def describe(self) -> str:
        return f"ID={self.id}, Who={self.who}, Operation={self.operation}, Created={self.created}"

    def to_dict(self) -> dict[str, str]:
        return dict(vars(self))


def _s3(aws_region: str) -> Any:
    return client(new_session(aws_region), "s3", aws_region)


def read_lock(bucket: str, key: str, aws_region: str) -> LockInfo | None:
    """The lock on ``s3://bucket/key`` (the state object's key), or None when it is not locked."""
    from botocore.exceptions import ClientError

    with aws_errors(f"reading the state lock s3://{bucket}/{key}.tflock"):
        try:
            body = _s3(aws_region).get_object(Bucket=bucket, Key=f"{key}.tflock")["Body"].read()
        except ClientError as exc:
            if error_code(exc) in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
    try:
        doc = json.loads(body)
    except ValueError:
        raise UserError(f"s3://{bucket}/{key}.tflock: not a Terraform lock (not JSON)") from None
    return LockInfo(id=str(doc.get("ID", "")), who=str(doc.get("Who", "")), operation=str(doc.get("Operation", "")),
                    created=str(doc.get("Created", "")), version=str(doc.get("Version", "")),
                    path=str(doc.get("Path", "")))


def release_lock(bucket: str, key: str, aws_region: str, lock_id: str) -> LockInfo:
    """Delete the lock when its ID is ``lock_id``; returns what was removed."""
    held = read_lock(bucket, key, aws_region)
    if held is None:
        raise UserError(f"s3://{bucket}/{key} is not locked: nothing to unlock")
    if held.id != lock_id:
        raise UserError(f"the lock on s3://{bucket}/{key} has ID {held.id} (held by {held.who}), not {lock_id}: "
                        "nothing removed")
    with aws_errors(f"removing the state lock s3://{bucket}/{key}.tflock"):
        _s3(aws_region).delete_object(Bucket=bucket, Key=f"{key}.tflock")
    return held
