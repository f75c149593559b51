"""The region lock: one infra run per region directory at a time, for the whole region run.

``ARTIFACTS/ENV/REGION/.lock`` is ``flock``-ed by the run using the directory, from before
render until its scan and status are written (``infra plan`` locks every region it was
given, up front, in sorted order, and releases them when the run ends; ``infra scan`` takes
the same locks). While it holds the lock the run keeps its pid, host, start time and
command in the file, so a second run says at once who holds it:

    staging/us-east: locked by another infra run: pid 4242 on host ci-7 since 2025-01-02T10:00:00+00:00
    (infra plan); wait for it with --lock-timeout DURATION, or use another --artifacts directory

``--lock-timeout DURATION`` (the same option that Terraform's state lock uses) waits up to
that long instead. The kernel drops a ``flock`` when its process dies, so a lock is never
stuck: the next run finds the dead holder's details still in the file, says it cleared a
stale lock, and then recovers the directory (:func:`recover`): a ``status.json`` left
``running`` becomes ``interrupted``, temp files of the dead run are removed.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import json
import os
import re
import socket
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.artifacts import io
from toolkit.artifacts.layout import PRIVATE, WORK, RegionLayout
from toolkit.artifacts.summary import Status
from toolkit.errors import UserError

Note = Callable[[str], None]
_POLL = 0.2


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


def parse_duration(text: str | None) -> float:
    """Seconds of a Go/Terraform duration (``0s``, ``30s``, ``5m``, ``1h30m``, ``500ms``)."""
    if not text:
        return 0.0
    parts = re.findall(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise UserError(f"{text!r} is not a duration such as 0s, 30s, 5m or 1h")
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    return sum(float(n) * scale[u] for n, u in parts)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) a region lock."""

    pid: int
    host: str
    started: str
    command: str = "infra"

    @classmethod
    def me(cls, command: str) -> Holder:
        return cls(os.getpid(), socket.gethostname(), _now(), command)

    @classmethod
    def parse(cls, raw: bytes) -> Holder | None:
        try:
            data = json.loads(raw.decode("utf-8"))
            return cls(int(data["pid"]), str(data["host"]), str(data["started"]), str(data.get("command", "infra")))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            return None

    def dump(self) -> bytes:
        return (json.dumps({"pid": self.pid, "host": self.host, "started": self.started,
                            "command": self.command}, sort_keys=True) + "\n").encode()

    def alive(self) -> bool | None:
        """Whether its process runs (None: another host, cannot tell)."""
        return pid_alive(self.pid) if self.host == socket.gethostname() else None

    def describe(self) -> str:
        return f"pid {self.pid} on host {self.host} since {self.started} ({self.command})"


class LockHeld(UserError):
    """Another run holds the region lock."""

    def __init__(self, where: str, holder: Holder | None, waited: float) -> None:
        self.holder = holder
        who = holder.describe() if holder else "a run that has not recorded itself yet"
        if holder is not None and holder.alive() is False:
            who += ", whose pid is gone: a child process of it still holds the lock"
        how = (f"still held after waiting {waited:g}s; wait longer with --lock-timeout DURATION"
               if waited else "wait for it with --lock-timeout DURATION")
        super().__init__(f"{where}: locked by another infra run: {who}; {how}, or use another --artifacts directory")


def _read_holder(fd: int) -> Holder | None:
    return Holder.parse(os.pread(fd, 4096, 0))


@dataclass
class RegionLock:
    """A held region lock (release it, or use :func:`region_locks`)."""

    layout: RegionLayout
    fd: int
    holder: Holder
    notes: list[str] = field(default_factory=list)

    def release(self) -> None:
        if self.fd < 0:
            return
        try:
            os.ftruncate(self.fd, 0)  # an empty lock file: released cleanly, nothing stale
        except OSError:
            pass
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = -1


def _label(layout: RegionLayout) -> str:
    return f"{layout.environment}/{layout.region}"


