"""The on-demand share: settings (``toolkit.settings.pools.on_demand_share``, what validation
and rendering use) against the checkov check CKV_INFRA_3 (``policy/checks/infra_common.py``,
separate code that reads the rendered NodePools inside checkov).

They disagreed once: for ``on-demand-baseline`` the check divided the on-demand NodePool's
limit by the *largest* limit of the group instead of the sum, which over-stated prod's
gpu-inference share (0.5 -> 1.0), so a lowered baseline could never fail CKV_INFRA_3.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from toolkit.render import karpenter

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
FIXTURES = [HERE / "fixtures" / "mixes.tfvars.json", HERE / "fixtures" / "prod-us-east.tfvars.json"]


def _policy_helpers() -> ModuleType:
    spec = importlib.util.spec_from_file_location("infra_common", REPO / "policy" / "checks" / "infra_common.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("infra_common", module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _pools() -> list[Any]:
    params = []
    for path in FIXTURES:
        inputs = json.loads(path.read_text(encoding="utf-8"))
        for name in sorted(inputs["karpenter"]["pools"]):
            params.append(pytest.param(inputs, name, id=f"{path.stem}/{name}"))
    return params


@pytest.mark.parametrize("inputs, name", _pools())
def test_policy_check_computes_the_settings_share(inputs: dict[str, Any], name: str) -> None:
    ic = _policy_helpers()
    built = karpenter.build_manifests(inputs)
    group = [np for np in built["nodepools"] if ic.pool_group(np) == name]
    assert group
    assert ic.on_demand_share(group) == pytest.approx(karpenter.on_demand_share(inputs["karpenter"]["pools"][name]))
