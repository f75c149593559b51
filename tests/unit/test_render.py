"""Rendering: every pair renders, output is deterministic (golden), hostile values stay inert."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import hcl2
import pytest

from tests.conftest import REPO
from toolkit.render.inputs import hcl_string, render_backend, render_tfvars
from toolkit.settings import Project
from toolkit.settings.views import settings_json_schema

GOLDEN = Path(__file__).parent / "golden"


def _hcl(text: str) -> dict[str, object]:
    """Parse HCL attributes (bc-python-hcl2 wraps each attribute value in a list)."""
    return {k: (v[0] if isinstance(v, list) and len(v) == 1 else v) for k, v in hcl2.loads(text).items()}
PAIRS = [(env, region) for env in Project(REPO).environment_names() for region in sorted(Project(REPO).region_files(env))]


def test_catalog_has_the_four_regions_and_two_envs() -> None:
    project = Project(REPO)
    zones = {k: r.zone for k, r in project.catalog.regions.items()}
    assert zones == {"us-east": "us", "us-west": "us", "eu-central": "eu", "eu-west": "eu"}
    assert set(PAIRS) >= {("prod", r) for r in zones} | {("staging", "us-east"), ("staging", "eu-central")}


@pytest.mark.parametrize("env, region", PAIRS, ids=[f"{e}-{r}" for e, r in PAIRS])
def test_render_every_pair_matches_golden(env: str, region: str, infra: Callable[..., object], tmp_path: Path) -> None:
    out = tmp_path / "a"
    result = infra("--project", str(REPO), "--artifacts", str(out), "render", region, "--env", env)
    assert result.code == 0, result.err
    region_dir = out / env / region
    tfvars = json.loads((region_dir / "terraform.tfvars.json").read_text())
    assert tfvars["environment"] == env and tfvars["region_key"] == region
    assert tfvars["name"] == f"{env}-{region}"
    manifests = sorted(p.name for p in (region_dir / "manifests").iterdir())
    assert manifests == ["karpenter-applications.yaml", "karpenter-ec2nodeclasses.yaml", "karpenter-nodepools.yaml"]
    for name in ("terraform.tfvars.json", "backend.hcl"):
        golden = GOLDEN / env / region / name
        actual = (region_dir / name).read_text()
        if os.environ.get("UPDATE_GOLDEN"):
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(actual)
        assert golden.exists(), f"missing golden file {golden}; run with UPDATE_GOLDEN=1"
        assert actual == golden.read_text(), f"{name} differs from {golden} (UPDATE_GOLDEN=1 to accept)"


def test_render_is_deterministic(infra: Callable[..., object], tmp_path: Path) -> None:
    runs = []
    for n in range(2):
        out = tmp_path / str(n)
        assert infra("--project", str(REPO), "--artifacts", str(out), "render", "--all", "--env", "prod").code == 0
        runs.append({p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    assert runs[0] == runs[1]
    assert len(runs[0]) >= 4 * 4


def test_backend_is_in_region_with_kms_and_lockfile() -> None:
    project = Project(REPO)
    cfg = project.region("prod", "eu-west")
    parsed = _hcl(render_backend(cfg))
    assert parsed["region"] == "eu-west-1"
    assert parsed["key"] == "prod/eu-west/terraform.tfstate"
    assert parsed["bucket"].startswith("infra-tfstate-prod-eu-west-1-")
    assert parsed["encrypt"] is True and parsed["use_lockfile"] is True
    assert parsed["kms_key_id"] == "alias/infra-tfstate-prod"


HOSTILE = [
    'quote " inside',
    "back\\slash",
    "new\nline = \"x\"\nevil = true",
    "${file(\"/etc/passwd\")}",
    "%{ if true }x%{ endif }",
    "ünïcødé — ✓ 日本",
    '"\n}\nterraform { backend "local" {} }\n#',
    "\x00\x1b[31m",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hcl_string_cannot_change_structure(value: str) -> None:
    text = f"a = {hcl_string(value)}\nb = \"sentinel\"\n"
    parsed = _hcl(text)
    assert set(parsed) == {"a", "b"}, parsed
    assert parsed["b"] == "sentinel"
    assert "\n" not in hcl_string(value)
    assert "${" not in hcl_string(value).replace("$${", "")
    assert "%{" not in hcl_string(value).replace("%%{", "")


def test_hostile_values_in_tfvars_round_trip(project_copy: Path, tmp_path: Path) -> None:
    hostile = 'x" }\n${var.account_id} %{ for x in y } ünï'
    region_file = project_copy / "environments" / "staging" / "us-east.yaml"
    text = region_file.read_text().replace("description: Grafana admin password",
                                           "description: " + json.dumps(hostile))
    region_file.write_text(text)
    project = Project(project_copy)
    from toolkit.settings import stack_inputs

    inputs = stack_inputs(project.region("staging", "us-east"), project.catalog)
    rendered = render_tfvars(inputs)
    assert json.loads(rendered)["secrets"]["grafana-admin"]["description"] == hostile
    assert json.loads(rendered) == inputs


def test_committed_json_schema_is_in_sync() -> None:
    committed = json.loads((REPO / "environments" / "region.schema.json").read_text())
    assert committed == settings_json_schema(), "run: infra config schema --out environments/region.schema.json"


def test_schema_flags_typos_for_editors() -> None:
    import jsonschema

    schema = settings_json_schema()
    jsonschema.validate({"network": {"cidr": "10.0.0.0/16"}}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"netwrok": {}}, schema)


def test_interrupted_render_leaves_old_files(project_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             infra: Callable[..., object]) -> None:
    out = tmp_path / "a"
    assert infra("--project", str(project_copy), "--artifacts", str(out), "render", "us-east").code == 0
    tfvars = out / "staging" / "us-east" / "terraform.tfvars.json"
    before = tfvars.read_bytes()
    (project_copy / "environments" / "staging" / "us-east.yaml").write_text(
        (project_copy / "environments" / "staging" / "us-east.yaml").read_text().replace("10.20.0.0/16", "10.22.0.0/16"))

    import toolkit.fsutil

    real_replace = os.replace

    def failing_replace(src: str, dst: str) -> None:
        if str(dst).endswith("terraform.tfvars.json"):
            raise OSError("disk full (simulated)")
        real_replace(src, dst)

    monkeypatch.setattr(toolkit.fsutil.os, "replace", failing_replace)
    result = infra("--project", str(project_copy), "--artifacts", str(out), "render", "us-east")
    assert result.code == 3  # an OS failure is unexpected: logged, one line
    assert tfvars.read_bytes() == before
    assert not [p for p in tfvars.parent.iterdir() if p.name.endswith(".tmp")], "temp file left behind"


def test_config_show_json_and_yaml(infra: Callable[..., object]) -> None:
    as_json = infra("--project", str(REPO), "config", "show", "us-east", "--env", "prod", "--json")
    assert as_json.code == 0
    data = json.loads(as_json.out)
    assert data["eks"]["deletion_protection"] is True  # from prod/env.yaml over org defaults
    assert data["network"]["nat_gateway_mode"] == "one_per_az"
    as_yaml = infra("--project", str(REPO), "config", "show", "us-east", "--env", "staging")
    assert "nat_gateway_mode: single" in as_yaml.out


def test_regions_json_is_a_matrix(infra: Callable[..., object]) -> None:
    result = infra("--project", str(REPO), "regions", "--json")
    rows = json.loads(result.out)
    assert {(r["environment"], r["region"]) for r in rows} == set(PAIRS)
    assert all(set(r) == {"environment", "region", "aws_region", "zone"} for r in rows)


def test_every_command_has_help_with_examples(infra: Callable[..., object]) -> None:
    import click

    from toolkit.cli import cli

    def walk(group: click.Group, prefix: list[str]) -> list[list[str]]:
        out = []
        for name, cmd in group.commands.items():
            out.append(prefix + [name])
            if isinstance(cmd, click.Group):
                out.extend(walk(cmd, prefix + [name]))
        return out

    for path in walk(cli, []):
        result = infra(*path, "--help")
        assert result.code == 0, path
        cmd = cli
        for part in path:
            cmd = cmd.commands[part]  # type: ignore[attr-defined]
        if not isinstance(cmd, click.Group):
            assert "Example" in result.out, f"`infra {' '.join(path)} --help` has no example"


def test_version(infra: Callable[..., object]) -> None:
    from toolkit import __version__

    result = infra("--version")
    assert result.code == 0 and result.out.strip() == f"infra {__version__}"


def test_shell_completion_lists_regions_and_envs(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.shell_completion import ShellComplete

    from toolkit.cli import cli

    monkeypatch.chdir(REPO)
    comp = ShellComplete(cli, {}, "infra", "_INFRA_COMPLETE")
    regions = [c.value for c in comp.get_completions(["render"], "us-")]
    assert regions == ["us-east", "us-west"]
    envs = [c.value for c in comp.get_completions(["render", "us-east", "--env"], "")]
    assert envs == ["prod", "staging"]
