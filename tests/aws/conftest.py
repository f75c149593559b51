"""Fixtures for the boto3 edge: a clean AWS env per test, on the session's one moto server."""

from __future__ import annotations

from collections.abc import Callable

import boto3
import pytest

from tests.support.moto import (
    MOTO_ACCOUNT_ID,
    CallRecorder,
    aws_env_fixture,
    unique_name,
)

aws_env = aws_env_fixture()  # the moto_endpoint it uses is the session's (tests/conftest.py)


@pytest.fixture
def recorded_session(
    aws_env: dict[str, str],
) -> Callable[[str], tuple[boto3.Session, CallRecorder]]:
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
