"""infra gate"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from toolkit.cli.context import Ctx, pass_ctx
from toolkit.cli.errors import EXIT_UNEXPECTED, EXIT_USER
from toolkit.cli.options import artifacts_dir_option, complete_region, env_option, fail_on_option, json_option
from toolkit.errors import InfraError
from toolkit.gate.decision import judge
from toolkit.paths import Given


def _error_decision(env: str | None, fail_on: str, exc: Exception) -> dict[str, Any]:
    """The --json answer of a gate that could not judge: failed, with the error as its reason."""
    message, code = str(exc), int(getattr(exc, "exit_code", EXIT_USER))
    if isinstance(exc, OSError):
        # As the CLI's last line of defence maps them: a named path is the user's to fix.
        message = f"{exc.filename}: {exc.strerror or exc}" if exc.filename is not None else message
        code = EXIT_USER if exc.filename is not None else EXIT_UNEXPECTED
    return {"schema_version": 1, "environment": env, "passed": False,
            "exit_code": code, "reason": f"error: {message}",
            "error": message, "threshold": fail_on.upper(), "regions": [], "outputs": {}}


@click.command("gate")
@env_option
@fail_on_option
@artifacts_dir_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write JUnit, SARIF, JSON and the PR comment (default ARTIFACTS/gate/ENV/).")
@click.option("--region", "regions", multiple=True, shell_complete=complete_region,
              help="Only these regions (repeatable); default every region of the environment.")
@click.option("--base-policy", "base_policy", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The base's policy/ folder (e.g. the merge base's): floors lowered against it are findings, "
                   "and the PR comment shows the waiver file's changes.")
@json_option
@pass_ctx
def command(ctx: Ctx, env: Given | None, fail_on: str, local_artifacts: Path | None, out_dir: Path | None,
            regions: tuple[str, ...], base_policy: Path | None, json_flag: bool) -> None:
    """Decide whether a change may merge, from the artifacts of plan and scan.

    Exit 1 on any unwaived finding at or above --fail-on, on a destroy or replace of a
    protected type (KMS keys, EKS cluster, state bucket, secrets) without a waiver, on a
    residency violation, on Karpenter objects of the plan that differ from the rendered
    manifests, on a floor of policy/policy.yaml lowered against --base-policy, on an inline
    #checkov:skip without a waiver, on a waiver that breaks policy.yaml's waiver_rules, on
    an expired waiver or a failed region; exit 0 otherwise. Says why in one line. Writes
    gate-ENV.junit.xml, .sarif (2.1.0), .json and .md (one PR comment covering every region).
    Works on artifacts produced on other machines.

    With --json the decision (as in gate-ENV.json, plus the output paths) is printed on stdout,
    also when the gate fails (exit 1); a gate that cannot judge at all (no artifacts, an
    unknown region) prints {"passed": false, "error": ...} on stdout and the error on stderr.

    \b
    Examples:
      infra gate --env prod
      infra gate --env prod --fail-on CRITICAL --artifacts downloaded/ --out gate-out/
      git archive "$(git merge-base HEAD origin/main)" policy | tar -x -C /tmp/base
      infra gate --env prod --base-policy /tmp/base/policy
    """
    use_json = ctx.use_json(json_flag)
    env_name: str | None = None
    try:
        env_name = ctx.env(env)
        artifacts = local_artifacts.resolve() if local_artifacts else ctx.artifacts
        decision, outputs = judge(ctx.project, artifacts, env_name, regions=list(regions),
                                  fail_on=fail_on.upper(), out_dir=out_dir,
                                  base_policy=base_policy.resolve() if base_policy else None)
    except (InfraError, OSError) as exc:
        if use_json:
            # A gate that cannot judge fails, and says so on stdout too: a CI step reading the
            # JSON must never see an empty stdout and take it for a pass.
            ctx.emit_json(_error_decision(env_name or (env.value if env else None), fail_on, exc))
        raise
    if use_json:
        ctx.emit_json(decision.to_dict() | {"outputs": {k: str(v) for k, v in outputs.paths().items()}})
    else:
        ctx.log(f"outputs: {', '.join(str(v) for v in outputs.paths().values())}")
    click.echo(decision.reason, err=True)
    if not decision.passed:
        raise click.exceptions.Exit(decision.exit_code or EXIT_USER)