def acquire(layout: RegionLayout, *, command: str, wait: float = 0.0, note: Note | None = None,
            deadline: float | None = None) -> RegionLock:
    """Lock ``layout``'s region directory (made a plain 0700 directory first), then recover it.

    Raises :class:`LockHeld` naming the holder when another run has it after ``wait`` seconds
    (or at ``deadline``, a ``time.monotonic()`` value), and :class:`toolkit.artifacts.io.Refused`
    when the directory or ``.lock`` is a link.
    """
    io.ensure_dir(layout.root, root=layout.artifacts, mode=io.PRIVATE_DIR)
    fd = io.open_fd(layout.lock, os.O_RDWR | os.O_CREAT, io.PRIVATE_FILE, root=layout.artifacts)
    start = time.monotonic()
    until = deadline if deadline is not None else start + wait
    told = False
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _read_holder(fd)
                if holder is None:  # the holder may be between its flock and its write
                    time.sleep(0.05)
                    holder = _read_holder(fd)
                if time.monotonic() >= until:
                    raise LockHeld(_label(layout), holder, round(time.monotonic() - start, 1)) from None
                if note and not told:
                    who = holder.describe() if holder else "another infra run"
                    note(f"{_label(layout)}: waiting up to {until - start:.0f}s for the lock held by {who}")
                    told = True
                time.sleep(min(_POLL, max(until - time.monotonic(), 0.01)))
        me = Holder.me(command)
        lock = RegionLock(layout, fd, me)
        stale = _read_holder(fd)
        if stale is not None:
            state = {True: "still running but not holding it", False: "gone", None: "on another host"}[stale.alive()]
            lock.notes.append(f"{_label(layout)}: cleared a stale lock of {stale.describe()} (process {state})")
        os.ftruncate(fd, 0)
        os.pwrite(fd, me.dump(), 0)
    except BaseException:
        os.close(fd)
        raise
    try:
        lock.notes += recover(layout)
    except BaseException:
        lock.release()
        raise
    if note:
        for line in lock.notes:
            note(line)
    return lock


def recover(layout: RegionLayout) -> list[str]:
    """Clean up after a run of this directory that died; call with the lock held.

    A ``status.json`` that says ``running`` is from a run that is gone (no run holds the
    lock): it becomes ``interrupted``. Temp files of dead runs are removed: ``.private/*``
    (Terraform's plan file before it is moved into place) and ``.NAME.*.tmp`` of the
    atomic writes, in the region directory and its staged ``work/terraform``.
    """
    notes: list[str] = []
    root = layout.artifacts
    try:
        status = io.read_artifact_if_present(layout.status, Status, root=root)
    except UserError:
        status = None  # unreadable: the new run overwrites it
    if status is not None and status.status == "running":
        who = f"pid {status.pid} on host {status.host}" if status.pid else "a run that recorded no pid"
        alive = pid_alive(status.pid) if status.pid and status.host == socket.gethostname() else False
        why = f"{who} holds no lock" if alive else f"{who} is gone"
        io.write_artifact(layout.status, status.model_copy(update={
            "status": "interrupted", "error": f"the run died at stage {status.stage} ({why})", "updated_at": _now(),
        }), root=root)
        notes.append(f"{_label(layout)}: status.json said running at {status.stage}, but {why}: "
                     "marked interrupted")
    removed = 0
    for directory, pattern in ((layout / PRIVATE, None), (layout.root, ".*.tmp"),
                               (layout / WORK / "terraform", ".*.tmp"),
                               (layout / WORK / "terraform" / ".terraform", ".*.tmp")):
        removed += _remove_files(directory, pattern, root)
    if removed:
        notes.append(f"{_label(layout)}: removed {removed} temp file(s) of an earlier run that did not finish")
    return notes


def _remove_files(directory: Path, pattern: str | None, root: Path) -> int:
    import fnmatch

    try:
        entries = io.list_dir(directory, root=root)
    except FileNotFoundError:
        return 0
    count = 0
    for name, mode in entries:
        if (pattern is None or fnmatch.fnmatch(name, pattern)) and (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
            count += io.remove(directory / name, root=root)
    return count


@dataclass
class Locks:
    """The region locks of one run: those held, and those it could not take (region -> message)."""

    held: dict[str, RegionLock] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    def release(self) -> None:
        for lock in self.held.values():
            lock.release()
        self.held.clear()


@contextlib.contextmanager
def region_locks(layouts: Iterable[RegionLayout], *, command: str, wait: float = 0.0,
                 note: Note | None = None, strict: bool = False) -> Iterator[Locks]:
    """Lock every region, in sorted order (no two runs can deadlock), all waiting up to ``wait`` seconds.

    A region another run holds (:class:`LockHeld`), or whose directory or ``.lock`` is a link
    (:class:`toolkit.artifacts.io.Refused`), goes into ``failed`` (``strict``: raised instead).
    """
    locks = Locks()
    deadline = time.monotonic() + wait
    try:
        for layout in sorted(layouts, key=lambda lay: lay.root.name):
            try:
                locks.held[layout.region] = acquire(layout, command=command, deadline=deadline, note=note)
            except (LockHeld, io.Refused) as exc:
                if strict:
                    raise
                locks.failed[layout.region] = str(exc)
        yield locks
    finally:
        locks.release()
