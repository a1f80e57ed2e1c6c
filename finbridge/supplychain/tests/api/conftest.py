"""Fixtures of the supply-chain API tests: the world of scenario.py and a client signed in as a named party."""

from __future__ import annotations

import pytest

from finbridge.supplychain.tests.api.scenario import World, build_world

API = "/api/v1/supplychain"


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def as_party(api_client, world):
    """`as_party("supplier")` → the API client authenticated as that organisation's staff member."""

    def sign_in(name: str, role: str | None = None):
        user = world.chain.member(name, role) if role else world.user(name)
        api_client.force_authenticate(user)
        return api_client

    return sign_in
