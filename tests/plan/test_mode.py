"""Sandbox only when no AWS credentials are configured at all; broken ones are an error, not a fallback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result
from toolkit.errors import UserError
from toolkit.plan.mode import choose_mode

AWS_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
            "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI")


@pytest.fixture
def no_aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in AWS_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    return tmp_path


def test_nothing_configured_is_sandbox_and_says_so(no_aws: Path) -> None:
    assert choose_mode(None) == ("sandbox", "no AWS credentials configured")


def test_keys_in_the_environment_are_cloud(no_aws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE12")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
    assert choose_mode(None) == ("cloud", "AWS credentials from env")


def test_a_profile_with_keys_is_cloud(no_aws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (no_aws / "credentials").write_text("[ci]\naws_access_key_id = AKIAEXAMPLEEXAMPLE12\n"
                                        "aws_secret_access_key = not-a-real-secret\n")
    monkeypatch.setenv("AWS_PROFILE", "ci")
    assert choose_mode(None)[0] == "cloud"


@pytest.mark.parametrize(("env", "message"), [
    ({"AWS_PROFILE": "nonexistent"}, "AWS_PROFILE='nonexistent': no such profile"),
    ({"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE12"}, "AWS_SECRET_ACCESS_KEY is missing"),
])
def test_broken_credentials_are_an_error(no_aws: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
                                         message: str) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(UserError, match=message) as err:
        choose_mode(None)
    assert "--sandbox" in str(err.value)
    assert choose_mode(True) == ("sandbox", "--sandbox")  # asked for explicitly: fine


def test_plan_with_a_missing_profile_fails_at_once_and_writes_nothing(
        no_aws: Path, monkeypatch: pytest.MonkeyPatch, infra: Callable[..., Result], project_copy: Path) -> None:
    monkeypatch.setenv("AWS_PROFILE", "nonexistent")
    artifacts = no_aws / "artifacts"
    result = infra("--project", str(project_copy), "--artifacts", str(artifacts), "plan", "us-east")
    assert result.code == 1
    assert result.err.strip().splitlines() == [
        "error: AWS credentials are configured but unusable (AWS_PROFILE='nonexistent': no such profile in the "
        "AWS config): fix or unset them, or pass --sandbox to plan offline"]
    assert not artifacts.exists()
