"""Make, find and verify plan bundles (the format: :mod:`toolkit.artifacts.bundle`).

``write_bundle`` runs once at the end of a region's plan; ``verify_bundle`` is the first thing
``infra apply`` does: every file listed by the manifest must be there with its sha256, nothing
else may be, and the digest of the manifest is what the gate approved.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path, PurePosixPath

from toolkit import __version__
from toolkit.artifacts import layout as files
from toolkit.artifacts.bundle import (
    BUNDLE_DIR,
    BUNDLE_PLAN,
    BUNDLE_PLAN_JSON,
    INPUTS_DIR,
    MANIFEST_JSON,
    REQUIRED_FILES,
    BundleManifest,
    EngineInfo,
    GitRef,
    bundle_digest,
    read_manifest,
)
from toolkit.artifacts.io import write_artifact
from toolkit.artifacts.layout import RegionLayout
from toolkit.artifacts.summary import Summary
from toolkit.errors import UserError
from toolkit.fsutil import atomic_write_bytes, sha256_file
from toolkit.settings import Project, RegionConfig

PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600


def git_ref(root: Path) -> GitRef:
    """HEAD's commit and tree, and whether the checkout has uncommitted changes (null without git)."""

    def git(*args: str) -> str | None:
        try:
            proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30,
                                  check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return proc.stdout.strip() if proc.returncode == 0 else None

    commit = git("rev-parse", "--verify", "HEAD")
    if commit is None:
        return GitRef()
    status = git("status", "--porcelain")
    return GitRef(commit=commit, tree=git("rev-parse", "--verify", "HEAD^{tree}"),
                  dirty=None if status is None else bool(status))


def stack_sha256(root: Path) -> str:
    """sha256 over the root stack (``terraform/*.tf``, the lock file) and every file of ``modules/``."""
    stack = root / "terraform"
    paths = [p for pattern in ("*.tf", "*.tf.json", ".terraform.lock.hcl") for p in stack.glob(pattern)]
    paths += [p for p in (root / "modules").rglob("*") if p.is_file() and ".terraform" not in p.parts]
    h = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.relative_to(root).as_posix()):
        h.update(f"{path.relative_to(root).as_posix()}\0{sha256_file(path)}\n".encode())
    return h.hexdigest()


def state_location(cfg: RegionConfig, layout: RegionLayout, mode: str, remote_state: bool) -> str:
    """Where the plan's backend keeps state (as the pipeline configured it)."""
    if mode == "sandbox" and not remote_state:
        return f"local:{(layout / files.SANDBOX_STATE).resolve()}"
    return f"s3://{cfg.state_bucket}/{cfg.state_key}"


def _bundle_sources(layout: RegionLayout) -> dict[str, Path]:
    sources = {BUNDLE_PLAN: layout.tfplan, BUNDLE_PLAN_JSON: layout.plan_json,
               f"{INPUTS_DIR}/{files.TFVARS_JSON}": layout.tfvars, f"{INPUTS_DIR}/{files.BACKEND_HCL}": layout.backend}
    for manifest in layout.manifest_files():
        sources[f"{INPUTS_DIR}/{files.MANIFESTS}/{manifest.name}"] = manifest
    return sources


