"""policy/*.yaml are read with the strict YAML reader of the settings: file and line in every error."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import UserError
from toolkit.policy.settings import load_policy_settings
from toolkit.policy.severity import load_severity_map
from toolkit.policy.waivers import load_waivers

WAIVER = "  - id: W-1\n    check_id: C\n    resource: r\n    reason: r\n    owner: o\n    expires: 2027-01-31\n"


def test_duplicate_key_in_waivers_names_file_and_line(tmp_path: Path) -> None:
    """The loose loader kept the last of two keys: a reviewer saw one expiry, the gate used another."""
    path = tmp_path / "waivers.yaml"
    path.write_text("waivers:\n" + WAIVER + "    expires: 2099-01-31\n")
    with pytest.raises(UserError, match=rf"^{path}:8: duplicate key 'expires' \(first defined on line 7\)$"):
        load_waivers(path)


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("severity.yaml", "default: LOW\ndefault: HIGH\n", r":2: duplicate key 'default'"),
        ("policy.yaml", "strict_environments: &envs [prod]\nrequired_tags: *envs\n", r"anchors and aliases"),
        ("waivers.yaml", "waivers: !!python/object:os.system {}\n", r"malformed YAML"),
    ],
)
def test_other_policy_files_are_strict_too(tmp_path: Path, name: str, body: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(body)
    loader = {"severity.yaml": load_severity_map, "policy.yaml": load_policy_settings,
              "waivers.yaml": load_waivers}[name]
    with pytest.raises(UserError, match=message) as err:
        loader(path)  # type: ignore[operator]
    assert str(err.value).startswith(f"{path}:")


def test_validation_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text("waivers:\n" + WAIVER.replace("    owner: o\n", ""))
    with pytest.raises(UserError, match=rf"^{path}:2: waivers\[0\]\.owner: Field required$"):
        load_waivers(path)
    path.write_text("waivers:\n" + WAIVER.replace("2027-01-31", "2027-02-30"))
    with pytest.raises(UserError, match=rf"^{path}:7: waivers\[0\]\.expires: not a valid date: '2027-02-30'"):
        load_waivers(path)
    settings = tmp_path / "policy.yaml"
    settings.write_text("expiring_within_days: -1\n")
    with pytest.raises(UserError, match=rf"^{settings}:1: expiring_within_days: Input should be greater"):
        load_policy_settings(settings)
    assert load_policy_settings(tmp_path / "absent.yaml").expiring_within_days == 30
