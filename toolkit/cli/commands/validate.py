"""infra validate, infra test"""

from __future__ import annotations

import os

import click

from toolkit.cli.context import Ctx, pass_ctx, pick_regions
from toolkit.cli.options import all_option, env_option, json_option, regions_argument, schema_option, terraform_option
from toolkit.errors import UserError
from toolkit.paths import Given
from toolkit.plan.mode import sandbox_install
from toolkit.validate import checks


@click.command("validate")
@regions_argument
@all_option
@env_option
@terraform_option
@schema_option
@json_option
@pass_ctx
def command(ctx: Ctx, regions: tuple[str, ...], all_regions: bool, env: Given | None, terraform: Given | None,
            provider_schema: Given | None, json_flag: bool) -> None:
    """Static checks: fmt, settings, terraform validate, manifests against the CRDs.

    terraform validate runs on the root stack and every module example with the sandbox
    provider, which serves the real AWS provider schema: unknown arguments, wrong types,
    missing required arguments or blocks are reported with file and line. Settings are
    checked for every environment (or the one given with --env); the Karpenter manifests
    of every region, or of the REGIONs given.

    \b
    Examples:
      infra validate
      infra validate us-east --env prod --json
    """
    envs = [ctx.env(env)] if env else ctx.project.environment_names()
    if regions or all_regions:
        for e in envs:
            pick_regions(ctx, e, regions, all_regions)  # names each unknown region, or REGION with --all
    inst = sandbox_install(provider_schema)
    ctx.console.print("checking fmt, settings, manifests, terraform validate (sandbox provider)...")
    results = [checks.fmt_check(ctx.root, terraform), checks.settings_check(ctx.project, envs),
               checks.manifests_check(ctx.project, envs, None if all_regions else list(regions) or None)]
    results += checks.terraform_checks(ctx.root, ctx.artifacts / "_validate", inst, terraform,
                                       parallelism=os.cpu_count() or 2)
    failed = [c for c in results if not c.ok]
    if ctx.use_json(json_flag):
        ctx.emit_json({"ok": not failed, "checks": [c.as_dict() for c in results]})
    else:
        for c in results:
            mark = "[green]ok[/]  " if c.ok else "[red]FAIL[/]"
            ctx.console.print(f"{mark} {c.name}")
            for problem in c.problems:
                ctx.log(f"      {problem}")
    if failed:
        raise UserError(f"validate: {len(failed)} of {len(results)} checks failed: "
                        f"{', '.join(c.name for c in failed)}")


@click.command("test")
@click.argument("modules", nargs=-1)
@terraform_option
@schema_option
@json_option
@pass_ctx
def test_command(ctx: Ctx, modules: tuple[str, ...], terraform: Given | None, provider_schema: Given | None,
                 json_flag: bool) -> None:
    """Run each module's tests/*.tftest.hcl with the sandbox provider.

    \b
    Examples:
      infra test
      infra test karpenter kms
    """
    known = checks.module_names(ctx.root)
    for m in modules:
        if m not in known:
            raise UserError(f"unknown module {m!r}; modules: {', '.join(known)}")
    inst = sandbox_install(provider_schema)
    results = checks.module_tests(ctx.root, ctx.artifacts / "_test", inst, terraform, list(modules) or None,
                                  log=ctx.log)
    if not results:
        raise UserError("no module has tests/*.tftest.hcl")
    if ctx.use_json(json_flag):
        ctx.emit_json([{"module": r.module, "passed": r.passed} for r in results])
    else:
        for r in results:
            tail = [ln for ln in r.output.splitlines() if ln.strip()][-1:] or [""]
            ctx.console.print(f"{'[green]pass[/]' if r.passed else '[red]FAIL[/]'} modules/{r.module}: {tail[0]}",
                              highlight=False)
            if not r.passed:
                ctx.log(r.output)
    failed = [r.module for r in results if not r.passed]
    if failed:
        raise UserError(f"terraform test failed in: {', '.join(failed)}")
