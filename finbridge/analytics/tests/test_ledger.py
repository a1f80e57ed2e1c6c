"""The stored monthly figures: computed once, marked changed by every ledger write, always equal to a direct scan."""

from __future__ import annotations

import datetime
import random
from dataclasses import fields
from decimal import Decimal

import pytest
from django.utils import timezone

from finbridge.analytics import ledger as months
from finbridge.analytics.models import LedgerMonth, LedgerMonthState
from finbridge.analytics.selectors import BANK, BRANCH, LeagueRow, Period, compute_league_table, whole_months
from finbridge.analytics.tests.conftest import END, START
from finbridge.enterprises.tests.factories import ConsentFactory, EnterpriseFactory
from finbridge.financing.demo_loans import seed_loans
from finbridge.financing.services.loans import loan_record, loan_status_report
from finbridge.financing.tests.setup import build_market

pytestmark = pytest.mark.django_db
FIGURES = [f.name for f in fields(LeagueRow) if f.name not in {"unit", "bank", "tier", "rank"}]


def _figures(table) -> dict:
    return {row.unit.pk: {name: getattr(row, name) for name in FIGURES} for row in table.rows}


def _same(period: Period, level: str) -> None:
    stored = _figures(compute_league_table(period=period, level=level))
    direct = _figures(compute_league_table(period=period, level=level, stored_months=False))
    differences = {
        (unit, name): (stored[unit][name], direct[unit][name])
        for unit in direct
        for name in FIGURES
        if stored[unit][name] != direct[unit][name]
    }
    assert not differences


def _ensure(period: Period, level: str = BANK) -> int:
    return months.ensure_months(
        level=level,
        flow_months=months.months_between(period.start, period.end),
        stock_days={
            months.first_of_month(period.end): period.end,
            months.first_of_month(period.opening): period.opening,
        },
    )


def test_whole_months():
    today = timezone.localdate()
    assert whole_months(Period(datetime.date(2026, 1, 1), datetime.date(2026, 6, 30)))
    assert whole_months(Period(datetime.date(2024, 2, 1), datetime.date(2024, 2, 29)))
    assert not whole_months(Period(datetime.date(2026, 1, 2), datetime.date(2026, 6, 30)))
    assert not whole_months(Period(datetime.date(2026, 1, 1), datetime.date(2026, 6, 29)))
    assert whole_months(Period(today.replace(day=1), today))


def test_months_are_computed_once_and_again_after_a_write(ledger):
    market = ledger["market"]
    period = Period(START, END)
    assert _ensure(period) == 7  # January to June (June with its balances) and the balances of December 2025
    assert _ensure(period) == 0  # nothing changed: the stored figures are used
    assert LedgerMonth.objects.filter(level=BANK, month=datetime.date(2026, 6, 1)).count() == 2  # both banks
    loan_status_report(
        actor=market.head_user,
        loan=ledger["loans"]["L2"],
        month="2026-05",
        outstanding_balance="2500000",
        classification="substandard",
    )
    states = LedgerMonthState.objects.filter(level=BANK)
    computed = [s for s in states if s.stock_computed >= 0]  # balances stored: June (the end) and December 2025
    assert {s.month for s in computed if s.stock_changes != s.stock_computed} == {datetime.date(2026, 6, 1)}
    assert all(s.flows_changes == s.flows_computed for s in states if s.flows_computed >= 0)  # no flow changed
    table = compute_league_table(period=period, level=BANK)
    head = next(row for row in table.rows if row.unit == market.head)
    assert head.balance_end == Decimal("12200000.00")  # L1 1.2m + L2 2.5m + L3 0.5m + L4 8m
    assert head.npl_balance_end == Decimal("3000000.00")  # L3 doubtful + L2 substandard
    assert _ensure(period) == 0
    # A new loan in March changes March's flows and the balances from March to its maturity.
    loan_record(
        actor=market.head_user,
        lender=market.branch,
        borrower=market.shop,
        reference="NEW-1",
        amount="100000",
        disbursed_on="2026-03-20",
        term_months=3,
        annual_rate="0.04",
    )
    states = {s.month: s for s in LedgerMonthState.objects.filter(level=BANK)}
    march = states[datetime.date(2026, 3, 1)]
    assert march.flows_changes != march.flows_computed
    assert states[datetime.date(2026, 6, 1)].stock_changes != states[datetime.date(2026, 6, 1)].stock_computed
    assert states[datetime.date(2025, 12, 1)].stock_changes == states[datetime.date(2025, 12, 1)].stock_computed
    _same(period, BANK)
    _same(period, BRANCH)
    head = next(row for row in compute_league_table(period=period, level=BANK).rows if row.unit == market.head)
    assert head.loans_count == 4 and head.first_time_count == 1  # the shop's earlier loan L3 makes NEW-1 not first


