"""Property tests: whatever entries are attempted, in any order, the ledger balances, the pool's balances
match it, cash and owed never go negative, and a refused entry changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finbridge.core.errors import DomainError
from finbridge.riskpool.choices import Account, EntryKind
from finbridge.riskpool.models import JournalEntry, Pool
from finbridge.riskpool.selectors.ledger import account_balances, ledger_check_invariants
from finbridge.riskpool.services.ledger import Line, ledger_post
from finbridge.riskpool.services.pools import pool_capital_contribute, pool_capital_withdraw, pool_interest_record
from finbridge.riskpool.tests.setup import build_pool_scenario

pytestmark = pytest.mark.django_db
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("30000000"), places=2)
service_ops = st.lists(st.tuples(st.sampled_from(["contribute", "withdraw", "interest"]), amounts), max_size=12)
raw_lines = st.lists(
    st.tuples(st.sampled_from(Account.values), st.booleans(), amounts, st.sampled_from(["head", "other_bank"])),
    min_size=1,
    max_size=5,
)


def _state(pool: Pool) -> tuple:
    pool.refresh_from_db()
    return (pool.cash_balance, pool.capital_total, JournalEntry.objects.filter(pool=pool).count())


@pytest.fixture
def s():
    return build_pool_scenario()


@SETTINGS
@given(ops=service_ops)
def test_capital_and_interest_services_keep_the_ledger_true(s, ops):
    services = {
        "contribute": pool_capital_contribute,
        "withdraw": pool_capital_withdraw,
        "interest": pool_interest_record,
    }
    with transaction.atomic():
        for name, amount in ops:
            before = _state(s.pool)
            try:
                services[name](actor=s.authority, pool=s.pool, amount=amount)
            except DomainError:
                assert _state(s.pool) == before
        report = ledger_check_invariants(s.pool)
        assert report.ok, report.problems
        b = account_balances(pool=s.pool)
        assert b[Account.CASH] == b[Account.CAPITAL] + b[Account.INTEREST] >= 0
        transaction.set_rollback(True)


@SETTINGS
@given(entries=st.lists(raw_lines, max_size=10))
def test_any_attempted_entries_leave_a_balanced_ledger(s, entries):
    """Random lines on any accounts (payouts, owed amounts, settlements...): each entry is posted whole or
    refused whole; in the end the ledger balances and nothing is negative."""
    banks = {"head": s.market.head, "other_bank": s.market.other_bank}
    with transaction.atomic():
        for raw in entries:
            lines = [
                Line(
                    account,
                    debit=amount if is_debit else Decimal(0),
                    credit=Decimal(0) if is_debit else amount,
                    counterparty=banks[bank] if account == Account.OWED else None,
                )
                for account, is_debit, amount, bank in raw
            ]
            # Balance half of the attempts with a cash line so that many are accepted.
            net = sum((x.debit - x.credit for x in lines), Decimal(0))
            if net and len(raw) % 2:
                lines.append(Line(Account.CASH, debit=-net if net < 0 else 0, credit=net if net > 0 else 0))
            before = _state(s.pool)
            try:
                ledger_post(actor=None, pool=s.pool, kind=EntryKind.REVERSAL, lines=lines)
            except DomainError:
                assert _state(s.pool) == before
        report = ledger_check_invariants(s.pool, with_records=False)
        assert report.ok, report.problems
        transaction.set_rollback(True)
