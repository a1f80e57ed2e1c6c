"""Capacity and uniqueness under parallel enrolments (PostgreSQL row locks)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from finbridge.core.errors import Conflict
from finbridge.core.testing import race
from finbridge.riskpool.models import Enrolment
from finbridge.riskpool.selectors.ledger import ledger_assert_invariants
from finbridge.riskpool.services.pools import pool_capital_contribute, pool_capital_withdraw
from finbridge.riskpool.tests.setup import build_pool_scenario

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]
D = Decimal


def _warm(*users):
    for user in users:
        user.permission_codes()
        list(user.active_memberships)


def test_parallel_enrolments_never_exceed_capacity():
    s = build_pool_scenario(max_covered_amount=D("3000000.00"))
    loans = [s.make_loan(lender=name) for name in ("head", "branch", "scitech", "head", "branch", "scitech")]
    users = {"head": s.head_user, "branch": s.branch_user, "scitech": s.market.scitech_user}
    _warm(*users.values())
    results = race(*[lambda loan=loan: s.enrol(loan, actor=users[_name(s, loan)]) for loan in loans])
    enrolled = [r for r in results if isinstance(r, Enrolment)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(enrolled) == 3 and len(refused) == 3, results
    assert {r.code for r in refused} == {"pool_at_capacity"}
    assert s.refresh().covered_balance == D("3000000.00")
    ledger_assert_invariants(s.pool)


def _name(s, loan):
    return {s.market.head.pk: "head", s.market.branch.pk: "branch", s.market.scitech.pk: "scitech"}[loan.lender_id]


def test_the_same_loan_enrolled_in_two_pools_at_once_is_enrolled_once():
    first = build_pool_scenario()
    second = build_pool_scenario(market=first.market)
    loan = first.make_loan()
    _warm(first.head_user)
    results = race(lambda: first.enrol(loan), lambda: second.enrol(loan))
    assert sum(isinstance(r, Enrolment) for r in results) == 1
    assert [r.code for r in results if isinstance(r, Conflict)] == ["already_enrolled"]
    assert Enrolment.objects.filter(loan=loan).count() == 1
    ledger_assert_invariants(first.pool)
    ledger_assert_invariants(second.pool)


def test_parallel_capital_movements_keep_the_ledger_true():
    s = build_pool_scenario()
    _warm(s.authority)
    results = race(
        *[lambda: pool_capital_withdraw(actor=s.authority, pool=s.pool, amount="3000000") for _ in range(4)],
        *[lambda: pool_capital_contribute(actor=s.authority, pool=s.pool, amount="1.00") for _ in range(2)],
    )
    withdrawals = [r for r in results[:4] if not isinstance(r, Conflict)]
    assert len(withdrawals) == 3
    s.refresh()
    assert s.pool.cash_balance == D("1000002.00")
    ledger_assert_invariants(s.pool)
