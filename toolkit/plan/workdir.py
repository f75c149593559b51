"""The per-region working copy of the root stack that Terraform runs in."""

from __future__ import annotations

import os
import re
import shutil
import stat
from pathlib import Path

from toolkit.artifacts.layout import WORK
from toolkit.errors import UserError
from toolkit.plan.mode import Mode

_BLOCK = re.compile(r'^\s*(resource|module)\s+"', re.M)
_LOCAL_MODULE = re.compile(r'^\s*source\s*=\s*"(\.\.?/[^"]+)"', re.M)


def check_stack(root: Path) -> None:
    """Fail closed before anything runs: a missing or empty root stack is an error, never "No changes".

    The root stack ``terraform/`` must hold ``*.tf`` files that declare at least one resource or
    module, and every local module it calls (``source = "../modules/x"``) must exist.
    """
    stack = root / "terraform"
    files = sorted(stack.glob("*.tf")) + sorted(stack.glob("*.tf.json")) if stack.is_dir() else []
    if not files:
        raise UserError(f"{stack}: no root stack here (no *.tf files); nothing to plan")
    text = "\n".join(f.read_text(encoding="utf-8", errors="replace") for f in files)
    if not _BLOCK.search(text) and not any(f.suffix == ".json" for f in files):
        raise UserError(f"{stack}: the root stack declares no resource or module; nothing to plan")
    for source in sorted(set(_LOCAL_MODULE.findall(text))):
        target = (stack / source).resolve()
        if not (target.is_dir() and any(target.glob("*.tf"))):
            raise UserError(f"{stack}: module source {source!r} is missing ({target} has no *.tf files)")


def check_writable(directory: Path) -> None:
    """Say at once, naming the path, when artifacts cannot be written (before minutes of work).

    ``directory`` is ``ARTIFACTS/ENV``: the environment directory may not be a link.
    """
    from toolkit.artifacts import io

    try:
        with io.directory(directory, root=directory.parent, create=True) as fd:
            probe = f".infra-write-check-{os.getpid()}"
            os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=fd))
            os.unlink(probe, dir_fd=fd)
    except OSError as exc:
        raise UserError(f"{directory}: cannot write artifacts here ({exc.strerror or exc}); "
                        "fix its permissions or pass --artifacts DIR") from None


def stage_workdir(root: Path, out: Path, mode: Mode) -> Path:
    """A private copy of the root stack for this region, with modules/ reachable as ../modules.

    Terraform writes ``.terraform/`` and ``.terraform.lock.hcl`` next to the configuration;
    staging keeps parallel regions apart and keeps the sandbox's lock entry away from the
    committed lock file of the real provider. ``work/``, ``work/terraform`` and what Terraform
    writes there must be plain (0700) directories and files: a link is refused, since Terraform
    would write the stack, its providers or its state through it.
    """
    from toolkit.artifacts import io

    artifacts = out.parent.parent
    work = out / WORK
    stack = work / "terraform"
    io.ensure_dir(work, root=artifacts, mode=io.PRIVATE_DIR)
    io.ensure_dir(stack, root=artifacts, mode=io.PRIVATE_DIR)
    for directory in (stack, stack / ".terraform"):
        if not io.check_dir(directory, root=artifacts):
            continue
        for name, st_mode in io.list_dir(directory, root=artifacts):
            if stat.S_ISLNK(st_mode):
                io.check_file(directory / name, root=artifacts)  # raises Refused naming the link
    for name, st_mode in io.list_dir(stack, root=artifacts):
        if stat.S_ISREG(st_mode) and name != ".terraform.lock.hcl" and name.endswith((".tf", ".tf.json", ".hcl")):
            io.remove(stack / name, root=artifacts)
    for pattern in ("*.tf", "*.tf.json"):
        for tf in sorted((root / "terraform").glob(pattern)):
            io.write_bytes(stack / tf.name, tf.read_bytes(), root=artifacts)
    lock = root / "terraform" / ".terraform.lock.hcl"
    staged_lock = stack / ".terraform.lock.hcl"
    if mode == "cloud" and lock.exists():
        io.write_bytes(staged_lock, lock.read_bytes(), root=artifacts)
    # work/modules is the one link of the tree, and the toolkit makes it: always anew.
    with io.directory(work, root=artifacts) as fd:
        try:
            st = os.lstat("modules", dir_fd=fd)
        except FileNotFoundError:
            st = None
        if st is not None:
            if stat.S_ISDIR(st.st_mode):
                shutil.rmtree(work / "modules")  # never follows links inside
            else:
                os.unlink("modules", dir_fd=fd)
        os.symlink(root / "modules", "modules", target_is_directory=True, dir_fd=fd)
    return stack
