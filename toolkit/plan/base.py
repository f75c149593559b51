"""``infra plan --base REF`` (sandbox mode): the sandbox state of a git ref, built once and cached.

REF is resolved to a commit and its tree (``git rev-parse``); the commit's ``environments/``,
``terraform/``, ``modules/`` and ``policy/`` are exported (``git archive``) into the cache, keyed
by the tree hash. Per environment/region, REF's settings are rendered, sandbox-planned and
sandbox-applied (the provider's deterministic fake values) into a *base state*, cached under a
digest of the tree, the environment and region, the toolkit version, the provider schema and
the Terraform engine: a second run with the same inputs reuses it. The working tree is then
planned against a private copy of that state (``ARTIFACTS/ENV/REGION/base.tfstate``); the
user's own ``sandbox.tfstate`` is never read or written.

An environment/region that REF does not have is planned against empty state (all create) and
says so; one that only REF has is reported by :func:`only_in_base` (the command prints a note:
removing a region's settings never plans a destroy).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from toolkit import __version__
from toolkit.artifacts.layout import BASE_STATE
from toolkit.errors import InfraError, UserError
from toolkit.paths import cache_dir
from toolkit.settings import Project, RegionConfig

EXPORTED = ("environments", "terraform", "modules", "policy")
_META = "base.json"
Log = Callable[[str], None]
Progress = Callable[[str, str], None]


@dataclass(frozen=True)
class BaseRef:
    ref: str
    commit: str
    tree: str

    @property
    def short(self) -> str:
        return f"{self.ref} ({self.commit[:12]})"


@dataclass(frozen=True)
class BaseState:
    """What one region is planned against: REF's state (a cached file), or nothing (all create)."""

    info: dict[str, Any]  # toolkit.artifacts.summary.BaseInfo as JSON
    state: Path | None
    cached: bool = False


def _git(root: Path, *args: str, binary: bool = False) -> subprocess.CompletedProcess[Any]:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=not binary, timeout=120,
                              check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise UserError(f"--base: git is not usable here ({exc})") from None


def resolve_ref(root: Path, ref: str) -> BaseRef:
    """REF's commit and tree, or one UserError line naming REF (nothing is written)."""
    if not ref or ref.startswith("-") or any(c in ref for c in "\0\n"):
        raise UserError(f"--base {ref!r}: not a git ref")
    inside = _git(root, "rev-parse", "--is-inside-work-tree")
    if inside.returncode != 0:
        raise UserError(f"--base {ref}: {root} is not a git checkout")
    commit = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if commit.returncode != 0 or not commit.stdout.strip():
        raise UserError(f"--base {ref}: not a commit in {root} (unknown ref; fetch it first?)")
    sha = commit.stdout.strip()
    tree = _git(root, "rev-parse", "--verify", "--quiet", f"{sha}^{{tree}}").stdout.strip()
    return BaseRef(ref, sha, tree)


def base_dir() -> Path:
    return cache_dir() / "base"


def export_tree(root: Path, base: BaseRef) -> Path:
    """REF's project files in the cache (``base/src/TREE``), exported once per tree."""
    target = base_dir() / "src" / base.tree
    if (target / ".complete").is_file():
        return target
    top = _git(root, "ls-tree", "--name-only", base.commit).stdout.split()
    paths = [p for p in EXPORTED if p in top]
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{base.tree[:12]}.", dir=target.parent))
    try:
        if paths:
            archive = _git(root, "archive", "--format=tar", base.commit, "--", *paths, binary=True)
            if archive.returncode != 0:
                raise UserError(f"--base {base.ref}: git archive failed: "
                                f"{archive.stderr.decode(errors='replace').strip().splitlines()[-1:]}")
            with tarfile.open(fileobj=io.BytesIO(archive.stdout), mode="r:") as tar:
                tar.extractall(tmp, filter="data")
        (tmp / ".complete").write_text(base.commit + "\n", encoding="utf-8")
        if target.exists():  # another run exported it meanwhile (or an incomplete leftover)
            shutil.rmtree(target, ignore_errors=True)
        os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def only_in_base(root: Path, base: BaseRef, env: str, regions: list[str]) -> list[str]:
    """Regions of ``env`` that REF has and the working tree does not (never planned: see the module doc)."""
    listing = _git(root, "ls-tree", "--name-only", base.commit, f"environments/{env}/").stdout.split()
    names = {Path(p).stem for p in listing if p.endswith(".yaml") and Path(p).name != "env.yaml"}
    return sorted(names - set(regions))


def cache_key(base: BaseRef, env: str, region: str, opts: Any) -> str:
    parts = {"tree": base.tree, "environment": env, "region": region, "toolkit": __version__,
             "provider": opts.sandbox_info, "terraform": str(opts.terraform.value) if opts.terraform else None}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:  # two runs building the same base: the second waits, then reuses it
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


