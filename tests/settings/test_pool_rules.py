"""One rule set for Karpenter pools, tested on both sides against the same cases.

- the settings models (``toolkit.settings.pools``): every case of ``pool_cases.CASES``;
- the module (``modules/karpenter/variables.tf``): every case again, with the real
  embedded Terraform: one generated ``.tftest.hcl`` per case in a provider-free copy of
  the module, one ``terraform test -json`` for all of them; an invalid case must fail with
  "Invalid value for variable" and the case's message fragment, a valid one must pass;
- the valid cases render the same NodePools and EC2NodeClasses in HCL and in Python, so the
  two sides also agree on the defaults;
- the root stack declares the ``karpenter`` variable with the module's type.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import hcl2
import pytest

from tests.karpenter.test_karpenter_module import module_vars, planned_outputs, provider_free_copy
from tests.settings.pool_cases import CASES, Case
from tests.support import REPO
from toolkit.adapters.terraform.runner import Terraform
from toolkit.render import karpenter
from toolkit.settings import pool_tables as pools
from toolkit.settings.pool_tables import MESSAGES
from toolkit.settings.pools import validate_karpenter

MODULE = REPO / "modules" / "karpenter"
IDENTITY = {"name": "test-us-east", "region": "us-east-1", "account_id": "123456789012", "cluster_name": "test-us-east"}
VALID = [c for c in CASES if c.error is None]
INVALID = [c for c in CASES if c.error is not None]
# Rules whose HCL message keeps older words (a test of the plan output reads them); the
# cases still check a fragment both sides share.
HCL_WORDING = {"pools.*.taints/gpu": "Every GPU pool must carry the nvidia.com/gpu NoSchedule taint."}


def test_the_table_is_sound() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    assert all(re.fullmatch(r"[a-z][a-z0-9-]{0,62}", i) for i in ids)
    assert len(VALID) >= 30 and len(INVALID) >= 50


# ------------------------------------------------------------------ settings (pydantic)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_settings_models_give_the_case_verdict(case: Case) -> None:
    model, problems = validate_karpenter(case.data(), IDENTITY["region"])
    if case.error is None:
        assert problems == [] and model is not None
    else:
        assert model is None
        assert case.error in problems[0], problems


def test_every_rule_has_an_invalid_case() -> None:
    """Each rule's words show up in the verdict of some invalid case (no rule goes untested)."""
    seen = " ".join(validate_karpenter(c.data(), IDENTITY["region"])[1][0] for c in INVALID)
    untested = [key for key, text in MESSAGES.items() if text not in seen]
    assert untested == []


def test_variables_tf_uses_the_rule_words() -> None:
    text = (MODULE / "variables.tf").read_text(encoding="utf-8").replace("\\\\", "\\")
    missing = [key for key, words in MESSAGES.items() if HCL_WORDING.get(key, words) not in text]
    assert missing == []


# ------------------------------------------------------------------ the module (HCL validations)


def hcl(value: Any) -> str:
    """A JSON value as an HCL expression."""
    if value is None:
        return "null"
    if isinstance(value, (bool, int, float, str)):
        return json.dumps(value).replace("${", "$${").replace("%{", "%%{")
    if isinstance(value, list):
        return "[" + ", ".join(hcl(v) for v in value) + "]"
    return "{ " + ", ".join(f"{json.dumps(k)} = {hcl(v)}" for k, v in value.items()) + " }"


def tftest(case: Case) -> str:
    identity = "\n".join(f"  {k} = {json.dumps(v)}" for k, v in IDENTITY.items())
    return (f"# generated from tests/settings/pool_cases.py\nvariables {{\n{identity}\n}}\n\n"
            f'run "{case.id}" {{\n  command = plan\n\n  variables {{\n    karpenter = {hcl(case.data())}\n  }}\n}}\n')


@pytest.fixture(scope="module")
def module_copy(tmp_path_factory: pytest.TempPathFactory) -> Terraform:
    tf = Terraform(provider_free_copy(tmp_path_factory.mktemp("pool-rules") / "module"))
    tf.init(backend=False)
    return tf


