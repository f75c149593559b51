"""Apply exactly the reviewed plan bundle of a region, or nothing.

Before Terraform runs, :func:`prepare_apply` checks, in this order, and refuses with one line:

1. the bundle: every file its manifest lists is there with that sha256, and nothing else;
2. the target: planned for this environment, region, AWS region and account (from the
   manifest, never from ``summary.json``); a sandbox bundle only with ``--sandbox`` and only to
   this region's sandbox state, a cloud bundle never with ``--sandbox`` and, in cloud mode, only
   with credentials of the bundle's account;
3. the approval: the bundle digest is the one a passing gate recorded (``--approved``) and/or
   the one given with ``--expect-sha256``;
4. freshness ("stale plan: re-plan"): the current render of the settings gives the inputs the
   bundle holds, ``terraform/`` and ``modules/`` are as planned, and HEAD is the planned commit
   (or a commit with the same tree, as after a merge of an up-to-date branch).

Terraform then checks the rest itself: a plan whose state moved on is "Saved plan is stale".
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from toolkit.artifacts import layout as files
from toolkit.artifacts.bundle import BUNDLE_PLAN, BUNDLE_PLAN_JSON, INPUTS_DIR, BundleManifest
from toolkit.artifacts.io import read_artifact
from toolkit.artifacts.layout import RegionLayout
from toolkit.errors import InfraError, ToolError, UserError
from toolkit.fsutil import atomic_write_text, sha256_file
from toolkit.paths import Given
from toolkit.plan.bundle import git_ref, locate_bundle, stack_sha256, state_location, verify_bundle
from toolkit.plan.summary import plan_line, summarise
from toolkit.settings import Project, RegionConfig

APPLY_WORK = "apply"  # ARTIFACTS/ENV/REGION/apply/work/terraform: where apply inits and runs
STALE = "stale plan: re-plan"


@dataclass(frozen=True)
class Approval:
    """What the user says was reviewed: a gate's JSON record and/or a bundle digest."""

    gate_file: Path | None = None
    expect_sha256: str | None = None


class _GateRegion(BaseModel):
    model_config = ConfigDict(extra="ignore")
    region: str
    bundle_digest: str | None = None


class GateRecord(BaseModel):
    """The keys of ``gate-ENV.json`` that approve bundles."""

    model_config = ConfigDict(extra="ignore")
    what: ClassVar[str] = "the JSON record of `infra gate` (gate-ENV.json)"
    written_by: ClassVar[str] = "infra gate"

    environment: str
    passed: bool
    reason: str = ""
    regions: list[_GateRegion]


@dataclass
class PreparedApply:
    """A verified bundle, ready for the user's yes."""

    cfg: RegionConfig
    bundle: Path
    manifest: BundleManifest
    digest: str
    approved_by: str
    plan: dict[str, Any] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.cfg.environment}/{self.cfg.region}"

    def summary_lines(self) -> list[str]:
        m = self.manifest
        commit = (m.git.commit or "no git")[:12] + (" (dirty)" if m.git.dirty else "")
        lines = [f"{self.where} ({m.mode}, {m.aws_region}, account {m.account_id}): "
                 f"{plan_line(self.plan['counts'])}",
                 f"  bundle {self.bundle} sha256:{self.digest}",
                 f"  planned {m.created_at} at commit {commit}, toolkit {m.toolkit_version}, "
                 f"terraform {m.engine.terraform_version or '?'} ({m.engine.kind}); approved by {self.approved_by}"]
        lines += [f"  protected {c['action']}: {c['address']}" for c in self.plan["protected_changes"]]
        return lines


