"""The per-region working copy of the root stack that Terraform runs in."""

from __future__ import annotations

import shutil
from pathlib import Path

from toolkit.plan.mode import Mode


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
