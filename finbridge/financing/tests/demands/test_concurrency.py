"""Things a demand must see happen once, tried in parallel on PostgreSQL (SQLite has no row locks).

Run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/finbridge_h2.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from finbridge.accounts.models import Organization
from finbridge.core.errors import Conflict
from finbridge.core.testing import race
from finbridge.financing.choices import DemandStatus, EngagementStatus, ResponseKind
from finbridge.financing.models import Demand, DemandEvent, DemandResponse, Loan
from finbridge.financing.services import demands as demand_services
from finbridge.financing.services import responses
from finbridge.financing.tests.setup import make_demand, make_response
from finbridge.notifications.models import Notification

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


def _loan(reference: str) -> dict:
    return {"reference": reference, "disbursed_on": timezone.localdate().isoformat()}


def test_two_institutions_disbursing_the_same_demand_at_once_make_exactly_one_loan(market):
    demand = make_demand(market, status=DemandStatus.APPROVED)
    approved = {"status": EngagementStatus.APPROVED, "approved_amount": demand.amount, "approved_rate": "0.04"}
    scitech = make_response(demand, market.scitech, **approved)
    other = make_response(demand, market.other_bank, **approved)
    _warm(market.scitech_user, market.other_bank_user, market.firm_user)
    results = race(
        lambda: responses.engagement_disburse(actor=market.scitech_user, engagement=scitech, loan=_loan("A-1")),
        lambda: responses.engagement_disburse(actor=market.other_bank_user, engagement=other, loan=_loan("B-1")),
    )
    assert sum(isinstance(r, DemandResponse) for r in results) == 1
    assert [r.code for r in results if isinstance(r, Conflict)] == ["invalid_transition"]
    assert Loan.objects.filter(demand=demand).count() == 1
    statuses = sorted(DemandResponse.objects.filter(demand=demand).values_list("status", flat=True))
    assert statuses == [EngagementStatus.CLOSED, EngagementStatus.DISBURSED]
    winner = DemandResponse.objects.get(demand=demand, status=EngagementStatus.DISBURSED)
    assert Loan.objects.get(demand=demand).lender_id == winner.institution_id
    assert Demand.objects.get(pk=demand.pk).status == DemandStatus.DISBURSED
    assert DemandEvent.objects.filter(demand=demand, action="disbursed").count() == 1


def test_the_same_institution_taking_up_twice_at_once_gives_one_answer(market):
    demand = make_demand(market)
    first, second = market.scitech_user, market.new_user("scitech")
    _warm(first, second, market.firm_user)
    results = race(
        lambda: responses.demand_take_up(actor=first, demand=demand),
        lambda: responses.demand_take_up(actor=second, demand=demand),
    )
    assert sum(isinstance(r, DemandResponse) for r in results) == 1
    assert [r.code for r in results if isinstance(r, Conflict)] == ["already_answered"]
    assert DemandResponse.objects.filter(demand=demand, institution=market.scitech).count() == 1
    assert DemandEvent.objects.filter(demand=demand, action="taken_up").count() == 1
    assert Notification.objects.filter(recipient=market.firm_user).count() == 1


def test_take_up_and_pass_by_one_institution_at_once_give_one_answer(market):
    demand = make_demand(market)
    a, b = market.guarantor_user, market.new_user("guarantor")
    _warm(a, b)
    results = race(
        lambda: responses.demand_take_up(actor=a, demand=demand),
        lambda: responses.demand_pass(actor=b, demand=demand),
    )
    assert sum(isinstance(r, DemandResponse) for r in results) == 1
    answer = DemandResponse.objects.get(demand=demand)
    expected = DemandStatus.TAKEN_UP if answer.kind == ResponseKind.TAKE_UP else DemandStatus.PUBLISHED
    assert Demand.objects.get(pk=demand.pk).status == expected


def test_withdrawal_racing_a_take_up_leaves_a_consistent_demand(market):
    demand = make_demand(market)
    _warm(market.firm_user, market.scitech_user)
    race(
        lambda: demand_services.demand_withdraw(actor=market.firm_user, demand=demand),
        lambda: responses.demand_take_up(actor=market.scitech_user, demand=demand),
    )
    fresh = Demand.objects.get(pk=demand.pk)
    assert fresh.status == DemandStatus.WITHDRAWN
    # whichever ran first, no engagement is left running on a withdrawn demand
    assert not DemandResponse.objects.filter(demand=demand, status=EngagementStatus.TAKEN_UP).exists()


def test_two_deadline_runs_at_once_flag_and_escalate_once(market):
    Organization.objects.update(created_at=timezone.now() - datetime.timedelta(days=400))
    for name in ("district", "head", "branch", "scitech", "other_bank", "guarantor"):
        market.member(name)
    demand = make_demand(market, published_at=timezone.now() - datetime.timedelta(days=10))
    results = race(demand_services.demand_deadlines_check, demand_services.demand_deadlines_check)
    assert sum(r["escalated"] for r in results) == 1
    assert sum(r["overdue_institutions"] for r in results) == 5
    assert DemandEvent.objects.filter(demand=demand, action="overdue").count() == 5
    assert DemandEvent.objects.filter(demand=demand, action="escalated").count() == 1