def test_a_write_committed_while_a_month_is_computed_leaves_it_marked(ledger):
    """The counters are read before computing: a change counted meanwhile keeps the month stale."""
    period = Period(START, END)
    from finbridge.analytics import selectors

    original = selectors.month_figures
    market = ledger["market"]

    def compute_then_write(**kwargs):
        rows = original(**kwargs)
        if kwargs["month"] == datetime.date(2026, 6, 1) and not getattr(compute_then_write, "done", False):
            compute_then_write.done = True
            loan_status_report(
                actor=market.head_user,
                loan=ledger["loans"]["L3"],
                month="2026-06",
                outstanding_balance="0",
                classification="normal",
            )
        return rows

    from unittest import mock

    _ensure(period)  # create the state rows, compute everything
    months.ledger_changed(balances_from=datetime.date(2026, 6, 1))  # June's balances must be computed again
    with mock.patch("finbridge.analytics.selectors.month_figures", side_effect=compute_then_write):
        assert _ensure(period) == 1
    june = LedgerMonthState.objects.get(level=BANK, month=datetime.date(2026, 6, 1))
    assert june.stock_changes != june.stock_computed  # the report made during the computation is not lost
    _same(period, BANK)


def test_the_current_month_is_computed_again_the_next_day(ledger):
    today = timezone.localdate()
    period = Period(today.replace(day=1), today)
    _ensure(period)
    state = LedgerMonthState.objects.get(level=BANK, month=today.replace(day=1))
    assert state.stock_as_of == today
    LedgerMonthState.objects.filter(pk=state.pk).update(stock_as_of=today - datetime.timedelta(days=1))
    assert _ensure(period) == 1


@pytest.mark.parametrize("seed", [3, 11])
def test_stored_and_direct_figures_agree_on_random_ledgers(db, seed):
    market = build_market()
    rng = random.Random(seed)
    for number in range(24):
        enterprise = EnterpriseFactory(size_class=("micro", "small", "medium")[number % 3], is_srdi=number % 5 == 0)
        ConsentFactory(enterprise=enterprise, grantee=(market.head, market.scitech, market.other_bank)[number % 3])
    today = timezone.localdate()
    seed_loans(rng=rng, count=150, today=today)
    for _ in range(6):
        start = (today - datetime.timedelta(days=rng.randint(0, 420))).replace(day=1)
        end = min(today, months.last_of_month(start + datetime.timedelta(days=rng.randint(0, 300))))
        for level in (BANK, BRANCH):
            _same(Period(start, end), level)
    months.ledger_reset()
    assert not LedgerMonth.objects.exists() and not LedgerMonthState.objects.exists()


def test_the_warm_command(ledger):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("warm_league_table", months=3, stdout=out)
    assert "month computations" in out.getvalue()
    assert LedgerMonthState.objects.filter(level=BANK).count() == 3
    out = StringIO()
    call_command("warm_league_table", months=3, stdout=out)
    assert out.getvalue().startswith("0 month computations")
