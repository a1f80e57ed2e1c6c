"""Fixtures of the risk-pool API tests: the shared pool scenario (tests/setup.py) and an API client per user."""

from __future__ import annotations

import pytest

from finbridge.riskpool.tests.setup import PoolScenario, build_pool_scenario


@pytest.fixture
def scenario(db) -> PoolScenario:
    return build_pool_scenario()


@pytest.fixture
def as_user(api_client):
    """`as_user(user)` → the API client signed in as `user` (None: anonymous)."""

    def sign_in(user):
        api_client.force_authenticate(user)
        return api_client

    return sign_in