def _check_target(m: BundleManifest, bundle: Path, cfg: RegionConfig, layout: RegionLayout, sandbox: bool) -> None:
    where = f"{cfg.environment}/{cfg.region}"
    if (m.environment, m.region) != (cfg.environment, cfg.region):
        raise UserError(f"{bundle}: planned for {m.environment}/{m.region}, not {where}; refusing to apply it here")
    if m.aws_region != cfg.aws_region:
        raise UserError(f"{bundle}: planned for AWS region {m.aws_region}, but {where} is {cfg.aws_region}; "
                        "refusing it")
    if m.account_id != cfg.account_id:
        raise UserError(f"{bundle}: planned for account {m.account_id}, but {where} is account {cfg.account_id}; "
                        "refusing it")
    if m.mode == "sandbox" and not sandbox:
        raise UserError(f"{bundle}: a sandbox plan applies only to sandbox state, with --sandbox; "
                        "never to the cloud")
    if m.mode == "cloud" and sandbox:
        raise UserError(f"{bundle}: a cloud plan; --sandbox applies sandbox plans only")
    if m.state.startswith("local:"):
        expected = state_location(cfg, layout, "sandbox", remote_state=False)
        if m.mode == "sandbox" and m.state.endswith(f"/{files.BASE_STATE}"):
            raise UserError(f"{bundle}: planned with --base against a copy of a git ref's sandbox state, for review "
                            "only; re-plan without --base to apply to this region's sandbox state")
        if m.mode != "sandbox" or m.state != expected:
            raise UserError(f"{bundle}: its state is {m.state.removeprefix('local:')}, not the sandbox state of "
                            f"{where} here ({expected.removeprefix('local:')}); re-plan here")
        return
    expected = state_location(cfg, layout, "cloud", remote_state=True)
    if m.state != expected:
        raise UserError(f"{bundle}: its state is {m.state}, but {where} keeps state in {expected}; refusing it")
    from toolkit.adapters import aws

    if m.mode == "sandbox":
        if not aws.backend_endpoint_overrides(os.environ):
            raise UserError(f"{bundle}: a sandbox plan with remote state applies only against an S3 endpoint "
                            "override (AWS_ENDPOINT_URL_S3: moto, LocalStack), never to the cloud bucket")
        return
    account, arn = aws.caller_account(aws.new_session(cfg.aws_region), cfg.aws_region)
    if account != m.account_id:
        raise UserError(f"AWS credentials are for account {account} ({arn}), but the bundle of {where} was planned "
                        f"for account {m.account_id}; switch credentials")


def _check_approval(digest: str, cfg: RegionConfig, approval: Approval) -> str:
    where = f"{cfg.environment}/{cfg.region}"
    if approval.gate_file is None and approval.expect_sha256 is None:
        raise UserError(f"{where}: no approval given: pass --approved GATE.json (the record of a passing "
                        "`infra gate`) or --expect-sha256 DIGEST (the bundle digest that was reviewed)")
    said = []
    if approval.expect_sha256 is not None:
        want = approval.expect_sha256.strip().lower().removeprefix("sha256:")
        if want != digest:
            raise UserError(f"bundle digest {digest} of {where} is not the expected {want} (--expect-sha256); "
                            "refusing it")
        said.append("--expect-sha256")
    if approval.gate_file is not None:
        gate_file = approval.gate_file
        gate = read_artifact(gate_file, GateRecord)
        if gate.environment != cfg.environment:
            raise UserError(f"{gate_file}: the gate of environment {gate.environment!r}, not {cfg.environment!r}")
        if not gate.passed:
            raise UserError(f"{gate_file}: the gate did not pass ({gate.reason or 'no reason recorded'}); "
                            "it approves nothing")
        entry = next((r for r in gate.regions if r.region == cfg.region), None)
        if entry is None or entry.bundle_digest is None:
            raise UserError(f"{gate_file}: the gate recorded no bundle digest for {where}; "
                            "plan and gate that region, then review again")
        if entry.bundle_digest != digest:
            raise UserError(f"bundle digest {digest[:16]}… of {where} is not the one the gate approved "
                            f"({entry.bundle_digest[:16]}…, {gate_file.name}); apply the reviewed bundle, "
                            "or re-plan and review again")
        said.append(f"{gate_file.name} (passed)")
    return " and ".join(said)


def _short(commit: str | None) -> str:
    return commit[:12] if commit else "none (not a git checkout)"


def _check_fresh(m: BundleManifest, project: Project, cfg: RegionConfig) -> None:
    """The bundle still is what the working tree would plan: same inputs, same stack, same commit (or tree)."""
    from toolkit.render.inputs import render_region

    with tempfile.TemporaryDirectory(prefix="infra-apply-render-") as tmp:
        render_region(project, cfg, Path(tmp))
        current = {p.relative_to(tmp).as_posix(): sha256_file(p) for p in Path(tmp).rglob("*") if p.is_file()}
    planned = {rel.removeprefix(f"{INPUTS_DIR}/"): digest for rel, digest in m.files.items()
               if rel.startswith(f"{INPUTS_DIR}/")}
    changed = sorted(name for name in planned.keys() | current.keys() if planned.get(name) != current.get(name))
    if changed:
        raise UserError(f"{STALE} ({cfg.environment}/{cfg.region}: the settings now render other inputs than the "
                        f"bundle's: {', '.join(changed)})")
    if stack_sha256(project.root) != m.stack_sha256:
        raise UserError(f"{STALE} ({cfg.environment}/{cfg.region}: terraform/ or modules/ changed since the plan)")
    now = git_ref(project.root)
    if now.commit != m.git.commit and (m.git.tree is None or now.tree != m.git.tree):
        raise UserError(f"{STALE} ({cfg.environment}/{cfg.region}: planned at commit {_short(m.git.commit)}, "
                        f"the checkout is at {_short(now.commit)})")


