"""`infra apply` applies exactly the reviewed plan bundle, or nothing (real plan files, real Terraform, sandbox).

One region (staging/us-east) is planned, scanned and gated once for the module; each refusal
works on a copy of those artifacts (or of the project), so every case runs against real plan
files without planning again.
"""

from __future__ import annotations

import hashlib
import json
import os
import pty
import select
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.apply.helpers import copy_tree, git, git_project, sandbox_environment
from tests.support import REPO
from toolkit.artifacts.bundle import BundleManifest, bundle_digest, canonical_manifest
from toolkit.errors import ToolError
from toolkit.plan.apply import SequenceResult, apply_in_order

ENV, REGION = "staging", "us-east"
Infra = Callable[..., Any]


@dataclass(frozen=True)
class Reviewed:
    project: Path
    artifacts: Path

    @property
    def region_dir(self) -> Path:
        return self.artifacts / ENV / REGION

    @property
    def bundle(self) -> Path:
        return self.region_dir / "bundle"

    @property
    def gate(self) -> Path:
        return self.artifacts / "gate" / ENV / f"gate-{ENV}.json"

    @property
    def state(self) -> Path:
        return self.region_dir / "sandbox.tfstate"

    def plan_line(self) -> str:
        """Terraform's line for this plan, counted from plan.json (a fresh region: creates only)."""
        changes = json.loads((self.region_dir / "plan.json").read_text())["resource_changes"]
        adds = sum(1 for rc in changes if rc["change"]["actions"] == ["create"])
        assert adds > 60 and all(rc["change"]["actions"] in (["create"], ["read"], ["no-op"]) for rc in changes)
        return f"Plan: {adds} to add, 0 to change, 0 to destroy."

    def digest(self) -> str:
        return bundle_digest(BundleManifest.model_validate_json((self.bundle / "manifest.json").read_text()))


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reviewed]:
    """plan (with the policy scan) -> gate, once: the reviewed bundle of staging/us-east."""
    from toolkit.cli import run

    base = tmp_path_factory.mktemp("reviewed")
    with sandbox_environment(base / "cache"):
        project, artifacts = git_project(base / "proj"), base / "art"
        common = ["--project", str(project), "--artifacts", str(artifacts)]
        assert run([*common, "plan", REGION, "--env", ENV, "--sandbox"]) == 0
        assert run([*common, "gate", "--env", ENV, "--region", REGION]) == 0
        yield Reviewed(project, artifacts)


