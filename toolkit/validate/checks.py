"""`infra validate` and `infra test`: static checks of the whole repo with the sandbox provider.

Terraform writes ``.terraform/`` and a lock file next to the configuration it
runs in, so module examples and tests run in a staged copy of ``modules/`` under
the artifacts directory, never in the repo itself.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import InfraError
from toolkit.paths import Given
from toolkit.settings import Project, stack_inputs

Log = Callable[[str], None]


@dataclass
class Check:
    name: str
    ok: bool
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"check": self.name, "ok": self.ok, "problems": self.problems}


def _stage_modules(root: Path, dest: Path) -> Path:
    """Copy modules/ (without .terraform dirs or lock files) to ``dest/modules``."""
    target = dest / "modules"
    if target.exists():
        shutil.rmtree(target)

    def ignore(_dir: str, names: list[str]) -> list[str]:
        return [n for n in names if n in (".terraform", ".terraform.lock.hcl") or n.endswith(".tfstate")]

    shutil.copytree(root / "modules", target, ignore=ignore)
    return target


def module_names(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "modules").iterdir() if p.is_dir())


def fmt_check(root: Path, terraform: Given | None = None) -> Check:
    from toolkit.adapters.terraform.runner import Terraform, resolve_engine

    engine = resolve_engine(terraform)
    problems = []
    for sub in ("modules", "terraform"):
        for rel in Terraform(root / sub, engine=engine).fmt_check(recursive=True):
            problems.append(f"{sub}/{rel}: not formatted (run terraform fmt -recursive)")
    return Check("terraform fmt", not problems, problems)


def settings_check(project: Project, envs: list[str]) -> Check:
    problems = []
    for env in envs:
        try:
            project.environment(env)
        except InfraError as exc:
            problems.append(str(exc))
    return Check("settings", not problems, problems)


def manifests_check(project: Project, envs: list[str], regions: list[str] | None = None) -> Check:
    from toolkit.render import karpenter

    problems = []
    for env in envs:
        try:
            regions_of_env = project.environment(env).regions
        except InfraError:
            continue  # reported by settings_check
        for region, cfg in sorted(regions_of_env.items()):
            if regions and region not in regions:
                continue
            try:
                built = karpenter.build_manifests(stack_inputs(cfg, project.catalog))
            except InfraError as exc:
                problems.append(f"{env}/{region}: {exc}")
                continue
            for kind in ("nodepools", "ec2nodeclasses"):
                for obj in built[kind]:
                    for problem in karpenter.validate_manifest(obj):
                        problems.append(f"{env}/{region} {obj['kind']}/{obj['metadata']['name']}: {problem}")
    return Check("karpenter manifests vs CRDs", not problems, problems)


def _validate_dir(workdir: Path, label: str, sandbox_env: dict[str, str], reattach_env: dict[str, str],
                  terraform: Given | None, log_file: Path) -> Check:
    from toolkit.adapters.terraform.runner import Terraform, resolve_engine

    engine = resolve_engine(terraform)
    try:
        Terraform(workdir, engine=engine, env=sandbox_env, log_file=log_file).init(backend=False)
        result = Terraform(workdir, engine=engine, env=sandbox_env | reattach_env, log_file=log_file).validate()
    except InfraError as exc:
        return Check(f"terraform validate {label}", False, [str(exc)])
    problems = [f"{label}/{d.one_line()}" if d.filename else f"{label}: {d.one_line()}" for d in result.errors]
    return Check(f"terraform validate {label}", result.valid and not problems, problems)


def terraform_checks(root: Path, work: Path, inst: Any, terraform: Given | None,
                     parallelism: int = 2) -> list[Check]:
    """terraform validate of the root stack and of every module example (sandbox provider).

    One sandbox provider process serves every validate (Terraform reattaches to it).
    """
    from infra_sandbox.reattach import reattached_provider

    work.mkdir(parents=True, exist_ok=True)
    staged = _stage_modules(root, work)
    stack = work / "terraform"
    if stack.exists():
        shutil.rmtree(stack)
    stack.mkdir()
    for tf in (root / "terraform").glob("*.tf"):
        shutil.copy2(tf, stack / tf.name)
    targets = [("terraform", stack)]
    for example in sorted(staged.glob("*/examples/*")):
        if example.is_dir() and any(example.glob("*.tf")):
            targets.append((str(example.relative_to(work)), example))
    log = work / "validate.log"
    log.write_text("", encoding="utf-8")
    sandbox_env = inst.env()
    with reattached_provider(inst) as reattach_env, ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        futures = [pool.submit(_validate_dir, d, label, sandbox_env, reattach_env, terraform, log)
                   for label, d in targets]
        return [f.result() for f in futures]


@dataclass
class ModuleTest:
    module: str
    passed: bool
    output: str


def module_tests(root: Path, work: Path, inst: Any, terraform: Given | None,
                 modules: list[str] | None = None, log: Log | None = None) -> list[ModuleTest]:
    """``terraform test`` for each module that has ``tests/*.tftest.hcl`` (one shared provider)."""
    from infra_sandbox.reattach import reattached_provider
    from toolkit.adapters.terraform.runner import Terraform, resolve_engine

    staged = _stage_modules(root, work)
    engine = resolve_engine(terraform)
    sandbox_env = inst.env()
    results = []
    with reattached_provider(inst) as reattach_env:
        for mod in sorted(p for p in staged.iterdir() if p.is_dir()):
            if modules and mod.name not in modules:
                continue
            if not list((mod / "tests").glob("*.tftest.hcl")):
                continue
            if log:
                log(f"testing modules/{mod.name}")
            log_file = work / f"test-{mod.name}.log"
            try:
                Terraform(mod, engine=engine, env=sandbox_env, log_file=log_file).init(backend=False)
                res = Terraform(mod, engine=engine, env=sandbox_env | reattach_env, log_file=log_file).test()
                results.append(ModuleTest(mod.name, res.passed, res.output))
            except InfraError as exc:
                results.append(ModuleTest(mod.name, False, str(exc)))
    return results
