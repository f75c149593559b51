"""infra report"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, cast

import click

from toolkit.artifacts.layout import report_path
from toolkit.cli.context import Ctx, pass_ctx, pick_regions
from toolkit.cli.options import artifacts_dir_option, env_option, json_option, regions_argument
from toolkit.errors import InfraError
from toolkit.paths import Given
from toolkit.report import build_report, render, render_json, write_report

Format = Literal["html", "md", "json"]


@click.command("report")
@env_option
@regions_argument
@click.option("--format", "fmt", type=click.Choice(["html", "md", "json"]), default="html", show_default=True,
              help="html: one self-contained page; md: for wikis and pull requests; json: versioned schema "
                   "(toolkit/report/report.schema.json) for GRC tools.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here (atomically) instead of ARTIFACTS/ENV/compliance-report.FORMAT.")
@click.option("--stdout", "to_stdout", is_flag=True,
              help="Print the report on stdout instead of writing a file (with --json: the JSON report).")
@artifacts_dir_option
@json_option
@pass_ctx
def command(ctx: Ctx, env: Given | None, regions: tuple[str, ...], fmt: str, out: Path | None,
            to_stdout: bool, local_artifacts: Path | None, json_flag: bool) -> None:
    """Write the compliance report of an environment for auditors.

    For each region and control of the catalogue (controls/catalogue.yaml: CIS EKS, CIS
    AWS Foundations, SOC 2, ISO/IEC 27001:2022, GDPR transfers): met / not met / met with
    exception / not applicable, with evidence (resources, file:line, checks), waivers in
    force, and provenance (git commit, tool versions, sha256 of every plan and scan input).
    It starts by saying what it rests on: sandbox plans prove the configuration, not the
    account. Reads the artifacts of `infra plan` and `infra scan`; sensitive values never appear.

    \b
    Output:
      (default)        writes the file, says where on stderr
      --stdout         the report in --format on stdout, no file
      --json           writes the file; stdout: {"path", "format", "basis", "summary", ...}
      --json --stdout  the JSON report on stdout (whatever --format), no file

    \b
    Examples:
      infra report --env prod
      infra report --env prod --format md --out compliance.md
      infra report --env prod --format json --stdout | jq .summary
      infra report --env prod --artifacts downloaded/ --format md --json
    """
    use_json = ctx.use_json(json_flag)
    try:
        env_name = ctx.env(env)
        if regions:
            pick_regions(ctx, env_name, regions, False)
        artifacts = local_artifacts.resolve() if local_artifacts else ctx.artifacts
        report = build_report(ctx.root, artifacts, env_name, regions=list(regions) or None)
        kind = cast(Format, fmt)
        if to_stdout:
            click.echo(render(report, "json" if use_json else kind), nl=False)
            return
        path = write_report(report, kind, out or report_path(artifacts, env_name, fmt))
    except (InfraError, OSError, click.UsageError) as exc:
        if use_json:
            message = exc.format_message() if isinstance(exc, click.UsageError) else str(exc)
            if isinstance(exc, OSError) and exc.filename is not None:
                message = f"{exc.filename}: {exc.strerror or exc}"
            ctx.emit_json({"error": message})
        raise
    ctx.console.print(f"[green]wrote[/] {path}", highlight=False)
    if use_json:
        data = render_json(report)
        ctx.emit_json({"path": str(path), "format": fmt, "environments": data["environments"],
                       "basis": data["basis"], "summary": data["summary"], "issues": data["issues"]})
