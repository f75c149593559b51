"""The control catalogue: size, frameworks, and every check id / resource type real."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest

from tests.report.conftest import CATALOGUE, REPO
from tests.support import load_aws_schema
from tests.support.checkov import builtin_list
from toolkit.errors import UserError
from toolkit.report.catalogue import Catalogue, load_catalogue


@lru_cache(maxsize=1)
def checkov_entities() -> dict[str, frozenset[str]]:
    """checkov's built-in terraform checks (id -> resource types), listed offline by the installed checkov."""
    listed = builtin_list()
    row = re.compile(r"^\|\s*\d+\s*\|\s*(CKV2?_[A-Z0-9]+_\d+)\s*\|\s*\w+\s*\|\s*([\w.]+)\s*\|", re.MULTILINE)
    found: dict[str, set[str]] = {}
    for check_id, entity in row.findall(listed):
        found.setdefault(check_id, set()).add(entity)
    assert len(found) > 1000, "checkov --list returned too few checks to be trusted"
    return {k: frozenset(v) for k, v in found.items()}


def checkov_ids() -> frozenset[str]:
    return frozenset(checkov_entities())


def custom_entities() -> dict[str, frozenset[str]]:
    """Our checks in policy/checks: id -> supported resource types (or Kubernetes kinds)."""
    found: dict[str, frozenset[str]] = {}
    pattern = re.compile(r'id="(CKV_INFRA_\d+)",.*?supported_(?:resources|entities)=\[([^\]]*)\]', re.DOTALL)
    for path in (REPO / "policy" / "checks").glob("*.py"):
        for check_id, listed in pattern.findall(path.read_text(encoding="utf-8")):
            found[check_id] = frozenset(e.strip().strip("\"'") for e in listed.split(",") if e.strip())
    return found


def custom_ids() -> set[str]:
    ids: set[str] = set()
    for path in (REPO / "policy" / "checks").glob("*.py"):
        ids.update(re.findall(r'id="(CKV_INFRA_\d+)"', path.read_text(encoding="utf-8")))
    return ids


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(CATALOGUE)


def test_catalogue_has_at_least_40_controls_in_all_frameworks(catalogue: Catalogue) -> None:
    assert len(catalogue.controls) >= 40
    keys = {c.key for c in catalogue.controls}
    for required in ("soc2/CC6.1", "soc2/CC6.6", "soc2/CC6.7", "soc2/CC7.2", "soc2/CC8.1",
                     "iso27001/A.8.24", "iso27001/A.8.15", "iso27001/A.5.15",
                     "gdpr/Art. 44", "gdpr/Art. 45", "gdpr/Art. 46",
                     "cis-eks/5.3.1", "cis-eks/2.1.1", "cis-aws/3.6", "cis-aws/3.7"):
        assert required in keys, required
    names = {f.name for f in catalogue.frameworks}
    assert {"CIS Amazon EKS Benchmark", "CIS AWS Foundations Benchmark", "SOC 2 Trust Services Criteria",
            "ISO/IEC 27001:2022 Annex A"} <= names
    assert any(n.startswith("GDPR") for n in names)
    for c in catalogue.controls:
        assert c.title and c.description and c.checks


@pytest.mark.slow
def test_every_builtin_check_id_exists_in_installed_checkov(catalogue: Catalogue) -> None:
    builtin = {i for i in catalogue.check_ids() if not i.startswith(("CKV_INFRA_", "INFRA_"))}
    assert builtin, "the catalogue should use checkov built-in checks"
    missing = sorted(builtin - checkov_ids())
    assert not missing, f"not in `checkov --list --framework terraform`: {missing}"
    # The ids the issue names explicitly are there and mean what we say.
    for expected in ("CKV_AWS_58", "CKV_AWS_37", "CKV_AWS_39", "CKV_AWS_7", "CKV_AWS_149"):
        assert expected in builtin


def test_every_custom_check_id_exists_in_policy_checks(catalogue: Catalogue) -> None:
    ours = {i for i in catalogue.check_ids() if i.startswith("CKV_INFRA_")}
    available = custom_ids()
    assert ours, "the catalogue should use our CKV_INFRA_* policies"
    assert not sorted(ours - available), f"not defined in policy/checks: {sorted(ours - available)}"
    pseudo = {i for i in catalogue.check_ids() if i.startswith("INFRA_")}
    from toolkit.artifacts.findings import PROTECTED_CHANGE_CHECK

    assert pseudo <= {PROTECTED_CHANGE_CHECK}


def test_applies_to_names_real_aws_resource_types(catalogue: Catalogue) -> None:
    """Terraform types exist in the AWS provider schema; manifest kinds (CamelCase) in the
    Karpenter CRDs the toolkit renders against."""
    schema = load_aws_schema()
    types: set[str] = set()
    for provider in schema["provider_schemas"].values():
        types.update(provider.get("resource_schemas", {}))
    used = {t for c in catalogue.controls for t in c.applies_to}
    kinds = {t for t in used if t[:1].isupper()}
    assert not sorted(used - kinds - types), f"unknown resource types: {sorted(used - kinds - types)}"
    crds = (REPO / "toolkit" / "render" / "crds").glob("*.yaml")
    rendered = {m for crd in crds for m in re.findall(r"^\s+kind: (\w+)$", crd.read_text(), re.MULTILINE)}
    assert kinds and not sorted(kinds - rendered), f"unknown manifest kinds: {sorted(kinds - rendered)}"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: s.replace("    title: Enable audit logs\n", "    title: Enable audit logs\n    titel: typo\n"),
         r"catalogue\.yaml:\d+: controls\[0\]\.titel: unknown key"),
        (lambda s: s.replace("checks: [CKV_AWS_37, CKV_INFRA_9]", "checks: [CKV_AWS_37, ckv-bad]"),
         r"catalogue\.yaml:\d+: controls\[0\]\.checks\[1\]"),
        (lambda s: s.replace("  - framework: cis-eks\n    id: \"5.1.1\"", "  - framework: cis-eks\n    id: \"2.1.1\""),
         r"control 'cis-eks/2\.1\.1' is defined more than once"),
        (lambda s: s.replace("  - framework: soc2\n    id: CC6.1", "  - framework: soc3\n    id: CC6.1"),
         r"unknown framework 'soc3'"),
        (lambda s: s.replace("checks: [CKV_AWS_37, CKV_INFRA_9]", "checks: []"),
         r"controls\[0\]\.checks: List should have at least 1 item"),
    ],
)
def test_invalid_catalogue_is_a_one_line_user_error(tmp_path: Path, mutate: object, message: str) -> None:
    bad = tmp_path / "catalogue.yaml"
    text = CATALOGUE.read_text()
    changed = mutate(text)  # type: ignore[operator]
    assert changed != text
    bad.write_text(changed)
    with pytest.raises(UserError) as err:
        load_catalogue(bad)
    assert "\n" not in str(err.value)
    assert re.search(message, str(err.value)), str(err.value)


@pytest.mark.slow
def test_applies_to_types_are_evaluated_by_the_controls_checks(catalogue: Catalogue) -> None:
    """'Not applicable' means 'none of these resources': each type must be one the checks evaluate."""
    entities = {**checkov_entities(), **custom_entities()}
    wrong = []
    for c in catalogue.controls:
        supported = frozenset().union(*(entities.get(check, frozenset()) for check in c.checks))
        wrong += [(c.key, t) for t in c.applies_to if t not in supported and "aws_*" not in supported]
    assert wrong == []
