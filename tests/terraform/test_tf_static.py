"""Static checks of modules/ and terraform/: fmt, README tables, argument names, contract."""

from __future__ import annotations

import re
from pathlib import Path

import hcl2
import pytest

from tests.support import hclschema, tfdocs
from tests.support.terraform import MODULES, OWN_MODULES, REPO, ROOT_STACK, module_dirs
from toolkit.adapters.terraform.runner import Terraform
from toolkit.settings import loader

OWN_DIRS = [MODULES / m for m in OWN_MODULES] + [ROOT_STACK]
OWN_IDS = [*OWN_MODULES, "root-stack"]


@pytest.mark.parametrize("directory", [*module_dirs(), ROOT_STACK], ids=lambda p: p.name)
def test_terraform_fmt_is_clean(directory: Path) -> None:
    changed = Terraform(directory).fmt_check(recursive=True)
    assert changed == [], f"terraform fmt would rewrite {changed} under {directory}"


@pytest.mark.parametrize("directory", OWN_DIRS, ids=OWN_IDS)
def test_readme_tables_match_the_code(directory: Path) -> None:
    current = tfdocs.current_tables(directory / "README.md")
    assert current is not None, f"{directory}/README.md lacks the {tfdocs.BEGIN} / {tfdocs.END} markers"
    assert current == tfdocs.render_tables(directory), (
        f"{directory}/README.md is stale: run python tests/support/tfdocs.py --write {directory.relative_to(REPO)}"
    )


def test_readme_generator_lists_every_variable_and_output() -> None:
    tables = tfdocs.render_tables(MODULES / "kms")
    for name in ("keys", "zone_regions", "deletion_window_days", "rotation_period_days"):
        assert f"[{name}](#input_{name})" in tables
    assert "[replica_key_arns](#output_replica_key_arns)" in tables
    # Required inputs come first and say so; a default is shown as JSON.
    assert re.search(r"\[keys\]\(#input_keys\) .*\| n/a \| yes \|", tables)
    assert re.search(r"\[deletion_window_days\].*\| `30` \| no \|", tables)


def test_readme_check_detects_drift(tmp_path: Path) -> None:
    module = tmp_path / "m"
    module.mkdir()
    (module / "variables.tf").write_text('variable "a" {\n  description = "A."\n  type        = string\n}\n')
    (module / "README.md").write_text(f"# m\n\n{tfdocs.BEGIN}\n{tfdocs.END}\n")
    assert tfdocs.main([str(module)]) == 1
    assert tfdocs.write_tables(module) is True
    assert tfdocs.main([str(module)]) == 0
    (module / "variables.tf").write_text(
        'variable "b" {\n  description = "B."\n  type        = number\n  default     = 1\n}\n'
    )
    assert tfdocs.main([str(module)]) == 1


@pytest.mark.parametrize("directory", OWN_DIRS, ids=OWN_IDS)
def test_arguments_exist_in_the_provider_schema(directory: Path) -> None:
    assert hclschema.check_tree(directory) == []


def test_schema_checker_reports_wrong_names(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_eks_cluster" "c" {\n  name = "x"\n  role_arn = "r"\n  endpoint = "e"\n'
        "  vpc_config {\n    subnet_id = []\n  }\n}\n"
    )
    errors = hclschema.check_tree(tmp_path)
    assert any("'endpoint' is computed-only" in e for e in errors)
    assert any("unknown argument 'subnet_id'" in e for e in errors)
    assert any("missing required argument 'subnet_ids'" in e for e in errors)


def _contract_variables() -> list[str]:
    text = (REPO / "docs" / "contracts.md").read_text()
    section = text.split("## Root stack inputs", 1)[1]
    block = section.split("```", 2)[1]
    return [m.group(1) for m in re.finditer(r"^([a-z_]+)\s{2,}\S", block, flags=re.MULTILINE)]


def _root_variables() -> list[str]:
    with (ROOT_STACK / "variables.tf").open() as fh:
        doc = hcl2.load(fh)
    return [name for block in doc.get("variable", []) for name in block]


def test_root_stack_variables_equal_the_contract() -> None:
    contract = _contract_variables()
    assert len(contract) == 13, contract
    assert sorted(_root_variables()) == sorted(contract)


def test_root_stack_variables_equal_the_rendered_keys() -> None:
    project = loader.Project(REPO)
    env = project.environment(project.environment_names()[0])
    cfg = next(iter(env.regions.values()))
    inputs = loader.stack_inputs(cfg, project.catalog)
    assert sorted(inputs) == sorted(_root_variables())


def _object_attributes(type_expr: str) -> set[str]:
    """Top-level attribute names of an hcl2-rendered object type expression."""
    inner = type_expr[type_expr.index("({") + 2 :].replace("\\", "")
    names: set[str] = set()
    depth = 0
    for match in re.finditer(r"'([a-z_]+)':|[({\[]|[)}\]]", inner):
        token = match.group(0)
        if token in "({[":
            depth += 1
        elif token in ")}]":
            depth -= 1
        elif depth == 0:
            names.add(match.group(1))
    return names


def test_root_stack_object_attributes_match_the_rendered_settings() -> None:
    project = loader.Project(REPO)
    env = project.environment(project.environment_names()[0])
    inputs = loader.stack_inputs(next(iter(env.regions.values())), project.catalog)
    with (ROOT_STACK / "variables.tf").open() as fh:
        doc = hcl2.load(fh)
    types = {name: body["type"][0] for block in doc["variable"] for name, body in block.items()}
    for var in ("network", "eks", "karpenter", "kms"):
        assert _object_attributes(types[var]) == set(inputs[var]), var
    pool = next(iter(inputs["karpenter"]["pools"].values()))
    pools_type = types["karpenter"][types["karpenter"].index("'pools'") :]
    assert _object_attributes(pools_type) == set(pool)
    secret_attrs = _object_attributes(types["secrets"])
    for secret in inputs["secrets"].values():
        assert set(secret) == secret_attrs


def test_root_stack_passes_every_secret_attribute_to_the_module() -> None:
    """Terraform drops undeclared object attributes silently: each declared secret attribute
    must reach modules/secrets, and modules/secrets must declare it."""
    with (ROOT_STACK / "variables.tf").open() as fh:
        root_vars = hcl2.load(fh)
    with (MODULES / "secrets" / "variables.tf").open() as fh:
        module_vars = hcl2.load(fh)
    root_attrs = _object_attributes(next(b["secrets"] for b in root_vars["variable"] if "secrets" in b)["type"][0])
    module_attrs = _object_attributes(next(b["secrets"] for b in module_vars["variable"] if "secrets" in b)["type"][0])
    assert {"exclude_punctuation", "rotation_schedule"} <= root_attrs
    assert root_attrs <= module_attrs, root_attrs - module_attrs
    main = (ROOT_STACK / "main.tf").read_text()
    block = main[main.index('module "secrets"') :]
    block = block[: block.index("\n}\n")]
    passed = set(re.findall(r"^\s+([a-z_]+)\s+= secret\.([a-z_]+)$", block, flags=re.MULTILINE))
    assert {(a, a) for a in root_attrs} == passed
