"""Stored monthly figures of the overview: they give exactly the figures aggregated from the fact tables, are
computed once, and are computed again when a row is later written into a stored month.

Until the migration of models/overview.py exists, the `stored_tables` fixture creates its two tables for the test
with the schema editor (and drops them after)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from finbridge.supplychain.choices import PayeeRole
from finbridge.supplychain.models import Payment
from finbridge.supplychain.models.overview import OverviewMonth, OverviewMonthState
from finbridge.supplychain.selectors import overview_months as months_store
from finbridge.supplychain.selectors.overview import compute_overview, overview_viewpoints
from finbridge.supplychain.tests.test_overview_setup import build_scenario

D = Decimal


@pytest.fixture
def stored_tables(transactional_db):
    existing = set(connection.introspection.table_names())
    created = []
    with connection.schema_editor() as editor:
        for model in (OverviewMonth, OverviewMonthState):
            if model._meta.db_table not in existing:
                editor.create_model(model)
                created.append(model)
    months_store._available.clear()
    yield
    with connection.schema_editor() as editor:
        for model in created:
            editor.delete_model(model)
    months_store._available.clear()


def _both(scenario, who, **filters):
    """The overview from stored months and straight from the fact tables."""
    viewpoint = overview_viewpoints(actor=scenario.chain.user(who))[0]
    chain = scenario.chain
    orgs = {key: chain.org(value) for key, value in filters.items()}
    return [
        compute_overview(period=scenario.period, viewpoint=viewpoint, stored_months=stored, **orgs)
        for stored in (True, False)
    ]


def _same(stored, direct) -> None:
    assert stored.totals == direct.totals
    assert stored.by_month == direct.by_month
    assert stored.by_tier == direct.by_tier
    assert [(r.organization, r.figures) for r in stored.by_debtor] == [
        (r.organization, r.figures) for r in direct.by_debtor
    ]
    assert [(r.organization, r.figures) for r in stored.by_funder] == [
        (r.organization, r.figures) for r in direct.by_funder
    ]


@pytest.mark.parametrize(
    ("who", "filters"),
    [
        ("district", {}),
        ("district", {"debtor": "core2"}),
        ("district", {"funder": "bank_b"}),
        ("district", {"debtor": "core", "funder": "bank_a_branch"}),
        ("core", {}),
        ("core", {"funder": "bank_a"}),
        ("bank_a", {}),
        ("bank_a", {"debtor": "core"}),
        ("bank_b", {}),
    ],
)
def test_stored_months_give_the_figures_of_the_fact_tables(stored_tables, who, filters):
    scenario = build_scenario()
    stored, direct = _both(scenario, who, **filters)
    _same(stored, direct)
    closed = [
        m
        for m in (scenario.m3, scenario.m2, scenario.m1)
        if months_store.is_closed(m.replace(day=1), timezone.localdate())
    ]
    assert set(OverviewMonthState.objects.values_list("month", flat=True)) == {m.replace(day=1) for m in closed}


def test_the_stored_figures_are_the_hand_computed_ones(stored_tables):
    scenario = build_scenario()
    stored, _direct = _both(scenario, "district")
    assert stored.totals.confirmed_amount == D("460000.00") and stored.totals.average_days_early == D("8.3")
    assert OverviewMonth.objects.filter(month=scenario.m3.replace(day=1), debtor_id=scenario.chain.core.pk).exists()


def test_months_are_computed_once_and_open_months_never(stored_tables, monkeypatch):
    # Rows recorded in the last ten minutes may belong to transactions still open, so the months they fall in are
    # checked again; here every row is that recent, so count them as settled at once.
    monkeypatch.setattr(months_store, "SETTLE_MINUTES", 0)
    scenario = build_scenario()
    today = timezone.localdate()
    months = months_store.months_between(scenario.period.start, today)
    computed = months_store.ensure_months(months, today=today)
    assert computed == len([m for m in months if months_store.is_closed(m, today)]) >= 2
    assert months_store.ensure_months(months, today=today) == 0
    assert not OverviewMonthState.objects.filter(month=today.replace(day=1)).exists()


def test_a_payment_recorded_later_into_a_stored_month_is_counted(stored_tables):
    scenario = build_scenario()
    chain = scenario.chain
    stored, _direct = _both(scenario, "district")
    assert stored.totals.settled_amount == D("150000.00")
    r2 = scenario.r2  # overdue and unpaid: now recorded as paid on m2 + 12 days, in a stored month
    paid_on = scenario.m2 + datetime.timedelta(days=12)
    Payment.objects.create(
        receivable=r2,
        payer=chain.core,
        payee=chain.supplier2,
        payee_role=PayeeRole.HOLDER,
        amount=r2.amount,
        due_on=r2.due_on,
        paid_on=paid_on,
        days_early=(r2.due_on - paid_on).days,
    )
    stored, direct = _both(scenario, "district")
    _same(stored, direct)
    assert stored.totals.settled_amount == D("350000.00")
    month = next(row for row in stored.by_month if row.month == paid_on.replace(day=1))
    assert month.figures.settled_amount == D("200000.00")


def test_reset_forgets_every_stored_month(stored_tables):
    build_scenario()
    months_store.ensure_months(
        months_store.months_between(timezone.localdate() - datetime.timedelta(days=120), timezone.localdate())
    )
    assert OverviewMonthState.objects.exists()
    months_store.overview_months_reset()
    assert not OverviewMonthState.objects.exists() and not OverviewMonth.objects.exists()


def test_the_daily_refresh_stores_the_closed_months(stored_tables, monkeypatch):
    monkeypatch.setattr(months_store, "SETTLE_MINUTES", 0)
    scenario = build_scenario()
    assert months_store.refresh_recent_months(months=6) >= 2
    assert OverviewMonthState.objects.filter(month=scenario.m3.replace(day=1)).exists()
    assert months_store.refresh_recent_months(months=6) == 0
