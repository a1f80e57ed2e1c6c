"""Pools: creation and settings, activation and closing, capital, top-ups, withdrawals, interest, alerts."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from finbridge.audit.models import AuditEvent
from finbridge.core.errors import Conflict, PermissionDenied, ValidationFailed
from finbridge.financing.tests.setup import build_market
from finbridge.notifications.models import Notification
from finbridge.riskpool import notices
from finbridge.riskpool.choices import AlertKind, CapacityBasis, EntryKind, PoolStatus
from finbridge.riskpool.models import JournalEntry, Pool, PoolAlert
from finbridge.riskpool.selectors.ledger import ledger_assert_invariants
from finbridge.riskpool.services.pools import (
    pool_activate,
    pool_capital_contribute,
    pool_capital_withdraw,
    pool_close,
    pool_create,
    pool_interest_record,
    pool_update,
)
from finbridge.riskpool.tests.setup import CAPITAL, build_pool_scenario

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = timezone.localdate


@pytest.fixture
def market():
    return build_market()


def _create(market, **kwargs):
    values = {
        "name": "测试资金池",
        "period_start": TODAY(),
        "period_end": TODAY() + datetime.timedelta(days=365),
        "leverage_multiple": "10",
    }
    values.update(kwargs)
    return pool_create(actor=market.district_user, **values)


def test_the_authority_creates_a_draft_pool_with_defaults(market):
    pool = _create(market)
    assert pool.status == PoolStatus.DRAFT
    assert pool.authority == market.district
    assert pool.excluded_industry_prefixes == ["J", "K7010"]
    assert pool.eligible_size_classes == ["medium", "small", "micro"]
    assert (pool.require_sme, pool.require_district_operation, pool.exclude_serious_bad_credit) == (True, True, True)
    assert pool.capacity_basis == CapacityBasis.LEVERAGE and pool.leverage_multiple == D("10")
    assert AuditEvent.objects.filter(action="riskpool.pool_create", object_id=str(pool.pk)).exists()


@pytest.mark.parametrize("user", ["head_user", "ia_user", "firm_user", "guarantor_user"])
def test_only_a_district_authority_creates_pools(market, user):
    with pytest.raises(PermissionDenied):
        pool_create(
            actor=getattr(market, user), name="x", period_start=TODAY(), period_end=TODAY(), leverage_multiple=5
        )
    assert not Pool.objects.exists()


def test_a_viewer_of_the_authority_cannot_create(market):
    with pytest.raises(PermissionDenied):
        pool_create(
            actor=market.member("district", "viewer"),
            name="x",
            period_start=TODAY(),
            period_end=TODAY(),
            leverage_multiple=5,
        )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": ""}, "name"),
        ({"period_end": TODAY() - datetime.timedelta(days=1)}, "period_end"),
        ({"period_start": "2026-13-01"}, "period_start"),
        ({"leverage_multiple": None}, "leverage_multiple"),
        ({"leverage_multiple": "-1"}, "leverage_multiple"),
        ({"capacity_basis": "absolute", "leverage_multiple": None}, "max_covered_amount"),
        ({"capacity_basis": "magic"}, "capacity_basis"),
        ({"max_covered_amount": "1.234"}, "max_covered_amount"),
        ({"npl_suspension_threshold": "1.5"}, "npl_suspension_threshold"),
        ({"free_balance_alert_share": "abc"}, "free_balance_alert_share"),
        ({"eligible_size_classes": ["tiny"]}, "eligible_size_classes"),
        ({"excluded_industry_prefixes": ["J", "finance"]}, "excluded_industry_prefixes"),
        ({"allowed_purposes": ["holiday"]}, "allowed_purposes"),
        ({"max_term_months": 0}, "max_term_months"),
        ({"require_sme": "yes"}, "require_sme"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_settings_are_refused_with_the_field_and_nothing_is_written(market, kwargs, field):
    with pytest.raises(ValidationFailed) as error:
        _create(market, **kwargs)
    assert field in error.value.fields
    assert not Pool.objects.exists()


def test_industry_prefixes_are_normalised(market):
    pool = _create(market, excluded_industry_prefixes=[" k7010", "j", "J"])
    assert pool.excluded_industry_prefixes == ["J", "K7010"]


def test_capacity_is_absolute_or_a_multiple_of_capital():
    s = build_pool_scenario(leverage=D("2.5"))
    assert s.pool.max_covered_balance == D("25000000.00")
    fixed = build_pool_scenario(market=s.market, max_covered_amount=D("3000000.00"))
    assert fixed.pool.max_covered_balance == D("3000000.00")


def test_update_changes_settings_and_is_audited():
    s = build_pool_scenario()
    pool_update(actor=s.authority, pool=s.pool, max_loan_amount="5000000", allowed_purposes=["rnd"])
    s.refresh()
    assert s.pool.max_loan_amount == D("5000000") and s.pool.allowed_purposes == ["rnd"]
    event = AuditEvent.objects.get(action="riskpool.pool_update")
    assert event.before["max_loan_amount"] is None


def test_update_by_another_authority_is_refused():
    s = build_pool_scenario()
    from finbridge.accounts.choices import OrgType
    from finbridge.accounts.tests.factories import MembershipFactory, OrganizationFactory

    other = MembershipFactory(organization=OrganizationFactory(org_type=OrgType.DISTRICT_AUTHORITY), role="staff").user
    with pytest.raises(PermissionDenied):
        pool_update(actor=other, pool=s.pool, name="hijack")
    s.refresh()
    assert s.pool.name != "hijack"


def test_bad_update_changes_nothing():
    s = build_pool_scenario()
    with pytest.raises(ValidationFailed):
        pool_update(actor=s.authority, pool=s.pool, name="new", period_end=s.pool.period_start - datetime.timedelta(1))
    s.refresh()
    assert s.pool.name != "new"


def test_activation_needs_rules_and_capital(market):
    pool = _create(market)
    with pytest.raises(Conflict) as error:
        pool_activate(actor=market.district_user, pool=pool)
    assert error.value.code == "pool_not_ready"
    s = build_pool_scenario(market=market, capital=None)
    with pytest.raises(Conflict) as error:
        pool_activate(actor=s.authority, pool=s.pool)
    assert error.value.code == "pool_not_ready"
    pool_capital_contribute(actor=s.authority, pool=s.pool, amount="100")
    pool_activate(actor=s.authority, pool=s.pool)
    assert s.pool.status == PoolStatus.ACTIVE
    with pytest.raises(Conflict) as error:
        pool_activate(actor=s.authority, pool=s.pool)
    assert error.value.code == "invalid_transition"


def test_a_closed_pool_takes_no_changes_or_capital():
    s = build_pool_scenario()
    pool_close(actor=s.authority, pool=s.pool)
    assert s.pool.status == PoolStatus.CLOSED
    with pytest.raises(Conflict):
        pool_update(actor=s.authority, pool=s.pool, name="x")
    with pytest.raises(Conflict):
        pool_capital_contribute(actor=s.authority, pool=s.pool, amount="1")
    with pytest.raises(Conflict):
        pool_close(actor=s.authority, pool=s.pool)


def test_capital_then_top_ups_then_interest_are_ledger_entries():
    s = build_pool_scenario()
    top_up = pool_capital_contribute(actor=s.authority, pool=s.pool, amount="2,000,000.00", memo="2027 budget")
    interest = pool_interest_record(actor=s.authority, pool=s.pool, amount="1234.56")
    assert (top_up.kind, interest.kind) == (EntryKind.TOP_UP, EntryKind.INTEREST)
    assert s.pool.cash_balance == CAPITAL + D("2001234.56")
    assert s.pool.capital_total == CAPITAL + D("2000000")
    assert s.pool.max_covered_balance == D("120000000.00")
    ledger_assert_invariants(s.pool)


@pytest.mark.parametrize("amount", ["0", "-5", "1.005", "abc", None, "1e30"])
def test_bad_amounts_are_refused(amount):
    s = build_pool_scenario()
    with pytest.raises(ValidationFailed):
        pool_capital_contribute(actor=s.authority, pool=s.pool, amount=amount)
    assert JournalEntry.objects.filter(pool=s.pool).count() == 1


def test_future_value_dates_are_refused():
    s = build_pool_scenario()
    with pytest.raises(ValidationFailed) as error:
        pool_capital_contribute(
            actor=s.authority, pool=s.pool, amount="5", value_date=TODAY() + datetime.timedelta(days=1)
        )
    assert "value_date" in error.value.fields


def test_banks_cannot_move_capital():
    s = build_pool_scenario()
    with pytest.raises(PermissionDenied):
        pool_capital_contribute(actor=s.head_user, pool=s.pool, amount="5")
    with pytest.raises(PermissionDenied):
        pool_capital_withdraw(actor=s.head_user, pool=s.pool, amount="5")


def test_withdrawal_is_limited_by_free_balance_and_capacity():
    s = build_pool_scenario(leverage=D("1"))
    s.enrol(s.make_loan(amount=D("6000000.00")))
    with pytest.raises(Conflict) as error:
        pool_capital_withdraw(actor=s.authority, pool=s.pool, amount="5000000")
    assert error.value.code == "capacity_below_covered"
    with pytest.raises(Conflict) as error:
        pool_capital_withdraw(actor=s.authority, pool=s.pool, amount=str(CAPITAL + 1))
    assert error.value.code == "insufficient_funds"
    pool_capital_withdraw(actor=s.authority, pool=s.pool, amount="4000000")
    assert s.pool.capital_total == D("6000000.00")
    ledger_assert_invariants(s.pool)


def test_low_free_balance_alerts_the_authority_once_and_clears():
    s = build_pool_scenario()  # alert share 20% of capital
    authority_notes = Notification.objects.filter(kind=notices.LOW_FREE_BALANCE)
    pool_capital_withdraw(actor=s.authority, pool=s.pool, amount="1000000")
    assert not PoolAlert.objects.exists()  # 9m of 9m capital
    pool_update(actor=s.authority, pool=s.pool, free_balance_alert_share="0.999999")
    from finbridge.riskpool.services.ledger import Line, ledger_post

    ledger_post(
        actor=None,
        pool=s.pool,
        kind=EntryKind.PAYOUT,
        lines=[Line("payouts", debit=D("100")), Line("cash", credit=D("100"))],
        counterparty=s.market.head,
    )
    alert = PoolAlert.objects.get(kind=AlertKind.LOW_FREE_BALANCE, cleared_at__isnull=True)
    assert authority_notes.count() == 1
    ledger_post(
        actor=None,
        pool=s.pool,
        kind=EntryKind.PAYOUT,
        lines=[Line("payouts", debit=D("100")), Line("cash", credit=D("100"))],
        counterparty=s.market.head,
    )
    assert authority_notes.count() == 1  # still one: raised once per crossing
    pool_interest_record(actor=s.authority, pool=s.pool, amount="500")
    alert.refresh_from_db()
    assert alert.cleared_at is not None
    note = authority_notes.first()
    assert note.organization == s.market.district