def prepare_apply(project: Project, cfg: RegionConfig, artifacts: Path, *, plan: Path | None, approval: Approval,
                  sandbox: bool) -> PreparedApply:
    """Every check that needs no Terraform; the verified bundle, or one UserError line."""
    layout = RegionLayout.of(artifacts, cfg.environment, cfg.region)
    bundle = locate_bundle(plan, artifacts, cfg.environment, cfg.region)
    manifest, digest = verify_bundle(bundle)
    _check_target(manifest, bundle, cfg, layout, sandbox)
    approved_by = _check_approval(digest, cfg, approval)
    _check_fresh(manifest, project, cfg)
    try:
        plan_json = json.loads((bundle / BUNDLE_PLAN_JSON).read_text(encoding="utf-8"))
        plan_summary = dict(summarise(plan_json))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UserError(f"{bundle / BUNDLE_PLAN_JSON}: not a readable plan ({exc})") from None
    return PreparedApply(cfg, bundle, manifest, digest, approved_by, plan_summary)


@contextlib.contextmanager
def _region_lock(layout: RegionLayout) -> Iterator[None]:
    layout.root.mkdir(parents=True, exist_ok=True)
    with open(layout / files.LOCK, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError(f"another infra run is using {layout.root}; wait for it") from None
        yield


def run_apply(prepared: PreparedApply, project: Project, artifacts: Path, *, terraform: Given | None = None,
              provider_schema: Given | None = None, lock_timeout: str | None = None,
              log: Callable[[str], None] | None = None) -> None:
    """Init a private work dir for the bundle's backend, then ``terraform apply`` the bundle's plan file.

    Only called once the user said yes (the runner passes ``-auto-approve`` to Terraform for that reason).
    """
    from toolkit.adapters.terraform.runner import Terraform, resolve_engine
    from toolkit.plan.workdir import stage_workdir
    from toolkit.render.inputs import hcl_string, hcl_value

    m, cfg = prepared.manifest, prepared.cfg
    layout = RegionLayout.of(artifacts, cfg.environment, cfg.region)
    with _region_lock(layout):
        stack = stage_workdir(project.root, layout / APPLY_WORK, m.mode)
        env: dict[str, str] = {}
        init_args = ["init", "-no-color", "-input=false", "-reconfigure"]
        if m.mode == "sandbox":
            from toolkit.plan.mode import prepare_sandbox

            _inst, sandbox_env, _info = prepare_sandbox(provider_schema)
            env.update(sandbox_env)
            env["INFRA_SANDBOX_ACCOUNT_ID"] = m.account_id
        if m.state.startswith("local:"):
            path = m.state.removeprefix("local:")
            atomic_write_text(stack / "backend_override.tf", "# sandbox: local state (generated)\nterraform {\n"
                              f"  backend \"local\" {{\n    path = {hcl_string(path)}\n  }}\n}}\n")
        else:
            (stack / "backend_override.tf").unlink(missing_ok=True)
            init_args.append(f"-backend-config={(prepared.bundle / INPUTS_DIR / files.BACKEND_HCL).resolve()}")
            from toolkit.adapters.aws import backend_endpoint_overrides

            extra = backend_endpoint_overrides(os.environ)
            if extra:
                lines = [f"{key} = {hcl_value(value)}" for key, value in sorted(extra.items())]
                atomic_write_text(stack / "backend-endpoints.hcl", "\n".join(lines) + "\n")
                init_args.append(f"-backend-config={(stack / 'backend-endpoints.hcl').resolve()}")
        log_file = layout.apply_log
        log_file.touch(mode=0o600, exist_ok=True)
        log_file.chmod(0o600)
        tf = Terraform(stack, engine=resolve_engine(terraform), env=env, log=log, log_file=log_file)
        tf.run(init_args)
        try:
            tf.apply(prepared.bundle / BUNDLE_PLAN, lock_timeout=lock_timeout)
        except ToolError as exc:
            if "Saved plan is stale" in str(exc):  # Terraform's own refusal, said whole
                raise ToolError("terraform apply refused the bundle: Saved plan is stale (the state changed after "
                                f"the plan was made; nothing applied); re-plan {prepared.where}") from None
            raise


@dataclass
class SequenceResult:
    """What ``apply --all`` did: applied in order, then the first failure (if any), then the rest untouched."""

    applied: list[str] = field(default_factory=list)
    failed: str | None = None
    error: str | None = None
    not_applied: list[str] = field(default_factory=list)


def apply_in_order(items: list[PreparedApply], apply_one: Callable[[PreparedApply], None]) -> SequenceResult:
    """Apply one region at a time, in the given order; stop at the first failure."""
    result = SequenceResult()
    for i, item in enumerate(items):
        try:
            apply_one(item)
        except InfraError as exc:
            result.failed, result.error = item.where, str(exc)
            result.not_applied = [later.where for later in items[i + 1:]]
            return result
        result.applied.append(item.where)
    return result
