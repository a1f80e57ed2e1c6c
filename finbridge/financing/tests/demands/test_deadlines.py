"""Deadlines on the official calendar: overdue answers, escalation, expiry; idempotent runs.

Calendar facts (checked with chinese-calendar itself in test_calendar_facts): the 2025 Spring Festival
holiday ran from Tuesday 28 January to Tuesday 4 February; Sunday 26 January and Saturday 8 February 2025
were working days.
"""

from __future__ import annotations

import datetime

import chinese_calendar
import pytest
from django.utils import timezone

from finbridge.accounts.models import Organization
from finbridge.core.workdays import add_workdays
from finbridge.financing import notices
from finbridge.financing.choices import DemandStatus, EngagementStatus
from finbridge.financing.models import Demand, DemandEvent, DemandResponse
from finbridge.financing.selectors.demands import LENDER_TYPES, institution_overdue
from finbridge.financing.services import demands as services
from finbridge.financing.services import responses
from finbridge.financing.tasks_deadlines import check_demand_deadlines
from finbridge.financing.tests.demands.conftest import demand_data, demand_in
from finbridge.financing.tests.setup import make_demand, make_response
from finbridge.notifications.models import Notification

pytestmark = pytest.mark.django_db


def tz(*args: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


@pytest.fixture
def old_market(market):
    """Every institution admitted well before 2025, with one member each (so they can be told)."""
    Organization.objects.update(created_at=tz(2024, 1, 1, 9))
    for name in ("district", "head", "branch", "scitech", "other_bank", "guarantor", "insurer", "msme"):
        market.member(name)
    for name in ("head", "branch", "scitech", "other_bank", "guarantor"):
        market.org(name).refresh_from_db()
    return market


def test_calendar_facts():
    assert [chinese_calendar.is_workday(datetime.date(2025, 1, d)) for d in range(24, 32)] == [
        True,  # Fri 24
        False,  # Sat 25
        True,  # Sun 26: adjusted working day
        True,  # Mon 27
        False,  # 28: Spring Festival holiday begins
        False,
        False,
        False,
    ]
    assert not any(chinese_calendar.is_workday(datetime.date(2025, 2, d)) for d in range(1, 5))
    assert chinese_calendar.is_workday(datetime.date(2025, 2, 5))
    assert chinese_calendar.is_workday(datetime.date(2025, 2, 8))  # Saturday: adjusted working day
    assert not chinese_calendar.is_workday(datetime.date(2025, 2, 9))


@pytest.mark.parametrize(
    ("published", "respond_by"),
    [
        (datetime.date(2025, 1, 27), datetime.date(2025, 2, 6)),  # across the Spring Festival holiday
        (datetime.date(2025, 1, 24), datetime.date(2025, 1, 27)),  # the working Sunday counts
        (datetime.date(2025, 1, 25), datetime.date(2025, 1, 27)),  # published on a Saturday off
        (datetime.date(2025, 2, 6), datetime.date(2025, 2, 8)),  # the working Saturday is the deadline
        (datetime.date(2025, 2, 7), datetime.date(2025, 2, 10)),
    ],
)
def test_publish_sets_respond_by_on_the_official_calendar(market, settings, published, respond_by):
    settings.FINBRIDGE_RESPONSE_WORKING_DAYS = 2
    draft = make_demand(market, status=DemandStatus.DRAFT)
    demand = services.demand_publish(
        actor=market.firm_user, demand=draft, now=tz(published.year, published.month, published.day, 10)
    )
    assert demand.respond_by == respond_by


def test_working_days_are_configurable(market, settings):
    settings.FINBRIDGE_RESPONSE_WORKING_DAYS = 5
    draft = make_demand(market, status=DemandStatus.DRAFT)
    demand = services.demand_publish(actor=market.firm_user, demand=draft, now=tz(2025, 1, 27, 10))
    assert demand.respond_by == datetime.date(2025, 2, 10) == add_workdays(datetime.date(2025, 1, 27), 5)


def _published(market, when: datetime.datetime, **fields) -> Demand:
    draft = make_demand(market, status=DemandStatus.DRAFT, **fields)
    return services.demand_publish(actor=market.firm_user, demand=draft, now=when)


def _flagged(demand: Demand) -> set[Organization]:
    return {e.organization for e in DemandEvent.objects.filter(demand=demand, action="overdue")}


def test_across_the_spring_festival_nothing_is_overdue_until_the_deadline_has_passed(old_market):
    market = old_market
    demand = _published(market, tz(2025, 1, 27, 10))
    responses.demand_pass(actor=market.guarantor_user, demand=demand, now=tz(2025, 1, 27, 11))
    for day in (datetime.date(2025, 1, 31), datetime.date(2025, 2, 4), datetime.date(2025, 2, 6)):
        counts = services.demand_deadlines_check(now=tz(day.year, day.month, day.day, 23, 30))
        assert counts == {"expired": 0, "escalated": 0, "overdue_demands": 0, "overdue_institutions": 0}
    counts = services.demand_deadlines_check(now=tz(2025, 2, 7, 0, 5))
    assert counts == {"expired": 0, "escalated": 1, "overdue_demands": 1, "overdue_institutions": 4}
    assert _flagged(demand) == {market.head, market.branch, market.scitech, market.other_bank}
    fresh = Demand.objects.get(pk=demand.pk)
    assert fresh.escalated_at == tz(2025, 2, 7, 0, 5)


def test_the_working_saturday_is_a_deadline_day(old_market):
    market = old_market
    demand = _published(market, tz(2025, 2, 6, 10))
    assert demand.respond_by == datetime.date(2025, 2, 8)
    assert services.demand_deadlines_check(now=tz(2025, 2, 8, 22))["overdue_institutions"] == 0
    assert services.demand_deadlines_check(now=tz(2025, 2, 9, 8))["overdue_institutions"] == 5


def test_the_working_sunday_shortens_the_wait(old_market):
    market = old_market
    demand = _published(market, tz(2025, 1, 24, 16))
    assert demand.respond_by == datetime.date(2025, 1, 27)
    assert services.demand_deadlines_check(now=tz(2025, 1, 27, 20))["escalated"] == 0
    assert services.demand_deadlines_check(now=tz(2025, 1, 28, 9))["escalated"] == 1


def test_overdue_institutions_and_the_authority_are_told_once(old_market):
    market = old_market
    demand = _published(market, tz(2025, 3, 3, 10))  # respond by Wednesday 5 March
    responses.demand_take_up(actor=market.scitech_user, demand=demand, now=tz(2025, 3, 4, 9))
    first = services.demand_deadlines_check(now=tz(2025, 3, 6, 9))
    assert first == {"expired": 0, "escalated": 0, "overdue_demands": 1, "overdue_institutions": 4}
    overdue = Notification.objects.filter(kind=notices.DEMAND_OVERDUE)
    told_orgs = {n.organization for n in overdue}
    assert told_orgs == {market.head, market.branch, market.other_bank, market.guarantor, market.district}
    to_authority = overdue.get(organization=market.district)
    assert set(to_authority.params["institution"].split("、")) == {
        market.head.name,
        market.branch.name,
        market.other_bank.name,
        market.guarantor.name,
    }
    assert to_authority.params["due"] == "2025-03-05"
    assert overdue.get(organization=market.head).params["institution"] == market.head.name
    count = Notification.objects.count()
    again = services.demand_deadlines_check(now=tz(2025, 3, 7, 9))
    assert again == {"expired": 0, "escalated": 0, "overdue_demands": 0, "overdue_institutions": 0}
    assert Notification.objects.count() == count
    # a late answer is still possible, and is stored as late
    late = responses.demand_pass(actor=market.branch_user, demand=demand, now=tz(2025, 3, 7, 10))
    assert not late.on_time


def test_escalation_happens_once_and_only_without_a_take_up(old_market):
    market = old_market
    nobody = _published(market, tz(2025, 3, 3, 10))
    passed_only = _published(market, tz(2025, 3, 3, 10))
    taken = _published(market, tz(2025, 3, 3, 10))
    for institution_user in (market.head_user, market.branch_user, market.scitech_user, market.other_bank_user):
        responses.demand_pass(actor=institution_user, demand=passed_only, now=tz(2025, 3, 4, 9))
    responses.demand_take_up(actor=market.guarantor_user, demand=taken, now=tz(2025, 3, 4, 9))
    counts = services.demand_deadlines_check(now=tz(2025, 3, 6, 9))
    assert counts["escalated"] == 2
    escalated = set(Demand.objects.filter(escalated_at__isnull=False).values_list("pk", flat=True))
    assert escalated == {nobody.pk, passed_only.pk}
    told = Notification.objects.filter(kind=notices.DEMAND_ESCALATED)
    assert told.count() == 2 and {n.organization for n in told} == {market.district}
    assert told.first().params["days"] == "2"
    assert services.demand_deadlines_check(now=tz(2025, 3, 10, 9))["escalated"] == 0
    assert Notification.objects.filter(kind=notices.DEMAND_ESCALATED).count() == 2
    assert DemandEvent.objects.filter(action="escalated").count() == 2


def test_a_chosen_demand_flags_only_the_chosen_institutions_and_their_branches(old_market):
    market = old_market
    demand = _published(market, tz(2025, 3, 3, 10), chosen=[market.head])
    services.demand_deadlines_check(now=tz(2025, 3, 6, 9))
    assert _flagged(demand) == {market.head, market.branch, market.scitech}


def test_an_institution_admitted_after_the_deadline_is_not_overdue(old_market):
    market = old_market
    demand = _published(market, tz(2025, 3, 3, 10))
    Organization.objects.filter(pk=market.other_bank.pk).update(created_at=tz(2025, 3, 10, 9))
    services.demand_deadlines_check(now=tz(2025, 3, 12, 9))
    assert market.other_bank not in _flagged(demand)
    assert market.head in _flagged(demand)


def test_inactive_and_non_lending_organisations_are_never_overdue(old_market):
    market = old_market
    Organization.objects.filter(pk=market.guarantor.pk).update(is_active=False)
    demand = _published(market, tz(2025, 3, 3, 10))
    services.demand_deadlines_check(now=tz(2025, 3, 6, 9))
    flagged = _flagged(demand)
    assert market.guarantor not in flagged and market.insurer not in flagged
    assert all(o.org_type in LENDER_TYPES for o in flagged)


def test_the_institutions_overdue_list_follows_the_deadline(old_market):
    market = old_market
    demand = _published(market, tz(2025, 3, 3, 10))
    assert list(institution_overdue(actor=market.head_user, today=datetime.date(2025, 3, 5))) == []
    assert list(institution_overdue(actor=market.head_user, today=datetime.date(2025, 3, 6))) == [demand]
    responses.demand_pass(actor=market.head_user, demand=demand)
    assert list(institution_overdue(actor=market.head_user, today=datetime.date(2025, 3, 6))) == []
    assert list(institution_overdue(actor=market.firm_user, today=datetime.date(2025, 3, 6))) == []


def test_expiry_closes_the_demand_and_its_engagements_once(old_market):
    market = old_market
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    due = demand_in(market, DemandStatus.TAKEN_UP, expires_on=yesterday)
    due_published = demand_in(market, DemandStatus.PUBLISHED, expires_on=yesterday)
    not_yet = demand_in(market, DemandStatus.PUBLISHED, expires_on=today)
    # the table lets a demand under review or approved run until the institution decides
    reviewing = demand_in(market, DemandStatus.UNDER_REVIEW, expires_on=yesterday)
    declined = demand_in(market, DemandStatus.DECLINED, expires_on=today - datetime.timedelta(days=5))
    counts = services.demand_deadlines_check()
    assert counts["expired"] == 2
    assert Demand.objects.get(pk=due.pk).status == DemandStatus.EXPIRED
    assert Demand.objects.get(pk=due_published.pk).status == DemandStatus.EXPIRED
    assert DemandResponse.objects.get(demand=due).status == EngagementStatus.CLOSED
    assert Demand.objects.get(pk=not_yet.pk).status == DemandStatus.PUBLISHED
    assert Demand.objects.get(pk=reviewing.pk).status == DemandStatus.UNDER_REVIEW
    assert DemandResponse.objects.get(demand=reviewing).status == EngagementStatus.UNDER_REVIEW
    assert Demand.objects.get(pk=declined.pk).status == DemandStatus.DECLINED
    assert services.demand_deadlines_check()["expired"] == 0


def test_expiry_defaults_to_ninety_days_after_publication(old_market):
    market = old_market
    demand = services.demand_create(actor=market.firm_user, enterprise=market.factory, data=demand_data(needed_by=None))
    services.demand_publish(actor=market.firm_user, demand=demand, now=tz(2025, 3, 3, 10))
    assert Demand.objects.get(pk=demand.pk).expires_on == datetime.date(2025, 6, 1)
    assert services.demand_deadlines_check(now=tz(2025, 6, 1, 23))["expired"] == 0
    assert services.demand_deadlines_check(now=tz(2025, 6, 2, 0, 1))["expired"] == 1


def test_the_celery_task_runs_the_check(old_market, monkeypatch):
    seen = {}

    def fake(**kwargs):
        seen.update(kwargs)
        return {"expired": 0, "escalated": 0, "overdue_demands": 0, "overdue_institutions": 0}

    monkeypatch.setattr(services, "demand_deadlines_check", fake)
    assert check_demand_deadlines.delay().get()["expired"] == 0
    assert seen == {}


def test_the_celery_task_flags_for_real(old_market):
    market = old_market
    make_demand(market, published_at=timezone.now() - datetime.timedelta(days=30))
    result = check_demand_deadlines.delay().get()
    assert result["escalated"] == 1 and result["overdue_institutions"] == 5


def test_a_running_engagement_does_not_hide_other_institutions_overdue_answers(old_market):
    market = old_market
    demand = make_demand(market, published_at=tz(2025, 3, 3, 10))
    make_response(demand, market.scitech, status=EngagementStatus.UNDER_REVIEW)
    Demand.objects.filter(pk=demand.pk).update(status=DemandStatus.UNDER_REVIEW)
    services.demand_deadlines_check(now=tz(2025, 3, 10, 9))
    assert market.scitech not in _flagged(demand) and market.head in _flagged(demand)
    assert not Demand.objects.get(pk=demand.pk).escalated_at
