"""Claims paid once and a pool never overdrawn, tried in parallel on PostgreSQL (SQLite has no row locks).

Run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/finbridge_r2.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from finbridge.core.errors import Conflict
from finbridge.core.testing import race
from finbridge.riskpool.choices import ClaimStatus, EntryKind
from finbridge.riskpool.models import Claim, JournalEntry, OwedAmount, Payout, Recovery
from finbridge.riskpool.selectors.ledger import ledger_assert_invariants
from finbridge.riskpool.services.claims import claim_approve
from finbridge.riskpool.services.pools import pool_capital_contribute
from finbridge.riskpool.services.recoveries import recovery_report
from finbridge.riskpool.tests.claim_helpers import defaulted, file
from finbridge.riskpool.tests.setup import build_pool_scenario

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]
D = Decimal


def _warm(*users):
    for user in users:
        user.permission_codes()  # fill the per-user caches before the threads share the objects
        list(user.active_memberships)


def test_parallel_approvals_of_the_same_claim_pay_once():
    s = build_pool_scenario()
    claim = file(s, defaulted(s))
    second_reviewer = s.market.new_user("district")
    _warm(s.authority, second_reviewer)
    results = race(
        lambda: claim_approve(actor=s.authority, claim=Claim.objects.get(pk=claim.pk)),
        lambda: claim_approve(actor=second_reviewer, claim=Claim.objects.get(pk=claim.pk)),
        lambda: claim_approve(actor=s.authority, claim=Claim.objects.get(pk=claim.pk)),
    )
    assert sum(isinstance(r, Payout) for r in results) == 1
    assert sorted(r.code for r in results if isinstance(r, Conflict)) == ["claim_already_approved"] * 2
    assert Payout.objects.filter(claim=claim).count() == 1
    assert JournalEntry.objects.filter(pool=s.pool, kind=EntryKind.PAYOUT).count() == 1
    assert s.refresh().cash_balance == D("9700000.00")
    ledger_assert_invariants(s.refresh())


def test_parallel_approvals_of_different_claims_never_overdraw_the_pool():
    s = build_pool_scenario(capital=D("500000.00"))  # capacity 5,000,000
    claims = [file(s, defaulted(s, amount="1000000.00")) for _ in range(4)]  # 300,000 due on each
    _warm(s.authority)
    results = race(*[lambda c=c: claim_approve(actor=s.authority, claim=Claim.objects.get(pk=c.pk)) for c in claims])
    assert all(isinstance(r, Payout) for r in results), results
    pool = s.refresh()
    assert pool.cash_balance == 0
    payouts = list(Payout.objects.filter(pool=pool).order_by("created_at", "id"))
    assert sum(p.amount for p in payouts) == D("1200000.00")
    assert sum(p.paid_amount for p in payouts) == D("500000.00")
    assert sum(p.owed_amount for p in payouts) == D("700000.00")
    # whichever came first was paid first: at most one payout is part paid, part owed
    assert sum(1 for p in payouts if p.paid_amount and p.owed_amount) <= 1
    assert OwedAmount.objects.filter(pool=pool).count() == 3
    assert Claim.objects.filter(status=ClaimStatus.PAID).count() == 1
    ledger_assert_invariants(pool)


def test_money_coming_in_while_claims_are_approved_settles_in_order():
    s = build_pool_scenario(capital=D("300000.00"))
    claims = [file(s, defaulted(s, amount="1000000.00")) for _ in range(3)]
    _warm(s.authority)
    calls = [lambda c=c: claim_approve(actor=s.authority, claim=Claim.objects.get(pk=c.pk)) for c in claims]
    calls += [lambda: pool_capital_contribute(actor=s.authority, pool=s.pool, amount="250000.00")] * 2
    results = race(*calls)
    assert not [r for r in results if isinstance(r, Exception)], results
    pool = s.refresh()
    payouts = Payout.objects.filter(pool=pool)
    assert sum(p.paid_amount for p in payouts) + pool.cash_balance == D("800000.00")
    # never cash in hand while something is owed
    assert pool.cash_balance == 0 or not OwedAmount.objects.filter(pool=pool, status="open").exists()
    ledger_assert_invariants(pool)


def test_parallel_recoveries_never_return_more_than_the_pool_paid():
    s = build_pool_scenario()
    claim = file(s, defaulted(s, amount="1000000.00"))
    payout = claim_approve(actor=s.authority, claim=claim)
    _warm(s.head_user, s.branch_user)
    results = race(
        *[
            lambda user=user: recovery_report(
                actor=user,
                claim=Claim.objects.get(pk=claim.pk),
                recovered_amount="400000.00",
                recovered_on=claim.defaulted_on,
            )
            for user in (s.head_user, s.branch_user, s.head_user)
        ]
    )
    assert sum(isinstance(r, Recovery) for r in results) == 2  # the third would exceed the 1,000,000 loss
    payout.refresh_from_db()
    assert payout.recovered_amount == D("240000.00") <= payout.amount
    ledger_assert_invariants(s.refresh())