def write_bundle(project: Project, cfg: RegionConfig, layout: RegionLayout, summary: Summary, *,
                 engine_kind: str, remote_state: bool = False, state: str | None = None) -> str:
    """Write ``REGION/bundle/`` from the plan just made (``summary`` is that plan's); returns the digest.

    The bundle is built in a private temporary directory beside it and swapped into place, so a
    reader sees the previous bundle or this one, never a mix. ``state``: where the plan's state
    really was, when not the region's usual place (``--base``: the copy of REF's state).
    """
    staging = Path(tempfile.mkdtemp(prefix=f".{BUNDLE_DIR}.", dir=layout.root))
    try:
        os.chmod(staging, PRIVATE_DIR)
        hashes: dict[str, str] = {}
        for rel, source in _bundle_sources(layout).items():
            data = source.read_bytes()
            target = staging / rel
            for parent in reversed(target.relative_to(staging).parents[:-1]):
                (staging / parent).mkdir(mode=PRIVATE_DIR, exist_ok=True)
                os.chmod(staging / parent, PRIVATE_DIR)
            atomic_write_bytes(target, data, PRIVATE_FILE)
            hashes[rel] = hashlib.sha256(data).hexdigest()
        manifest = BundleManifest(
            environment=cfg.environment, region=cfg.region, aws_region=cfg.aws_region, account_id=cfg.account_id,
            mode=summary.mode, state=state or state_location(cfg, layout, summary.mode, remote_state),
            toolkit_version=__version__,
            engine=EngineInfo(kind=engine_kind, terraform_version=summary.terraform_version),
            provider=summary.provider.model_dump(mode="json"), git=git_ref(project.root),
            stack_sha256=stack_sha256(project.root), created_at=summary.generated_at, files=hashes)
        write_artifact(staging / MANIFEST_JSON, manifest, mode=PRIVATE_FILE)
        target = layout / BUNDLE_DIR
        old = layout.root / f".{BUNDLE_DIR}.old"
        shutil.rmtree(old, ignore_errors=True)
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.exists():
            target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
        return bundle_digest(manifest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def locate_bundle(plan: Path | None, artifacts: Path, env: str, region: str) -> Path:
    """The bundle to apply: ``--plan`` (a bundle, a region directory, or a CI artifact directory holding
    ``ENV/REGION/bundle``), else the region's latest bundle in the artifacts directory."""
    if plan is None:
        bundle = RegionLayout.of(artifacts, env, region) / BUNDLE_DIR
        if not (bundle / MANIFEST_JSON).is_file():
            raise UserError(f"{bundle}: no plan bundle for {env}/{region} "
                            f"(run `infra plan {region} --env {env}` and `infra gate` first)")
        return bundle
    for candidate in (plan, plan / BUNDLE_DIR, plan / env / region / BUNDLE_DIR):
        if (candidate / MANIFEST_JSON).is_file():
            return candidate
    raise UserError(f"{plan}: not a plan bundle (no {MANIFEST_JSON}) nor a directory holding "
                    f"{env}/{region}/{BUNDLE_DIR}/{MANIFEST_JSON}")


def _inside(bundle: Path, rel: str) -> Path:
    pure = PurePosixPath(rel)
    if pure.is_absolute() or ".." in pure.parts or "\\" in rel or not pure.parts:
        raise UserError(f"{bundle / MANIFEST_JSON}: file {rel!r} is outside the bundle; refusing it")
    return bundle.joinpath(*pure.parts)


def verify_bundle(bundle: Path) -> tuple[BundleManifest, str]:
    """(manifest, digest) of a bundle whose every byte matches its manifest; else one UserError line."""
    if bundle.is_symlink() or not bundle.is_dir():
        raise UserError(f"{bundle}: not a plan bundle directory")
    manifest = read_manifest(bundle)
    for required in REQUIRED_FILES:
        if required not in manifest.files:
            raise UserError(f"{bundle / MANIFEST_JSON}: lists no {required}; not a complete plan bundle")
    for rel, expected in sorted(manifest.files.items()):
        path = _inside(bundle, rel)
        if path.is_symlink() or not path.is_file():
            raise UserError(f"{path}: missing from the plan bundle (its manifest lists it); refusing the bundle")
        actual = sha256_file(path)
        if actual != expected:
            raise UserError(f"{path}: sha256 {actual[:12]}… differs from the bundle manifest's {expected[:12]}…: "
                            "the bundle changed after it was planned; refusing it")
    listed = {*manifest.files, MANIFEST_JSON}
    for dirpath, dirnames, filenames in os.walk(bundle):
        for name in sorted(dirnames + filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(bundle).as_posix()
            if path.is_symlink():
                raise UserError(f"{path}: a symlink inside the plan bundle; refusing the bundle")
            if path.is_file() and rel not in listed:
                raise UserError(f"{path}: not listed in the bundle manifest; refusing the bundle")
    return manifest, bundle_digest(manifest)
