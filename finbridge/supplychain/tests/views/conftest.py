"""Fixtures of the supply-chain page tests: the world of tests/api/scenario.py and a browser client signed in as a
named party."""

from __future__ import annotations

import pytest

from finbridge.supplychain.tests.api.scenario import World, build_world


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def page_as(client, world):
    """`page_as("core")` → the test client signed in as that organisation's staff member (or `role`)."""

    def sign_in(name: str, role: str | None = None):
        client.force_login(world.chain.member(name, role) if role else world.user(name))
        return client

    return sign_in
