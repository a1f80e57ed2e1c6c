"""Fixtures of the risk-pool page tests: the shared pool scenario (tests/setup.py)."""

from __future__ import annotations

import pytest

from finbridge.riskpool.tests.setup import PoolScenario, build_pool_scenario


@pytest.fixture
def scenario(db) -> PoolScenario:
    return build_pool_scenario()


@pytest.fixture
def as_user(client):
    """`as_user(user)` → the test client signed in as `user`."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
