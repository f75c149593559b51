"""The per-region working copy of the root stack that Terraform runs in."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

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
    """Say at once, naming the path, when artifacts cannot be written (before minutes of work)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".infra-write-check-"):
            pass
    except OSError as exc:
        raise UserError(f"{directory}: cannot write artifacts here ({exc.strerror or exc}); "
                        "fix its permissions or pass --artifacts DIR") from None


def stage_workdir(root: Path, out: Path, mode: Mode) -> Path:
    """A private copy of the root stack for this region, with modules/ reachable as ../modules.

    Terraform writes ``.terraform/`` and ``.terraform.lock.hcl`` next to the configuration;
    staging keeps parallel regions apart and keeps the sandbox's lock entry away from the
    committed lock file of the real provider.
    """
    work = out / "work"
    stack = work / "terraform"
    stack.mkdir(parents=True, exist_ok=True)
    for pattern in ("*.tf", "*.tf.json", "*.hcl"):
        for old in stack.glob(pattern):
            if old.name != ".terraform.lock.hcl":
                old.unlink()
    for pattern in ("*.tf", "*.tf.json"):
        for tf in sorted((root / "terraform").glob(pattern)):
            shutil.copy2(tf, stack / tf.name)
    lock = root / "terraform" / ".terraform.lock.hcl"
    staged_lock = stack / ".terraform.lock.hcl"
    if mode == "cloud" and lock.exists():
        shutil.copy2(lock, staged_lock)
    modules_link = work / "modules"
    if modules_link.is_symlink() or modules_link.exists():
        if modules_link.is_symlink() or modules_link.is_file():
            modules_link.unlink()
        else:
            shutil.rmtree(modules_link)
    modules_link.symlink_to(root / "modules", target_is_directory=True)
    return stack