@pytest.fixture(scope="module")
def hcl_verdicts(module_copy: Terraform) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """Case id -> (run status, [(diagnostic summary, detail)]) from one `terraform test -json`."""
    tests = module_copy.workdir / "tests"
    for old in tests.glob("*.tftest.hcl"):
        old.unlink()
    for case in CASES:
        (tests / f"{case.id}.tftest.hcl").write_text(tftest(case), encoding="utf-8")
    res = module_copy.run(["test", "-no-color", "-json"], check=False)
    status: dict[str, str] = {}
    diags: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for line in res.stdout.splitlines():
        event = json.loads(line) if line.startswith("{") else {}
        run = event.get("@testrun")
        if event.get("type") == "test_run" and event["test_run"].get("progress") == "complete":
            status[run] = event["test_run"]["status"]
        elif event.get("type") == "diagnostic" and run:
            diags[run].append((event["diagnostic"]["summary"], event["diagnostic"].get("detail", "")))
    assert len(status) == len(CASES), res.stdout[-3000:] + res.stderr[-2000:]
    return {case_id: (status[case_id], diags[case_id]) for case_id in status}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_module_validations_give_the_case_verdict(case: Case, hcl_verdicts: dict[str, Any]) -> None:
    status, diags = hcl_verdicts[case.id]
    if case.error is None:
        assert (status, diags) == ("pass", [])
    else:
        assert status in ("fail", "error"), (status, diags)
        assert diags and all(summary == "Invalid value for variable" for summary, _ in diags), diags
        assert any(case.error in detail for _, detail in diags), diags


def test_valid_cases_render_the_same_objects_in_hcl_and_python(module_copy: Terraform, tmp_path: Path) -> None:
    """All single-pool valid cases in one input: the module's defaults and splits equal Python's."""
    pools = {c.id: c.data()["pools"]["pool"] for c in VALID if c.pools is None and len(c.id) <= 32}
    assert len(pools) >= 30
    inputs = {**IDENTITY, "environment": "test", "tags": {"owner": "platform-team"},
              "karpenter": {"chart_version": "1.14.1", "pools": pools}}
    var_file = tmp_path / "valid.tfvars.json"
    var_file.write_text(json.dumps(module_vars(inputs)), encoding="utf-8")
    outputs = planned_outputs(module_copy, var_file)
    built = karpenter.build_manifests(inputs)
    assert outputs["nodepools"] == built["nodepools"]
    assert outputs["ec2nodeclasses"] == built["ec2nodeclasses"]


# ------------------------------------------------------------------ the root stack passes the module's type


def _karpenter_type(path: Path) -> str:
    """The type expression of ``variable "karpenter"``, normalised: hcl2 renders nested
    expressions as quoted, escaped ``${...}`` strings; drop those wrappers and all spaces."""
    with path.open(encoding="utf-8") as fh:
        doc = hcl2.load(fh)
    body = next(b["karpenter"] for b in doc["variable"] if "karpenter" in b)
    return re.sub(r"[\\\s']|\$\{", "", str(body["type"][0]))


def test_root_stack_karpenter_type_equals_the_module_type() -> None:
    root, module = _karpenter_type(REPO / "terraform" / "variables.tf"), _karpenter_type(MODULE / "variables.tf")
    assert "spot_share:optional(number,0.5)" in module and "pools:map(object(" in module  # parsed, not empty
    assert root == module


# ------------------------------------------------------------------ the family tables are the same on both sides


def _module_locals() -> dict[str, Any]:
    """The literal locals of modules/karpenter/*.tf (hcl2 may wrap a value in a one-item list)."""
    found: dict[str, Any] = {}
    for path in sorted(MODULE.glob("*.tf")):
        with path.open(encoding="utf-8") as fh:
            doc = hcl2.load(fh)
        for block in doc.get("locals", []):
            for key, value in block.items():
                found[key] = value[0] if isinstance(value, list) and len(value) == 1 and isinstance(
                    value[0], (list, dict)) else value
    return found


TABLES = {
    "nvidia_gpu_families": lambda: list(pools.NVIDIA_GPU_FAMILIES),
    "neuron_families": lambda: dict(pools.NEURON_FAMILIES),
    "other_accelerator_families": lambda: dict(pools.OTHER_ACCELERATOR_FAMILIES),
    "efa_families": lambda: list(pools.EFA_FAMILIES),
    "nvme_families": lambda: list(pools.NVME_FAMILIES),
}


@pytest.mark.parametrize("name", sorted(TABLES))
def test_family_tables_are_equal_in_hcl_and_python(name: str) -> None:
    assert _module_locals()[name] == TABLES[name]()
