"""Fixtures for the boto3 edge: one moto server per session, a clean AWS env per test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest

from tests.moto_server import MOTO_ACCOUNT_ID, aws_env_fixture, moto_endpoint_fixture, unique_name

moto_endpoint = moto_endpoint_fixture()
aws_env = aws_env_fixture()

MUTATING_PREFIXES = ("Put", "Create", "Delete", "Enable", "Disable", "Update", "Tag", "Untag", "Schedule")


class CallRecorder:
    """Records every AWS operation a boto3 session makes (service, operation)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def __call__(self, model: Any, **_: Any) -> None:
        self.calls.append((model.service_model.service_name, model.name))

    def mutating(self) -> list[tuple[str, str]]:
        return [c for c in self.calls if c[1].startswith(MUTATING_PREFIXES)]

    def clear(self) -> None:
        self.calls.clear()


@pytest.fixture
def recorded_session(aws_env: dict[str, str]) -> Callable[[str], tuple[boto3.Session, CallRecorder]]:
    """``make(region) -> (session, recorder)``: a session whose API calls are recorded."""

    def make(region: str) -> tuple[boto3.Session, CallRecorder]:
        session = boto3.Session(region_name=region)
        recorder = CallRecorder()
        session.events.register("before-call", recorder)
        return session, recorder

    return make


@pytest.fixture
def names() -> Callable[[str], str]:
    return unique_name


@pytest.fixture
def account_id() -> str:
    return MOTO_ACCOUNT_ID
