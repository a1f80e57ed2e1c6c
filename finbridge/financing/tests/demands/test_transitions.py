"""Every allowed and forbidden status change, driven by the tables in transitions.py.

For each demand status and each service that moves a demand, the service succeeds exactly when the table
allows the change (and the service's own rule holds); a refused change raises Conflict and changes nothing.
The same for each engagement status and each engagement service.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from finbridge.core.errors import Conflict
from finbridge.financing.choices import DemandStatus, EngagementStatus
from finbridge.financing.models import Demand, DemandResponse, Loan
from finbridge.financing.services import demands as demand_services
from finbridge.financing.services import responses
from finbridge.financing.tests.demands.conftest import Counts, demand_in, engagement_of, state
from finbridge.financing.transitions import (
    DEMAND_TRANSITIONS,
    ENGAGEMENT_TRANSITIONS,
    assert_demand_transition,
    assert_engagement_transition,
    can_transition,
)

pytestmark = pytest.mark.django_db
D = DemandStatus
E = EngagementStatus


@pytest.mark.parametrize("current", D.values)
@pytest.mark.parametrize("target", D.values)
def test_demand_table_check(current, target):
    allowed = target in DEMAND_TRANSITIONS[current]
    assert can_transition(DEMAND_TRANSITIONS, current, target) is allowed
    if allowed:
        assert_demand_transition(current, target)
    else:
        with pytest.raises(Conflict) as error:
            assert_demand_transition(current, target)
        assert error.value.code == "invalid_transition"


@pytest.mark.parametrize("current", E.values)
@pytest.mark.parametrize("target", E.values)
def test_engagement_table_check(current, target):
    allowed = target in ENGAGEMENT_TRANSITIONS[current]
    if allowed:
        assert_engagement_transition(current, target)
    else:
        with pytest.raises(Conflict):
            assert_engagement_transition(current, target)


def _later(days: int = 400) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days)


# (service name, the status it moves the demand to, extra rule: statuses from which the service applies)
DEMAND_ACTIONS = {
    "publish": (D.PUBLISHED, {D.DRAFT}),  # from declined the firm republishes instead
    "republish": (D.PUBLISHED, {D.DECLINED}),
    "withdraw": (D.WITHDRAWN, None),
    "expire": (D.EXPIRED, None),
    "take_up": (D.TAKEN_UP, None),
}


def _run_demand_action(market, action: str, demand: Demand):
    if action == "publish":
        return demand_services.demand_publish(actor=market.firm_user, demand=demand)
    if action == "republish":
        return demand_services.demand_republish(actor=market.firm_user, demand=demand)
    if action == "withdraw":
        return demand_services.demand_withdraw(actor=market.firm_user, demand=demand)
    if action == "expire":
        return demand_services.demand_expire(demand=demand, now=_later())
    if action == "take_up":
        return responses.demand_take_up(actor=market.other_bank_user, demand=demand)
    raise AssertionError(action)


def _expected(action: str, status: str) -> bool:
    target, only_from = DEMAND_ACTIONS[action]
    if action == "take_up":
        # A take-up moves a published demand to taken_up; a demand further on stays where it is.
        return status == D.PUBLISHED or status in (D.TAKEN_UP, D.UNDER_REVIEW, D.APPROVED)
    return target in DEMAND_TRANSITIONS[status] and (only_from is None or status in only_from)


@pytest.mark.parametrize("status", D.values)
@pytest.mark.parametrize("action", list(DEMAND_ACTIONS))
def test_demand_services_follow_the_table(market, status, action):
    demand = demand_in(market, status, needed_by=timezone.localdate() + datetime.timedelta(days=30))
    if action == "take_up" and status == D.DRAFT:
        pytest.skip("a draft is not shown to institutions at all (NotFound, tested in visibility)")
    before = state(demand)
    counts = Counts()
    if _expected(action, status):
        _run_demand_action(market, action, demand)
        after = Demand.objects.get(pk=demand.pk).status
        target = DEMAND_ACTIONS[action][0]
        if action == "take_up" and status != D.PUBLISHED:
            assert after == status
        else:
            assert after == target
            assert target in DEMAND_TRANSITIONS[status]
    else:
        with pytest.raises(Conflict):
            _run_demand_action(market, action, demand)
        assert state(demand) == before
        assert counts.unchanged()


ENGAGEMENT_ACTIONS = {
    "review": E.UNDER_REVIEW,
    "approve": E.APPROVED,
    "decline": E.DECLINED,
    "disburse": E.DISBURSED,
}
# The demand status that goes with each engagement status of its only engagement.
DEMAND_FOR_ENGAGEMENT = {
    E.TAKEN_UP: D.TAKEN_UP,
    E.UNDER_REVIEW: D.UNDER_REVIEW,
    E.APPROVED: D.APPROVED,
    E.DISBURSED: D.DISBURSED,
    E.DECLINED: D.DECLINED,
    E.CLOSED: D.WITHDRAWN,
}


def _run_engagement_action(market, action: str, engagement: DemandResponse):
    user = market.scitech_user
    if action == "review":
        return responses.engagement_start_review(actor=user, engagement=engagement)
    if action == "approve":
        return responses.engagement_approve(actor=user, engagement=engagement, amount="1000000", annual_rate="0.04")
    if action == "decline":
        return responses.engagement_decline(actor=user, engagement=engagement, reason="credit_history")
    if action == "disburse":
        return responses.engagement_disburse(
            actor=user,
            engagement=engagement,
            loan={"reference": "SC-2025-001", "disbursed_on": timezone.localdate().isoformat()},
        )
    raise AssertionError(action)


@pytest.mark.parametrize("status", E.values)
@pytest.mark.parametrize("action", list(ENGAGEMENT_ACTIONS))
def test_engagement_services_follow_the_table(market, status, action):
    demand = demand_in(market, DEMAND_FOR_ENGAGEMENT[status])
    engagement = engagement_of(demand, market.scitech)
    assert engagement.status == status
    before = state(demand)
    counts = Counts()
    target = ENGAGEMENT_TRANSITIONS[status]
    if ENGAGEMENT_ACTIONS[action] in target:
        _run_engagement_action(market, action, engagement)
        assert engagement_of(demand, market.scitech).status == ENGAGEMENT_ACTIONS[action]
        expected_demand = {
            "review": D.UNDER_REVIEW,
            "approve": D.APPROVED,
            "decline": D.DECLINED,
            "disburse": D.DISBURSED,
        }[action]
        assert Demand.objects.get(pk=demand.pk).status == expected_demand
        assert Loan.objects.filter(demand=demand).count() == (1 if action == "disburse" else 0)
    else:
        with pytest.raises(Conflict):
            _run_engagement_action(market, action, engagement)
        assert state(demand) == before
        assert counts.unchanged()


def test_approved_amount_and_rate_are_stored(market):
    demand = demand_in(market, D.UNDER_REVIEW)
    engagement = responses.engagement_approve(
        actor=market.scitech_user,
        engagement=engagement_of(demand, market.scitech),
        amount="1500000",
        annual_rate="0.0385",
    )
    assert engagement.approved_amount == Decimal("1500000.00")
    assert engagement.approved_rate == Decimal("0.038500")
    assert engagement.decided_at is not None