def _snapshot(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


def _refused(result: Any, *expected: str) -> str:
    """Exit 1 with exactly one line, naming what was expected."""
    assert result.code == 1, (result.code, result.err)
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    for text in expected:
        assert text in lines[0], lines[0]
    return str(lines[0])


def _apply(infra: Infra, r: Reviewed, *extra: str, artifacts: Path | None = None, project: Path | None = None,
           region: str = REGION, env: str = ENV) -> Any:
    return infra("--project", str(project or r.project), "--artifacts", str(artifacts or r.artifacts),
                 "apply", region, "--env", env, *extra)


def _rewrite_manifest(bundle: Path, **changes: Any) -> str:
    """Edit the manifest as an attacker would (consistently); returns the new bundle digest."""
    data = json.loads((bundle / "manifest.json").read_text())
    data.update(changes)
    (bundle / "manifest.json").write_text(json.dumps(data, indent=2))
    return bundle_digest(BundleManifest.model_validate(data))


# ---------------------------------------------------------------- the bundle


def test_plan_writes_a_private_bundle_whose_digest_the_gate_records(reviewed: Reviewed) -> None:
    bundle = reviewed.bundle
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert (manifest["environment"], manifest["region"], manifest["aws_region"]) == (ENV, REGION, "us-east-1")
    assert manifest["account_id"] == "123456789012" and manifest["mode"] == "sandbox"
    assert manifest["git"] == {"commit": git(reviewed.project, "rev-parse", "HEAD"),
                               "tree": git(reviewed.project, "rev-parse", "HEAD^{tree}"), "dirty": False}
    assert manifest["engine"]["kind"] == "embedded" and manifest["engine"]["terraform_version"]
    assert manifest["toolkit_version"] and manifest["stack_sha256"]
    assert manifest["state"] == f"local:{reviewed.state.resolve()}"
    listed = set(manifest["files"])
    assert {"tfplan", "plan.json", "inputs/terraform.tfvars.json", "inputs/backend.hcl"} <= listed
    assert any(f.startswith("inputs/manifests/") for f in listed)
    on_disk = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()}
    assert on_disk == listed | {"manifest.json"}
    for rel, digest in manifest["files"].items():
        assert hashlib.sha256((bundle / rel).read_bytes()).hexdigest() == digest
    assert (bundle / "tfplan").read_bytes() == (reviewed.region_dir / "tfplan").read_bytes()
    for path in [bundle, *bundle.rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path
    # The digest: sha256 of the canonical manifest; the gate's JSON and its comment name it.
    digest = hashlib.sha256(canonical_manifest(BundleManifest.model_validate(manifest))).hexdigest()
    assert digest == reviewed.digest()
    gate = json.loads(reviewed.gate.read_text())
    assert gate["passed"] and [r["bundle_digest"] for r in gate["regions"]] == [digest]
    assert f"`sha256:{digest}`" in reviewed.gate.with_suffix(".md").read_text()


# ---------------------------------------------------------------- the happy path, then Terraform's refusal


def test_the_reviewed_bundle_applies_once_then_terraform_refuses_it(infra: Infra, reviewed: Reviewed) -> None:
    result = _apply(infra, reviewed, "--approved", str(reviewed.gate), "--sandbox", "--yes")
    assert result.code == 0, result.err
    assert reviewed.plan_line() in result.err
    assert f"sha256:{reviewed.digest()}" in result.err and "applied staging/us-east" in result.err
    state = json.loads(reviewed.state.read_text())
    assert sum(len(r["instances"]) for r in state["resources"] if r["mode"] == "managed") >= 70
    # The state moved on: the same bundle again is refused by Terraform itself, in one line.
    before = _snapshot(reviewed.state)
    again = _apply(infra, reviewed, "--approved", str(reviewed.gate), "--sandbox", "--yes")
    assert again.code == 1
    errors = [line for line in again.err.splitlines() if line.startswith("error:")]
    assert errors == [errors[0]] and "Saved plan is stale" in errors[0] and "nothing applied" in errors[0]
    assert _snapshot(reviewed.state) == before


# ---------------------------------------------------------------- refusals: the bundle itself


def _bundle_copy(reviewed: Reviewed, tmp_path: Path) -> Path:
    """A copy of the reviewed bundle, applied with --plan to the reviewed artifacts (its state)."""
    return Path(shutil.copytree(reviewed.bundle, tmp_path / "bundle"))


def test_a_tampered_plan_file_is_refused(infra: Infra, reviewed: Reviewed, tmp_path: Path) -> None:
    bundle = _bundle_copy(reviewed, tmp_path)
    plan = bundle / "tfplan"
    plan.write_bytes(plan.read_bytes() + b"\0")
    before = _snapshot(reviewed.state)
    line = _refused(_apply(infra, reviewed, "--plan", str(bundle), "--approved", str(reviewed.gate), "--sandbox",
                           "--yes"), "tfplan: sha256", "differs from the bundle manifest")
    assert "refusing it" in line
    assert _snapshot(reviewed.state) == before


def test_an_edited_manifest_is_refused(infra: Infra, reviewed: Reviewed, tmp_path: Path) -> None:
    bundle = _bundle_copy(reviewed, tmp_path)
    gate = str(reviewed.gate)
    # A manifest edited to match a changed plan file: consistent, but no longer the reviewed bundle.
    plan = bundle / "tfplan"
    plan.write_bytes(plan.read_bytes() + b"\0")
    files = json.loads((bundle / "manifest.json").read_text())["files"]
    _rewrite_manifest(bundle, files={**files, "tfplan": hashlib.sha256(plan.read_bytes()).hexdigest()})
    _refused(_apply(infra, reviewed, "--plan", str(bundle), "--approved", gate, "--sandbox", "--yes"),
             "is not the one the gate approved", f"{reviewed.digest()[:16]}")
    # Any other edit of the manifest changes the digest too.
    shutil.rmtree(bundle)
    bundle = _bundle_copy(reviewed, tmp_path)
    _rewrite_manifest(bundle, created_at="2000-01-01T00:00:00+00:00")
    _refused(_apply(infra, reviewed, "--plan", str(bundle), "--approved", gate, "--sandbox", "--yes"),
             "is not the one the gate approved")
    # A file the manifest does not list.
    shutil.rmtree(bundle)
    bundle = _bundle_copy(reviewed, tmp_path)
    (bundle / "inputs" / "extra.auto.tfvars.json").write_text("{}")
    _refused(_apply(infra, reviewed, "--plan", str(bundle), "--approved", gate, "--sandbox", "--yes"),
             "extra.auto.tfvars.json: not listed in the bundle manifest")


def test_a_plan_swapped_for_another_with_a_matching_digest_is_refused(infra: Infra, reviewed: Reviewed,
                                                                      tmp_path: Path) -> None:
    """Issue 17: tfplan replaced, and plan.sha256, summary.json and the manifest made to match it."""
    art = copy_tree(reviewed.artifacts, tmp_path / "art")
    region = art / ENV / REGION
    swapped = b"PK\x03\x04 another plan file"
    digest = hashlib.sha256(swapped).hexdigest()
    for target in (region / "tfplan", region / "bundle" / "tfplan"):
        target.write_bytes(swapped)
    (region / "plan.sha256").write_text(f"{digest}  tfplan\n")
    summary = json.loads((region / "summary.json").read_text())
    (region / "summary.json").write_text(json.dumps({**summary, "plan_sha256": digest}))
    files = json.loads((region / "bundle" / "manifest.json").read_text())["files"]
    new_digest = _rewrite_manifest(region / "bundle", files={**files, "tfplan": digest})
    before = _snapshot(reviewed.state)
    # Applied to the reviewed region (its state) with the reviewed gate / digest: refused either way.
    _refused(_apply(infra, reviewed, "--plan", str(region / "bundle"), "--approved", str(reviewed.gate),
                    "--sandbox", "--yes"), "is not the one the gate approved")
    _refused(_apply(infra, reviewed, "--plan", str(art), "--expect-sha256", reviewed.digest(), "--sandbox", "--yes"),
             f"bundle digest {new_digest}", "is not the expected")
    assert _snapshot(reviewed.state) == before


# ---------------------------------------------------------------- refusals: the target


def test_a_bundle_from_another_region_is_refused(infra: Infra, reviewed: Reviewed, tmp_path: Path) -> None:
    """Issue 17: the whole region directory (tfplan, plan.sha256, bundle) copied to another region."""
    art = copy_tree(reviewed.artifacts, tmp_path / "art")
    shutil.copytree(art / ENV / REGION, art / ENV / "eu-central", symlinks=True)
    before = _snapshot(art / ENV / "eu-central" / "sandbox.tfstate")
    line = _refused(_apply(infra, reviewed, "--expect-sha256", reviewed.digest(), "--sandbox", "--yes",
                           artifacts=art, region="eu-central"),
                    "planned for staging/us-east, not staging/eu-central")
    assert "refusing to apply it here" in line
    assert _snapshot(art / ENV / "eu-central" / "sandbox.tfstate") == before


def test_a_bundle_from_another_environment_is_refused(infra: Infra, reviewed: Reviewed, tmp_path: Path) -> None:
    art = copy_tree(reviewed.artifacts, tmp_path / "art")
    shutil.copytree(art / ENV / REGION, art / "prod" / REGION, symlinks=True)
    _refused(_apply(infra, reviewed, "--expect-sha256", reviewed.digest(), "--sandbox", "--yes", artifacts=art,
                    env="prod"), "planned for staging/us-east, not prod/us-east")
    # The same through --plan pointing at a CI artifact directory (ENV/REGION/bundle inside).
    _refused(_apply(infra, reviewed, "--plan", str(art), "--expect-sha256", reviewed.digest(), "--sandbox",
                    "--yes", artifacts=art, env="prod"), "planned for staging/us-east, not prod/us-east")
    # And a staging gate does not approve for prod.
    _refused(_apply(infra, reviewed, "--plan", str(art / "prod" / REGION / "bundle"), "--approved",
                    str(art / "gate" / ENV / f"gate-{ENV}.json"), "--sandbox", "--yes", artifacts=art, env="prod"),
             "planned for staging/us-east, not prod/us-east")


def test_a_bundle_for_another_account_is_refused(infra: Infra, reviewed: Reviewed, tmp_path: Path) -> None:
    art = copy_tree(reviewed.artifacts, tmp_path / "art")
    digest = _rewrite_manifest(art / ENV / REGION / "bundle", account_id="999999999999")
    _refused(_apply(infra, reviewed, "--expect-sha256", digest, "--sandbox", "--yes", artifacts=art),
             "planned for account 999999999999, but staging/us-east is account 123456789012")


def test_a_sandbox_bundle_never_reaches_the_cloud(infra: Infra, reviewed: Reviewed, tmp_path: Path) -> None:
    """Issue 17: summary.json edited to say cloud; the manifest's mode decides."""
    art = copy_tree(reviewed.artifacts, tmp_path / "art")
    summary = art / ENV / REGION / "summary.json"
    summary.write_text(json.dumps({**json.loads(summary.read_text()), "mode": "cloud"}))
    before = {p: _snapshot(p) for p in (reviewed.state, art / ENV / REGION / "sandbox.tfstate",
                                       art / ENV / REGION / "apply.log")}
    _refused(_apply(infra, reviewed, "--approved", str(art / "gate" / ENV / f"gate-{ENV}.json"), "--yes",
                    artifacts=art), "a sandbox plan applies only to sandbox state, with --sandbox; never to the cloud")
    # A sandbox bundle whose state is not this region's sandbox state (moved elsewhere): re-plan there.
    _refused(_apply(infra, reviewed, "--approved", str(art / "gate" / ENV / f"gate-{ENV}.json"), "--sandbox",
                    "--yes", artifacts=art), "not the sandbox state of staging/us-east here", "re-plan here")
    assert {p: _snapshot(p) for p in before} == before  # Terraform never ran


# ---------------------------------------------------------------- refusals: approval and freshness


def test_no_approval_or_a_failed_gate_approves_nothing(infra: Infra, reviewed: Reviewed, tmp_path: Path) -> None:
    before = _snapshot(reviewed.state)
    _refused(_apply(infra, reviewed, "--sandbox", "--yes"), "no approval given", "--approved GATE.json")
    failed = tmp_path / "gate-staging.json"
    failed.write_text(json.dumps({**json.loads(reviewed.gate.read_text()), "passed": False, "reason": "FAIL staging"}))
    _refused(_apply(infra, reviewed, "--approved", str(failed), "--sandbox", "--yes"),
             "the gate did not pass (FAIL staging)")
    assert _snapshot(reviewed.state) == before


def test_stale_inputs_are_refused(infra: Infra, reviewed: Reviewed, tmp_path: Path) -> None:
    """Settings edited after planning: the current render differs from the bundle's inputs."""
    project = copy_tree(reviewed.project, tmp_path / "proj")
    env_yaml = project / "environments" / ENV / "env.yaml"
    env_yaml.write_text(env_yaml.read_text().replace("owner: platform-team", "owner: someone-else"))
    before = _snapshot(reviewed.state)
    _refused(_apply(infra, reviewed, "--approved", str(reviewed.gate), "--sandbox", "--yes", project=project),
             "stale plan: re-plan", "terraform.tfvars.json")
    assert _snapshot(reviewed.state) == before


def test_a_stale_commit_or_stack_is_refused(infra: Infra, reviewed: Reviewed, tmp_path: Path) -> None:
    before = _snapshot(reviewed.state)
    planned = git(reviewed.project, "rev-parse", "HEAD")
    committed = copy_tree(reviewed.project, tmp_path / "committed")
    (committed / "NOTES.md").write_text("a later commit\n")
    git(committed, "add", "NOTES.md")
    git(committed, "commit", "-q", "-m", "later")
    _refused(_apply(infra, reviewed, "--approved", str(reviewed.gate), "--sandbox", "--yes", project=committed),
             "stale plan: re-plan", f"planned at commit {planned[:12]}",
             f"the checkout is at {git(committed, 'rev-parse', 'HEAD')[:12]}")
    # Same commit, but a module edited (uncommitted): the stack is not the planned one.
    edited = copy_tree(reviewed.project, tmp_path / "edited")
    module = sorted((edited / "modules").rglob("*.tf"))[0]
    module.write_text(module.read_text() + "\n# edited after the plan\n")
    _refused(_apply(infra, reviewed, "--approved", str(reviewed.gate), "--sandbox", "--yes", project=edited),
             "stale plan: re-plan", "terraform/ or modules/ changed since the plan")
    assert _snapshot(reviewed.state) == before


# ---------------------------------------------------------------- confirmation


def test_without_a_terminal_yes_is_required(infra: Infra, reviewed: Reviewed) -> None:
    before = _snapshot(reviewed.state)
    result = _apply(infra, reviewed, "--approved", str(reviewed.gate), "--sandbox")
    assert result.code == 1
    assert reviewed.plan_line() in result.err  # the summary is shown either way
    assert result.err.strip().splitlines()[-1] == "error: no terminal to confirm on: pass --yes to apply " \
                                                  "staging/us-east (nothing applied)"
    assert _snapshot(reviewed.state) == before


def _read_until(fd: int, needle: bytes, timeout: float) -> bytes:
    out = b""
    deadline = time.monotonic() + timeout
    while needle not in out and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    return out


def test_on_a_terminal_it_shows_the_plan_and_asks(reviewed: Reviewed) -> None:
    before = _snapshot(reviewed.state)
    master, slave = pty.openpty()
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", "from toolkit.cli import main; main()", "--project", str(reviewed.project), "--artifacts",
                             str(reviewed.artifacts), "apply", REGION, "--env", ENV, "--sandbox", "--approved",
                             str(reviewed.gate)], stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    try:
        shown = _read_until(master, b"[y/N]", timeout=120)
        assert b"Apply staging/us-east? [y/N]" in shown, shown.decode(errors="replace")
        assert reviewed.plan_line().encode() in shown
        os.write(master, b"n\n")
        rest = _read_until(master, b"cancelled", timeout=60)
        assert proc.wait(timeout=60) == 1
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert b"not applied: cancelled at the confirmation" in rest
    assert _snapshot(reviewed.state) == before


