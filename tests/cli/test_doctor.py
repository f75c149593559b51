"""`infra doctor` names the schema copy in use (flag, variable, user cache, bundled) and fails when one is broken."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.support import SCHEMA


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("INFRA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("INFRA_PROVIDER_SCHEMA", raising=False)
    for var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    return tmp_path / "cache"


def _doctor(infra: Callable[..., Result], *args: str) -> tuple[int, dict[str, object]]:
    result = infra("doctor", "--json", *args)
    return result.code, json.loads(result.out)


def test_bundled_copy_by_default(infra: Callable[..., Result], cache: Path) -> None:
    code, report = _doctor(infra)
    assert code == 0 and report["ok"] is True and report["problems"] == []
    schema = report["provider schema"]
    assert isinstance(schema, dict)
    assert schema["in use"] == "bundled: hashicorp/aws 6.47.0"
    assert schema["schema_sha256"] == "3d430508caec796e5db1d826e08468ff72c68326b896b8fdab64bea601d97009"
    assert report["aws credentials"] == "none configured: plans run in sandbox mode"


def test_user_cache_wins_over_the_bundled_copy(infra: Callable[..., Result], cache: Path) -> None:
    (cache / "schemas").mkdir(parents=True)
    (cache / "schemas" / "hashicorp-aws-6.50.0.json").write_bytes(gzip.decompress(SCHEMA.read_bytes()))
    _, report = _doctor(infra)
    assert report["provider schema"]["in use"] == "user cache: hashicorp/aws 6.50.0"  # type: ignore[index]


def test_variable_and_flag_are_named(infra: Callable[..., Result], cache: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "hashicorp-aws-6.47.0.json.gz"
    shutil.copy(SCHEMA, copy)
    monkeypatch.setenv("INFRA_PROVIDER_SCHEMA", str(copy))
    assert _doctor(infra)[1]["provider schema"]["in use"].startswith("INFRA_PROVIDER_SCHEMA: ")  # type: ignore[index]
    assert _doctor(infra, "--provider-schema", str(copy))[1]["provider schema"]["in use"].startswith(  # type: ignore[index]
        "--provider-schema: ")


def test_a_missing_schema_fails_the_doctor(infra: Callable[..., Result], cache: Path,
                                          monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("INFRA_PROVIDER_SCHEMA", str(tmp_path / "missing.json"))
    result = infra("doctor")
    assert result.code == 1
    assert result.err.strip().splitlines()[-1] == (
        f"error: doctor: 1 problem(s): provider schema: {tmp_path / 'missing.json'}: provider schema not found "
        "(from INFRA_PROVIDER_SCHEMA)")


def test_broken_credentials_are_a_problem(infra: Callable[..., Result], cache: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "nonexistent")
    code, report = _doctor(infra)
    assert code == 1 and report["ok"] is False
    assert report["problems"] == ["AWS credentials: AWS_PROFILE='nonexistent': no such profile in the AWS config"]
