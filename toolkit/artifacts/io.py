"""The one reader and the one writer of the artifacts tree (``ARTIFACTS/ENV/REGION/...``).

Nothing inside the tree can point elsewhere. Every read and write walks from the artifacts
root down with ``O_NOFOLLOW | O_DIRECTORY`` on each directory and ``O_NOFOLLOW`` on the file:
a symbolic link, or anything that is not a plain directory or a regular file (a FIFO, a
socket, a device), is refused with one :class:`Refused` line naming the path. The root itself
is the user's choice (``--artifacts``) and may be a link; nothing below it may.

Writes go to a temporary file in the same directory (created ``O_EXCL``, fsynced), then are
renamed over the target, relative to the directory's file descriptor: a reader, or a run
killed at any moment, sees the old file or the new one, never half a file.

``root`` is the artifacts root. Without it, a path is taken as a file of a region directory,
``ARTIFACTS/ENV/REGION/NAME`` (the layout contract, :mod:`toolkit.artifacts.layout`), so its
root is three levels up and the environment and region directories are checked.

``read_artifact(path, Model)`` fails with one ``UserError`` line naming the path and what
was expected, whatever went wrong: a missing file (naming the command that writes it), an
unreadable or refused one, bad JSON, or content that does not fit the model.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from toolkit.errors import UserError, validation_error
from toolkit.fsutil import dump_json

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
PRIVATE_FILE = 0o600  # files that hold values (tfplan, plan.json, plan.log, state, tfvars)
PRIVATE_DIR = 0o700  # region directories, .private, work


class Artifact(BaseModel):
    """A file of the region directory that the toolkit writes: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")

    # For messages: what the file holds, and the command that writes it.
    what: ClassVar[str] = "an artifact"
    written_by: ClassVar[str] = "infra plan"


M = TypeVar("M", bound=BaseModel)


class Refused(UserError):
    """A path inside the artifacts tree that is a link or not what it should be."""

    def __init__(self, path: Path, why: str) -> None:
        self.path, self.why = path, why
        super().__init__(f"{path}: refused: {why}")


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _refuse(path: Path, mode: int, expected: str) -> Refused:
    return Refused(path, f"{_kind(mode)} inside the artifacts tree (expected {expected}; no links are followed there)")


def default_root(path: Path) -> Path:
    """The artifacts root of a region file ``ROOT/ENV/REGION/NAME`` (the layout contract)."""
    parents = Path(path).parents
    return parents[2] if len(parents) >= 3 else Path(path).parent


def _parts(path: Path, root: Path) -> tuple[str, ...]:
    try:
        rel = Path(path).relative_to(root)
    except ValueError:
        raise UserError(f"{path}: outside the artifacts tree {root}") from None
    parts = rel.parts
    if any(p in ("..", "") for p in parts):
        raise UserError(f"{path}: '..' is not allowed inside the artifacts tree")
    return parts


def _open_dir(fd: int, name: str, path: Path, *, create: bool, mode: int) -> int:
    for _ in range(2):
        try:
            return os.open(name, _DIR_FLAGS, dir_fd=fd)
        except FileNotFoundError:
            if not create:
                raise
            with contextlib.suppress(FileExistsError):
                os.mkdir(name, mode, dir_fd=fd)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                raise _refuse(path, os.lstat(name, dir_fd=fd).st_mode, "a directory") from None
            raise
    return os.open(name, _DIR_FLAGS, dir_fd=fd)


@contextlib.contextmanager
def directory(path: Path, *, root: Path | None = None, create: bool = False,
              mode: int = 0o755) -> Iterator[int]:
    """A file descriptor of directory ``path``, every directory below ``root`` checked (or made)."""
    path = Path(path)
    base = default_root(path / "x") if root is None else Path(root)
    if create:
        base.mkdir(parents=True, exist_ok=True)
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        here = base
        for part in _parts(path, base):
            here = here / part
            nfd = _open_dir(fd, part, here, create=create, mode=mode)
            os.close(fd)
            fd = nfd
        yield fd
    finally:
        os.close(fd)


def ensure_dir(path: Path, *, root: Path | None = None, mode: int = PRIVATE_DIR) -> None:
    """Make ``path`` (and missing parents below ``root``) a plain directory of ``mode``; refuse links."""
    with directory(path, root=root, create=True, mode=mode) as fd:
        os.fchmod(fd, mode)


def _lstat_in(fd: int, name: str) -> os.stat_result | None:
    try:
        return os.lstat(name, dir_fd=fd)
    except FileNotFoundError:
        return None


def check_file(path: Path, *, root: Path | None = None) -> bool:
    """True if ``path`` is a regular file, False if absent; refused if it is a link or anything else."""
    path = Path(path)
    try:
        with directory(path.parent, root=root if root is not None else default_root(path)) as fd:
            st = _lstat_in(fd, path.name)
    except FileNotFoundError:
        return False
    if st is None:
        return False
    if not stat.S_ISREG(st.st_mode):
        raise _refuse(path, st.st_mode, "a regular file")
    return True


def check_dir(path: Path, *, root: Path | None = None) -> bool:
    """True if ``path`` is a plain directory, False if absent; refused if it is a link or anything else."""
    path = Path(path)
    try:
        with directory(path.parent, root=root if root is not None else default_root(path / "x")) as fd:
            st = _lstat_in(fd, path.name)
    except FileNotFoundError:
        return False
    if st is None:
        return False
    if not stat.S_ISDIR(st.st_mode):
        raise _refuse(path, st.st_mode, "a directory")
    return True


