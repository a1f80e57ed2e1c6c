"""Statements per pool, per bank and per period, with payouts, owed amounts, settlements and recoveries."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from finbridge.core.errors import NotFound
from finbridge.riskpool.choices import Account, EntryKind
from finbridge.riskpool.selectors.ledger import (
    account_balances,
    bank_statement,
    entry_list,
    ledger_assert_invariants,
    pool_statement,
)
from finbridge.riskpool.services.pools import pool_capital_contribute, pool_interest_record
from finbridge.riskpool.services.recoveries import recovery_report
from finbridge.riskpool.tests.claim_helpers import approve, defaulted, file
from finbridge.riskpool.tests.setup import build_pool_scenario

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = timezone.localdate


@pytest.fixture
def s():
    """Capital 100,000; a 1,000,000 loss compensated at 30% (300,000): 100,000 paid, 200,000 owed; a top-up
    of 250,000 settles the owed amount; the bank then recovers 500,000, of which 150,000 comes back."""
    s = build_pool_scenario(capital=D("100000.00"), leverage=D("100"))
    claim = file(s, defaulted(s))
    payout = approve(s, claim)
    assert (payout.amount, payout.paid_amount, payout.owed_amount) == (D("300000.00"), D("100000.00"), D("200000.00"))
    pool_capital_contribute(actor=s.authority, pool=s.pool, amount="250000")
    recovery_report(actor=s.head_user, claim=claim, recovered_amount="500000", recovered_on=TODAY())
    s.claim = claim
    return s


def test_pool_statement_runs_the_cash(s):
    statement = pool_statement(actor=s.authority, pool=s.pool)
    assert [row.kind for row in statement.rows] == [
        EntryKind.CAPITAL,
        EntryKind.PAYOUT,
        EntryKind.TOP_UP,
        EntryKind.SETTLEMENT,
        EntryKind.RECOVERY,
    ]
    assert [row.cash_after for row in statement.rows] == [D(100000), D(0), D(250000), D(50000), D(200000)]
    payout_row = statement.rows[1]
    assert payout_row.amounts == {Account.PAYOUTS: D(300000), Account.CASH: D(-100000), Account.OWED: D(200000)}
    assert (payout_row.cash_out, payout_row.claim_reference) == (D(100000), s.claim.reference)
    assert statement.closing[Account.CASH] == D(200000)
    assert statement.closing[Account.OWED] == 0
    assert statement.closing[Account.CAPITAL] == D(350000)
    assert statement.closing[Account.RECOVERIES] == D(150000)
    assert statement.by_kind == {
        EntryKind.CAPITAL: D(100000),
        EntryKind.PAYOUT: D(-100000),
        EntryKind.TOP_UP: D(250000),
        EntryKind.SETTLEMENT: D(-200000),
        EntryKind.RECOVERY: D(150000),
    }
    # capital + top-ups + recoveries − payouts actually paid
    assert statement.closing[Account.CASH] == D(350000) + D(150000) - D(300000)
    ledger_assert_invariants(s.pool)


def test_bank_statement_shows_only_the_banks_lines(s):
    statement = bank_statement(actor=s.head_user, pool=s.pool, bank=s.market.head)
    assert [row.kind for row in statement.rows] == [EntryKind.PAYOUT, EntryKind.SETTLEMENT, EntryKind.RECOVERY]
    assert statement.closing[Account.PAYOUTS] == D(300000)
    assert statement.closing[Account.OWED] == 0
    assert statement.closing[Account.RECOVERIES] == D(150000)
    assert all(row.cash_after is None for row in statement.rows)
    other = bank_statement(actor=s.authority, pool=s.pool, bank=s.market.other_bank)
    assert other.rows == [] and other.closing[Account.PAYOUTS] == 0


def test_statement_visibility(s):
    with pytest.raises(NotFound):
        pool_statement(actor=s.head_user, pool=s.pool)  # banks see their own statement only
    with pytest.raises(NotFound):
        bank_statement(actor=s.other_bank_user, pool=s.pool, bank=s.market.head)
    with pytest.raises(NotFound):
        bank_statement(actor=s.market.firm_user, pool=s.pool, bank=s.market.head)
    assert bank_statement(actor=s.branch_user, pool=s.pool, bank=s.market.head).rows
    assert {e.kind for e in entry_list(actor=s.head_user, pool=s.pool)} == {"payout", "settlement", "recovery"}
    assert entry_list(actor=s.authority, pool=s.pool).count() == 5


def test_period_statement_opens_with_what_came_before():
    s = build_pool_scenario()
    pool_interest_record(actor=s.authority, pool=s.pool, amount="100", value_date=TODAY() - datetime.timedelta(40))
    pool_interest_record(actor=s.authority, pool=s.pool, amount="7", value_date=TODAY() - datetime.timedelta(10))
    statement = pool_statement(
        actor=s.authority,
        pool=s.pool,
        date_from=TODAY() - datetime.timedelta(20),
        date_to=TODAY() - datetime.timedelta(1),
    )
    assert statement.opening[Account.INTEREST] == D(100)
    assert statement.opening[Account.CASH] == D(100)  # the capital is paid in today, after the period
    assert [row.amounts[Account.INTEREST] for row in statement.rows] == [D(7)]
    assert statement.closing[Account.CASH] == D(107)
    assert account_balances(pool=s.pool, until=TODAY() - datetime.timedelta(1))[Account.INTEREST] == D(107)


def test_statement_limit_truncates(s):
    statement = pool_statement(actor=s.authority, pool=s.pool, limit=2)
    assert len(statement.rows) == 2 and statement.truncated
