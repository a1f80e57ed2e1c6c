"""Demand services: create (firm, or on its behalf), edit, publish, withdraw, republish, expire; bad input."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from finbridge.accounts.choices import Role
from finbridge.audit.models import AuditEvent
from finbridge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from finbridge.core.money import AMOUNT_MAX
from finbridge.financing import notices
from finbridge.financing.choices import DemandStatus, EngagementStatus
from finbridge.financing.models import Demand, DemandEvent, DemandResponse
from finbridge.financing.services import demands as services
from finbridge.financing.tests.demands.conftest import Counts, demand_data, demand_in, state
from finbridge.financing.tests.setup import make_demand
from finbridge.notifications.models import Notification

pytestmark = pytest.mark.django_db


def tz(*args: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


# ---- create --------------------------------------------------------------------------------------------


def test_firm_creates_a_draft_for_its_own_enterprise(market):
    demand = services.demand_create(actor=market.firm_user, enterprise=market.factory, data=demand_data())
    assert demand.status == DemandStatus.DRAFT
    assert demand.amount == Decimal("2000000.00")
    assert demand.max_annual_rate == Decimal("0.045000")
    assert demand.collateral_offered == ["ip"]
    assert not demand.recorded_on_behalf and demand.recorded_by_organization is None
    assert demand.published_at is None and demand.respond_by is None
    assert list(demand.events.values_list("action", "organization_id")) == [("created", market.msme.pk)]
    assert AuditEvent.objects.filter(action="demand_create", object_id=str(demand.pk)).exists()


def test_chosen_institutions_are_stored(market):
    data = demand_data(visibility="chosen", chosen_institutions=[market.head.pk, market.guarantor.pk])
    demand = services.demand_create(actor=market.firm_user, enterprise=market.factory, data=data)
    assert set(demand.chosen_institutions.all()) == {market.head, market.guarantor}


def test_government_records_a_demand_on_behalf_of_a_firm_in_its_remit(market):
    demand = services.demand_create(
        actor=market.ia_user, enterprise=market.factory, data=demand_data(recorded_source="Company visit 2025-03-01")
    )
    assert demand.recorded_on_behalf
    assert demand.recorded_by_organization == market.ia_c
    assert demand.recorded_source == "Company visit 2025-03-01"
    assert demand.events.get().action == "recorded"


def test_subdistrict_office_records_for_a_firm_without_an_account(market):
    demand = services.demand_create(
        actor=market.member("so_s2"), enterprise=market.shop, data=demand_data(recorded_source="Bank-firm event")
    )
    assert demand.recorded_by_organization == market.so_s2


def test_on_behalf_needs_a_source(market):
    counts = Counts()
    with pytest.raises(ValidationFailed) as error:
        services.demand_create(actor=market.ia_user, enterprise=market.factory, data=demand_data())
    assert "recorded_source" in error.value.fields
    assert counts.unchanged()


def test_a_firm_cannot_give_a_source(market):
    with pytest.raises(ValidationFailed) as error:
        services.demand_create(
            actor=market.firm_user, enterprise=market.factory, data=demand_data(recorded_source="visit")
        )
    assert "recorded_source" in error.value.fields


@pytest.mark.parametrize(
    ("user", "enterprise", "error"),
    [
        ("other_firm_user", "factory", NotFound),  # another firm's enterprise
        ("firm_user", "software", NotFound),
        ("head_user", "factory", NotFound),  # a bank does not see the registry record without consent
        ("so_s1_user", "shop", NotFound),  # outside the office's subdistrict
        ("insurer_user", "factory", NotFound),
    ],
)
def test_demands_for_someone_elses_enterprise_are_refused(market, user, enterprise, error):
    counts = Counts()
    with pytest.raises(error):
        services.demand_create(actor=getattr(market, user), enterprise=getattr(market, enterprise), data=demand_data())
    assert counts.unchanged()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.REVIEWER])
def test_firm_members_without_post_permission_are_refused(market, role):
    counts = Counts()
    with pytest.raises(PermissionDenied):
        services.demand_create(actor=market.member("msme", role), enterprise=market.factory, data=demand_data())
    assert counts.unchanged()


def test_government_viewer_may_not_record(market):
    with pytest.raises(PermissionDenied):
        services.demand_create(
            actor=market.member("district", Role.VIEWER),
            enterprise=market.factory,
            data=demand_data(recorded_source="visit"),
        )


def test_a_bank_with_consent_sees_the_firm_but_may_not_post_for_it(market):
    from finbridge.enterprises.tests.factories import ConsentFactory

    ConsentFactory(enterprise=market.factory, grantee=market.head)
    with pytest.raises(PermissionDenied):
        services.demand_create(actor=market.head_user, enterprise=market.factory, data=demand_data())


TODAY = timezone.localdate


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": ""}, "amount"),
        ({"amount": "1.005"}, "amount"),
        ({"amount": str(AMOUNT_MAX + Decimal("0.01"))}, "amount"),
        ({"amount": "1e400"}, "amount"),
        ({"amount": True}, "amount"),
        ({"term_months": 0}, "term_months"),
        ({"term_months": 361}, "term_months"),
        ({"term_months": "12.5"}, "term_months"),
        ({"term_months": "twelve"}, "term_months"),
        ({"purpose": "holiday"}, "purpose"),
        ({"purpose": ""}, "purpose"),
        ({"collateral_offered": ["gold"]}, "collateral_offered"),
        ({"collateral_offered": ["none", "ip"]}, "collateral_offered"),
        ({"max_annual_rate": "0"}, "max_annual_rate"),
        ({"max_annual_rate": "0.3600001"}, "max_annual_rate"),
        ({"max_annual_rate": "0.37"}, "max_annual_rate"),
        ({"max_annual_rate": "4.5"}, "max_annual_rate"),
        ({"max_annual_rate": "-0.01"}, "max_annual_rate"),
        ({"needed_by": "2020-01-01"}, "needed_by"),
        ({"needed_by": "next week"}, "needed_by"),
        ({"needed_by": "2025-02-30"}, "needed_by"),
        ({"visibility": "friends"}, "visibility"),
        ({"visibility": "chosen"}, "chosen_institutions"),
        ({"visibility": "chosen", "chosen_institutions": []}, "chosen_institutions"),
        ({"visibility": "chosen", "chosen_institutions": ["999999"]}, "chosen_institutions"),
        ({"visibility": "chosen", "chosen_institutions": ["x"]}, "chosen_institutions"),
        ({"collateral_note": "x" * 256}, "collateral_note"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_refused_with_a_field_message_and_nothing_changes(market, changes, field):
    counts = Counts()
    with pytest.raises(ValidationFailed) as error:
        services.demand_create(actor=market.firm_user, enterprise=market.factory, data=demand_data(**changes))
    assert field in error.value.fields
    assert error.value.fields[field][0]
    assert counts.unchanged()


def test_missing_required_fields_are_all_reported(market):
    with pytest.raises(ValidationFailed) as error:
        services.demand_create(actor=market.firm_user, enterprise=market.factory, data={})
    assert set(error.value.fields) == {"amount", "term_months", "purpose"}


@pytest.mark.parametrize("org", ["insurer", "msme", "district"])
def test_only_banks_and_guarantors_can_be_chosen(market, org):
    data = demand_data(visibility="chosen", chosen_institutions=[market.org(org).pk])
    with pytest.raises(ValidationFailed) as error:
        services.demand_create(actor=market.firm_user, enterprise=market.factory, data=data)
    assert "chosen_institutions" in error.value.fields


def test_limits_are_accepted(market):
    data = demand_data(amount=str(AMOUNT_MAX), term_months=360, max_annual_rate="0.36", needed_by=TODAY().isoformat())
    demand = services.demand_create(actor=market.firm_user, enterprise=market.factory, data=data)
    assert demand.amount == AMOUNT_MAX and demand.term_months == 360 and demand.max_annual_rate == Decimal("0.36")
    smallest = services.demand_create(
        actor=market.firm_user, enterprise=market.factory, data=demand_data(amount="0.01", term_months=1)
    )
    assert smallest.amount == Decimal("0.01")


# ---- publish -------------------------------------------------------------------------------------------


def test_publish_sets_the_deadline_in_working_days_and_the_expiry(market, settings):
    settings.FINBRIDGE_RESPONSE_WORKING_DAYS = 2
    draft = make_demand(market, status=DemandStatus.DRAFT, needed_by=None)
    published = services.demand_publish(actor=market.firm_user, demand=draft, now=tz(2025, 3, 3, 10))
    assert published.status == DemandStatus.PUBLISHED
    assert published.published_at == tz(2025, 3, 3, 10)
    assert published.respond_by == datetime.date(2025, 3, 5)
    assert published.expires_on == datetime.date(2025, 6, 1)  # 90 days later
    assert published.events.get().action == "published"


def test_publish_expiry_is_needed_by_when_given(market):
    needed = TODAY() + datetime.timedelta(days=20)
    draft = make_demand(market, status=DemandStatus.DRAFT, needed_by=needed)
    assert services.demand_publish(actor=market.firm_user, demand=draft).expires_on == needed


def test_publish_refuses_a_needed_by_date_that_has_passed(market):
    draft = make_demand(market, status=DemandStatus.DRAFT, needed_by=TODAY() - datetime.timedelta(days=1))
    before = state(draft)
    with pytest.raises(ValidationFailed) as error:
        services.demand_publish(actor=market.firm_user, demand=draft)
    assert "needed_by" in error.value.fields
    assert state(draft) == before


def test_publish_queues_matching_on_commit(market, monkeypatch, django_capture_on_commit_callbacks):
    import sys
    import types

    calls: list[int] = []
    module = types.ModuleType("finbridge.financing.tasks_matching")
    module.queue_demand_matching = calls.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "finbridge.financing.tasks_matching", module)
    import finbridge.financing as package

    monkeypatch.setattr(package, "tasks_matching", module, raising=False)
    draft = make_demand(market, status=DemandStatus.DRAFT)
    with django_capture_on_commit_callbacks(execute=True):
        services.demand_publish(actor=market.firm_user, demand=draft)
        assert calls == []  # not before the commit
    assert calls == [draft.pk]
    with django_capture_on_commit_callbacks(execute=True):
        services.demand_update(actor=market.firm_user, demand=draft, data={"term_months": 24})
    with django_capture_on_commit_callbacks(execute=True):
        services.demand_withdraw(actor=market.firm_user, demand=draft)
    assert calls == [draft.pk, draft.pk, draft.pk]


def test_the_recording_office_manages_the_demand_it_recorded(market):
    demand = services.demand_create(
        actor=market.ia_user, enterprise=market.factory, data=demand_data(recorded_source="visit")
    )
    services.demand_publish(actor=market.new_user("ia_c"), demand=demand)
    # the firm manages it too
    services.demand_update(actor=market.firm_user, demand=demand, data={"term_months": 6})
    # another government office with the firm in its remit does not
    with pytest.raises(PermissionDenied):
        services.demand_withdraw(actor=market.so_s1_user, demand=demand)


@pytest.mark.parametrize("user", ["so_s1_user", "district_user", "head_user", "scitech_user"])
def test_others_who_see_the_demand_may_not_manage_it(market, user):
    demand = make_demand(market, status=DemandStatus.PUBLISHED)
    before = state(demand)
    for call in (services.demand_withdraw, services.demand_publish):
        with pytest.raises(PermissionDenied):
            call(actor=getattr(market, user), demand=demand)
    with pytest.raises(PermissionDenied):
        services.demand_update(actor=getattr(market, user), demand=demand, data={"term_months": 3})
    assert state(demand) == before


def test_other_firms_get_not_found(market):
    demand = make_demand(market, status=DemandStatus.DRAFT)
    for call in (services.demand_withdraw, services.demand_publish):
        with pytest.raises(NotFound):
            call(actor=market.other_firm_user, demand=demand)
    # a bank never sees a draft
    with pytest.raises(NotFound):
        services.demand_publish(actor=market.head_user, demand=demand)


# ---- update --------------------------------------------------------------------------------------------


def test_update_changes_only_the_given_fields(market):
    demand = services.demand_create(actor=market.firm_user, enterprise=market.factory, data=demand_data())
    updated = services.demand_update(actor=market.firm_user, demand=demand, data={"amount": "3000000"})
    assert updated.amount == Decimal("3000000.00")
    assert updated.term_months == 12 and updated.purpose == "rnd"
    assert list(updated.events.values_list("action", flat=True)) == ["created", "updated"]


def test_update_of_a_published_demand_moves_its_expiry_with_needed_by(market):
    demand = make_demand(market, status=DemandStatus.PUBLISHED)
    needed = TODAY() + datetime.timedelta(days=10)
    updated = services.demand_update(actor=market.firm_user, demand=demand, data={"needed_by": needed.isoformat()})
    assert updated.expires_on == needed
    assert updated.respond_by == demand.respond_by


def test_update_switching_to_chosen_needs_institutions(market):
    demand = make_demand(market, status=DemandStatus.DRAFT)
    before = state(demand)
    with pytest.raises(ValidationFailed):
        services.demand_update(actor=market.firm_user, demand=demand, data={"visibility": "chosen"})
    assert state(demand) == before
    updated = services.demand_update(
        actor=market.firm_user, demand=demand, data={"visibility": "chosen", "chosen_institutions": [market.head.pk]}
    )
    assert list(updated.chosen_institutions.all()) == [market.head]
    back = services.demand_update(actor=market.firm_user, demand=demand, data={"visibility": "all"})
    assert back.chosen_institutions.count() == 0


def test_bad_update_changes_nothing(market):
    demand = make_demand(market, status=DemandStatus.PUBLISHED)
    before = state(demand)
    counts = Counts()
    with pytest.raises(ValidationFailed):
        services.demand_update(actor=market.firm_user, demand=demand, data={"amount": "1", "term_months": 0})
    assert state(demand) == before
    assert counts.unchanged()


@pytest.mark.parametrize("status", [s for s in DemandStatus.values if s not in ("draft", "published")])
def test_update_is_refused_after_publication_stage(market, status):
    demand = demand_in(market, status)
    before = state(demand)
    with pytest.raises(Conflict):
        services.demand_update(actor=market.firm_user, demand=demand, data={"term_months": 3})
    assert state(demand) == before


# ---- withdraw, republish ---------------------------------------------------------------------------------


def test_withdraw_closes_running_engagements(market):
    lender_staff = market.scitech_user
    demand = demand_in(market, DemandStatus.UNDER_REVIEW)
    withdrawn = services.demand_withdraw(actor=market.firm_user, demand=demand, note="Found the money elsewhere")
    assert withdrawn.status == DemandStatus.WITHDRAWN and withdrawn.closed_at is not None
    engagement = DemandResponse.objects.get(demand=demand)
    assert engagement.status == EngagementStatus.CLOSED
    assert demand.events.last().note == "Found the money elsewhere"
    told = Notification.objects.get(kind=notices.DEMAND_CLOSED)
    assert (told.recipient, told.organization) == (lender_staff, engagement.institution)
    assert told.params["reason"] == notices.CLOSED_WITHDRAWN
    with translation.override("zh-hans"):
        assert "已关闭" in told.text


def test_expiry_tells_the_institutions_whose_engagements_it_closes(market):
    assert market.scitech_user
    demand = demand_in(market, DemandStatus.TAKEN_UP, expires_on=TODAY())
    services.demand_expire(demand=demand, now=timezone.now() + datetime.timedelta(days=1))
    told = Notification.objects.get(kind=notices.DEMAND_CLOSED)
    assert told.params["reason"] == notices.CLOSED_EXPIRED
    assert told.organization == DemandResponse.objects.get(demand=demand).institution


def test_a_failed_withdrawal_tells_nobody(market):
    demand = demand_in(market, DemandStatus.WITHDRAWN)
    with pytest.raises(Conflict):
        services.demand_withdraw(actor=market.firm_user, demand=demand)
    assert not Notification.objects.filter(kind=notices.DEMAND_CLOSED).exists()


def test_republish_sets_a_new_deadline_and_clears_the_escalation(market):
    demand = demand_in(market, DemandStatus.DECLINED, escalated_at=tz(2025, 1, 1, 9))
    republished = services.demand_republish(
        actor=market.firm_user, demand=demand, data={"amount": "1500000"}, now=tz(2025, 1, 24, 9)
    )
    assert republished.status == DemandStatus.PUBLISHED
    assert republished.amount == Decimal("1500000.00")
    assert republished.respond_by == datetime.date(2025, 1, 27)  # Sunday 26 January 2025 was a working day
    assert republished.escalated_at is None and republished.decline_reason == ""
    assert demand.events.last().action == "republished"


def test_republish_with_bad_data_changes_nothing(market):
    demand = demand_in(market, DemandStatus.DECLINED)
    before = state(demand)
    with pytest.raises(ValidationFailed):
        services.demand_republish(actor=market.firm_user, demand=demand, data={"amount": "0"})
    assert state(demand) == before


# ---- expiry ------------------------------------------------------------------------------------------------


def test_expire_needs_the_date_to_have_passed(market):
    demand = make_demand(market, status=DemandStatus.PUBLISHED, expires_on=TODAY())
    before = state(demand)
    with pytest.raises(Conflict):
        services.demand_expire(demand=demand)
    assert state(demand) == before
    expired = services.demand_expire(demand=demand, now=timezone.now() + datetime.timedelta(days=1))
    assert expired.status == DemandStatus.EXPIRED
    event = DemandEvent.objects.filter(demand=demand).last()
    assert event.action == "expired" and event.actor is None
    assert AuditEvent.objects.get(action="demand_expire").actor_name == "system"


def test_create_then_full_life(market):
    demand = services.demand_create(actor=market.firm_user, enterprise=market.factory, data=demand_data())
    services.demand_publish(actor=market.firm_user, demand=demand)
    assert Demand.objects.get(pk=demand.pk).status == DemandStatus.PUBLISHED