# ---------------------------------------------------------------- --all


def test_apply_all_states_its_order_and_stops_at_the_first_failure(infra: Infra, reviewed: Reviewed,
                                                                   tmp_path: Path) -> None:
    art = copy_tree(reviewed.artifacts, tmp_path / "art")
    before = _snapshot(reviewed.state)
    result = infra("--project", str(reviewed.project), "--artifacts", str(art), "apply", "--all", "--env", ENV,
                   "--approved", str(art / "gate" / ENV / f"gate-{ENV}.json"), "--sandbox", "--yes")
    assert result.code == 1
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert lines[0] == "apply order (staging): eu-central, us-east"
    assert lines[-1].startswith("error: stopped at staging/eu-central, nothing applied:")
    assert "no plan bundle for staging/eu-central" in lines[-1]
    assert len(lines) == 2 and "applying" not in result.err
    assert _snapshot(reviewed.state) == before


def test_apply_in_order_stops_at_the_first_failure() -> None:
    @dataclass
    class Item:
        where: str

    done: list[str] = []

    def one(item: Any) -> None:
        if item.where == "prod/eu-west":
            raise ToolError("terraform apply failed: boom")
        done.append(item.where)

    items: list[Any] = [Item("prod/eu-central"), Item("prod/eu-west"), Item("prod/us-east")]
    assert apply_in_order(items, one) == SequenceResult(
        applied=["prod/eu-central"], failed="prod/eu-west", error="terraform apply failed: boom",
        not_applied=["prod/us-east"])
    assert done == ["prod/eu-central"]
