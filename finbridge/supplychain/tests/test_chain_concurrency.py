"""Things a chain database must see happen once, tried in parallel on PostgreSQL (SQLite has no row locks).

Run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/finbridge_<name>.
"""

from __future__ import annotations

import pytest
from django.db import connection

from finbridge.core.errors import Conflict
from finbridge.core.testing import race
from finbridge.supplychain.models.chain import ChainPartner, RecommendationRecipient, RecommendationStatus
from finbridge.supplychain.selectors.chain import chain_scope
from finbridge.supplychain.services import chain as services
from finbridge.supplychain.tests.test_chain_setup import build_world, listing

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def _warm(*users):
    from finbridge.accounts.selectors import actor_scope

    for user in users:
        user.permission_codes()  # fill the per-user caches before the threads share the objects
        actor_scope(user)
        chain_scope(actor=user)


def test_two_members_adding_the_same_partner_at_once_make_one_listing():
    world = build_world()
    first, second = world.member("core"), world.member("core", "admin")
    _warm(first, second)
    data = {"partner_uscc": world.supplier.uscc, "direction": "upstream", "since": "2019-03-01", "annual_volume": "1"}
    results = race(
        lambda: services.chain_partner_add(actor=first, core=world.core, data=data),
        lambda: services.chain_partner_add(actor=second, core=world.core, data=data),
    )
    assert ChainPartner.objects.count() == 1
    assert sum(isinstance(result, Conflict) for result in results) == 1


def test_a_funder_answering_twice_at_once_answers_once():
    world = build_world()
    partner = listing(world)
    core, funder, branch = world.member("core"), world.member("head"), world.member("branch")
    recommendation = services.recommendation_send(actor=core, partner=partner, funders=[world.head], note="推荐")
    recipient = recommendation.recipients.get()
    _warm(funder, branch)
    results = race(
        lambda: services.recommendation_act(actor=funder, recipient=recipient, note="a"),
        lambda: services.recommendation_decline(actor=branch, recipient=recipient, note="b"),
    )
    assert sum(isinstance(result, Conflict) for result in results) == 1
    assert RecommendationRecipient.objects.get().status in (
        RecommendationStatus.ACTED_ON,
        RecommendationStatus.DECLINED,
    )