def open_fd(path: Path, flags: int = os.O_RDONLY, mode: int = PRIVATE_FILE, *, root: Path | None = None) -> int:
    """An fd (the caller closes it) of regular file ``path``, never through a link, never blocking on a FIFO."""
    path = Path(path)
    with directory(path.parent, root=root if root is not None else default_root(path),
                   create=bool(flags & os.O_CREAT)) as dfd:
        try:
            fd = os.open(path.name, flags | _FILE_FLAGS, mode, dir_fd=dfd)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.EMLINK, errno.EISDIR, errno.ENXIO, errno.EWOULDBLOCK):
                raise _refuse(path, os.lstat(path.name, dir_fd=dfd).st_mode, "a regular file") from None
            raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _refuse(path, st.st_mode, "a regular file")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextlib.contextmanager
def open_file(path: Path, flags: int = os.O_RDONLY, mode: int = PRIVATE_FILE, *,
              root: Path | None = None) -> Iterator[int]:
    """As :func:`open_fd`, closed on exit."""
    fd = open_fd(path, flags, mode, root=root)
    try:
        yield fd
    finally:
        os.close(fd)


def read_bytes(path: Path, *, root: Path | None = None) -> bytes:
    with open_file(path, root=root) as fd:
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)


def read_text(path: Path, *, root: Path | None = None) -> str:
    return read_bytes(path, root=root).decode("utf-8")


def sha256(path: Path, *, root: Path | None = None) -> str:
    h = hashlib.sha256()
    with open_file(path, root=root) as fd:
        while chunk := os.read(fd, 1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _check_target(dfd: int, path: Path) -> None:
    st = _lstat_in(dfd, path.name)
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise _refuse(path, st.st_mode, "a regular file")


def write_bytes(path: Path, data: bytes, *, mode: int = 0o644, root: Path | None = None,
                dir_mode: int = 0o755) -> None:
    """Write ``data`` to ``path`` atomically (temp file + rename in the same directory)."""
    path = Path(path)
    with directory(path.parent, root=root if root is not None else default_root(path), create=True,
                   mode=dir_mode) as dfd:
        _check_target(dfd, path)
        tmp = f".{path.name}.{secrets.token_hex(4)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dfd)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
                os.fchmod(fd, mode)
            finally:
                os.close(fd)
            os.replace(tmp, path.name, src_dir_fd=dfd, dst_dir_fd=dfd)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp, dir_fd=dfd)
            raise


def write_text(path: Path, text: str, *, mode: int = 0o644, root: Path | None = None) -> None:
    write_bytes(path, text.encode("utf-8"), mode=mode, root=root)


def move(src: Path, dst: Path, *, mode: int, root: Path | None = None) -> None:
    """Rename ``src`` over ``dst`` (same file system), as ``mode``; neither may be a link."""
    src, dst = Path(src), Path(dst)
    base = root if root is not None else default_root(dst)
    with open_file(src, root=base) as fd:
        os.fchmod(fd, mode)
    with directory(src.parent, root=base) as sfd, directory(dst.parent, root=base) as dfd:
        _check_target(dfd, dst)
        os.replace(src.name, dst.name, src_dir_fd=sfd, dst_dir_fd=dfd)


def chmod(path: Path, mode: int, *, root: Path | None = None) -> bool:
    """Set ``mode`` on regular file ``path`` if it exists (never through a link)."""
    try:
        with open_file(path, root=root) as fd:
            os.fchmod(fd, mode)
    except FileNotFoundError:
        return False
    return True


def remove(path: Path, *, root: Path | None = None) -> bool:
    """Unlink ``path`` (a link itself, never its target) if it exists."""
    path = Path(path)
    try:
        with directory(path.parent, root=root if root is not None else default_root(path)) as dfd:
            os.unlink(path.name, dir_fd=dfd)
    except FileNotFoundError:
        return False
    return True


def list_dir(path: Path, *, root: Path | None = None) -> list[tuple[str, int]]:
    """``(name, lstat mode)`` of every entry of directory ``path``, sorted."""
    with directory(path, root=root) as fd:
        out = []
        for name in sorted(os.listdir(fd)):
            st = _lstat_in(fd, name)
            if st is not None:
                out.append((name, st.st_mode))
        return out


# ---------------------------------------------------------------- models


def _hint(model: type[BaseModel]) -> str:
    return f"run `{getattr(model, 'written_by', 'infra plan')}` first"


def read_artifact(path: Path, model: type[M], *, hint: str | None = None, root: Path | None = None) -> M:
    """``path`` validated as ``model``; every failure is one ``UserError`` line naming ``path``.

    ``hint`` replaces the model's "run `infra ...` first" in the missing-file message.
    """
    what = getattr(model, "what", model.__name__)
    try:
        raw = read_bytes(path, root=root)
    except FileNotFoundError:
        raise UserError(f"{path}: file not found ({hint or _hint(model)})") from None
    except Refused as exc:
        raise UserError(f"{path}: cannot read (refused: {exc.why}); expected {what}") from None
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


def read_artifact_if_present(path: Path, model: type[M], *, root: Path | None = None) -> M | None:
    """As :func:`read_artifact`, None when there is no such file (a link or a FIFO there is refused)."""
    try:
        present = check_file(path, root=root)
    except Refused:
        present = True  # read_artifact words the refusal
    return read_artifact(path, model, root=root) if present else None


def write_artifact(path: Path, artifact: BaseModel, *, mode: int = 0o644, root: Path | None = None) -> None:
    """Write ``artifact`` atomically as sorted, indented JSON."""
    write_text(path, dump_json(artifact.model_dump(mode="json")), mode=mode, root=root)