class BaseBuilder:
    """Builds (or reuses) the base state of each region for one run; handed to the pipeline."""

    def __init__(self, root: Path, base: BaseRef, opts: Any, log: Log | None = None,
                 progress: Progress | None = None) -> None:
        self.root, self.base, self.opts, self.log, self.progress = root, base, opts, log, progress

    def _say(self, cfg: RegionConfig, text: str) -> None:
        if self.log:
            self.log(f"{cfg.environment}/{cfg.region}: base {self.base.short}: {text}")

    def info(self, exists: bool, note: str | None = None) -> dict[str, Any]:
        return {"ref": self.base.ref, "commit": self.base.commit, "tree": self.base.tree, "exists": exists,
                "note": note}

    def __call__(self, cfg: RegionConfig) -> BaseState:
        env, region = cfg.environment, cfg.region
        key = cache_key(self.base, env, region, self.opts)
        store = base_dir() / "state" / key
        with _locked(base_dir() / "state" / f"{key}.lock"):
            meta = store / _META
            if meta.is_file():
                data = json.loads(meta.read_text(encoding="utf-8"))
                state = store / BASE_STATE if data.get("exists") else None
                if state is None or state.is_file():
                    self._say(cfg, f"cached base state reused ({key[:12]})")
                    return BaseState(data["info"], state, cached=True)
            src = export_tree(self.root, self.base)
            project = Project(src)
            if env not in project.environment_names():
                result = BaseState(self.info(False, f"environment {env} does not exist at {self.base.ref}: "
                                                    "everything is a create"), None)
            elif region not in project.region_files(env):
                result = BaseState(self.info(False, f"{env}/{region} does not exist at {self.base.ref}: "
                                                    "everything is a create"), None)
            else:
                result = self._build(project, env, region, store)
            store.mkdir(parents=True, exist_ok=True)
            tmp = store / f".{_META}.{os.getpid()}"
            tmp.write_text(json.dumps({"exists": result.state is not None, "info": result.info}), encoding="utf-8")
            os.replace(tmp, meta)
            if result.state is None:
                self._say(cfg, result.info["note"])
            return result

    def _build(self, project: Project, env: str, region: str, store: Path) -> BaseState:
        from toolkit.plan.pipeline import plan_region
        from toolkit.plan.workdir import check_writable

        try:
            cfg = project.region(env, region)
        except InfraError as exc:
            raise UserError(f"--base {self.base.ref}: the settings of {env}/{region} there do not load: "
                            f"{str(exc).splitlines()[0]}") from None
        self._say(cfg, "building its sandbox state (render, plan, apply; cached afterwards)...")
        build = Path(tempfile.mkdtemp(prefix=".build.", dir=base_dir()))
        try:
            check_writable(build / env)
            opts = replace(self.opts, base_builder=None, remote_state=False)
            progress = self.progress

            def stage(row: str, name: str) -> None:
                if progress:
                    progress(row, "base built" if name == "done" else f"base {name}")

            result = plan_region(project, cfg, build, opts, stage)
            if result.status == "interrupted":
                from toolkit.adapters.terraform.process import Cancelled

                raise Cancelled(f"interrupted while building the base state of {self.base.ref}")
            if result.status != "ok":
                raise UserError(f"--base {self.base.ref}: the sandbox plan of {env}/{region} at "
                                f"{self.base.commit[:12]} failed at {result.stage}: {result.error}")
            stage(region, "apply")
            self._apply(cfg, build / env / region)
            store.mkdir(parents=True, exist_ok=True)
            from toolkit.artifacts.layout import SANDBOX_STATE

            tmp = store / f".{BASE_STATE}.{os.getpid()}"
            shutil.copyfile(build / env / region / SANDBOX_STATE, tmp)
            os.chmod(tmp, 0o600)
            os.replace(tmp, store / BASE_STATE)
            counts = result.plan.counts if result.plan else None
            self._say(cfg, f"built ({counts.add if counts else '?'} resources applied to the base state)")
            return BaseState(self.info(True), store / BASE_STATE)
        finally:
            shutil.rmtree(build, ignore_errors=True)

    def _apply(self, cfg: RegionConfig, region_dir: Path) -> None:
        from infra_sandbox.world import WORLD_ENV
        from toolkit.adapters.terraform.runner import Terraform, resolve_engine
        from toolkit.artifacts.layout import SANDBOX_WORLD, TFPLAN, WORK

        env = dict(self.opts.sandbox_env)
        env["INFRA_SANDBOX_ACCOUNT_ID"] = cfg.account_id
        env[WORLD_ENV] = str(region_dir / SANDBOX_WORLD)
        tf = Terraform(region_dir / WORK / "terraform", engine=resolve_engine(self.opts.terraform), env=env,
                       log_file=region_dir / "base-apply.log", cancel=self.opts.cancel)
        try:
            tf.apply(region_dir / TFPLAN)
        except InfraError as exc:
            raise UserError(f"--base {self.base.ref}: the sandbox apply of {cfg.environment}/{cfg.region} failed: "
                            f"{str(exc).splitlines()[0]}") from None
