"""A moto server over HTTP for the refresh tests (shared per session, see tests/support/moto.py)."""

from __future__ import annotations

from tests.support.moto import aws_env_fixture, moto_endpoint_fixture

moto_endpoint = moto_endpoint_fixture()
aws_env = aws_env_fixture()
