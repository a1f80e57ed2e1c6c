"""Recoveries after a payout: shared back in the proportion the pool bore, at most what it paid; bad input
changes nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from finbridge.accounts.choices import Role
from finbridge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from finbridge.notifications.models import Notification
from finbridge.riskpool import notices
from finbridge.riskpool.choices import Account, ClaimAction, ClaimStatus, EntryKind, OwedStatus
from finbridge.riskpool.models import OwedAmount, Recovery
from finbridge.riskpool.selectors.ledger import ledger_assert_invariants
from finbridge.riskpool.services.recoveries import recovery_report
from finbridge.riskpool.tests.claim_helpers import approve, defaulted, file, state
from finbridge.riskpool.tests.setup import build_pool_scenario

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = timezone.localdate


@pytest.fixture
def s():
    return build_pool_scenario()


def report(s, claim, amount, *, actor=None, on=None, **fields):
    return recovery_report(
        actor=actor or s.head_user, claim=claim, recovered_amount=amount, recovered_on=on or TODAY(), **fields
    )


def test_a_recovery_comes_back_in_the_same_proportion(s):
    claim = file(s, defaulted(s), lost_principal="1000000.00")
    payout = approve(s, claim)  # 300,000 = 30%
    recovery = report(s, claim, "100000.00", reference="法院执行款", note="auction")
    # 100,000 × 300,000 / 1,000,000 = 30,000 to the pool; the bank keeps 70,000
    assert recovery.pool_amount == D("30000.00")
    assert recovery.breakdown["amounts"]["bank"] == "70000.00"
    assert recovery.breakdown["steps"][0]["code"] == "recovery"
    payout.refresh_from_db()
    assert payout.recovered_amount == D("30000.00")
    assert s.refresh().cash_balance == D("9730000.00")
    entry = recovery.entry
    assert entry.kind == EntryKind.RECOVERY and entry.counterparty == s.market.head
    assert sorted((line.account, line.debit, line.credit) for line in entry.lines.all()) == [
        (Account.CASH, D("30000.00"), D("0")),
        (Account.RECOVERIES, D("0"), D("30000.00")),
    ]
    assert ClaimAction.RECOVERY in claim.events.values_list("action", flat=True)
    assert Notification.objects.filter(kind=notices.RECOVERY_REPORTED, organization=s.market.district).exists()
    ledger_assert_invariants(s.refresh())


def test_recovering_the_whole_loss_returns_exactly_what_the_pool_paid(s):
    claim = file(s, defaulted(s, amount="1000000.00", outstanding="333333.33"), lost_principal="333333.33")
    payout = approve(s, claim)
    assert payout.amount == D("100000.00")  # 30% of 333,333.33 = 99,999.999 -> 100,000.00
    shares = [report(s, claim, amount).pool_amount for amount in ("111111.11", "111111.11", "111111.11")]
    # 111,111.11 × 100,000 / 333,333.33 = 33,333.3333.. -> 33,333.33 each, 99,999.99 in all
    assert shares == [D("33333.33")] * 3
    payout.refresh_from_db()
    assert payout.recovered_amount == D("99999.99") <= payout.amount
    ledger_assert_invariants(s.refresh())


def test_a_recovery_pays_what_the_pool_owes_first():
    s = build_pool_scenario(capital=D("200000.00"))
    claim = file(s, defaulted(s))
    payout = approve(s, claim)  # 300,000: 200,000 paid, 100,000 owed
    report(s, claim, "200000.00")  # 60,000 back to the pool, straight on to the owed amount
    payout.refresh_from_db()
    assert (payout.paid_amount, payout.owed_amount, payout.recovered_amount) == (
        D("260000.00"),
        D("40000.00"),
        D("60000.00"),
    )
    assert OwedAmount.objects.get(payout=payout).status == OwedStatus.OPEN
    assert s.refresh().cash_balance == 0
    ledger_assert_invariants(s.refresh())


def test_no_recovery_on_a_claim_never_paid_out(s):
    claim = file(s, defaulted(s))
    before = state(s.pool)
    with pytest.raises(Conflict) as error:
        report(s, claim, "1000.00")
    assert error.value.code == "not_paid_out"
    assert claim.reference in error.value.message
    assert state(s.pool) == before


@pytest.mark.parametrize(
    ("amount", "on", "field"),
    [
        ("0", None, "recovered_amount"),
        ("-10", None, "recovered_amount"),
        ("12.345", None, "recovered_amount"),
        ("1000000.01", None, "recovered_amount"),  # more than the loss accepted
        ("100.00", "tomorrow", "recovered_on"),
        ("100.00", "before", "recovered_on"),
        ("100.00", "not a date", "recovered_on"),
    ],
)
def test_bad_recoveries_change_nothing(s, amount, on, field):
    claim = file(s, defaulted(s), lost_principal="1000000.00", defaulted_on=TODAY())
    approve(s, claim)
    day = {
        None: TODAY(),
        "tomorrow": TODAY() + datetime.timedelta(days=1),
        "before": TODAY() - datetime.timedelta(days=1),
    }.get(on, on)
    before = state(s.pool)
    with pytest.raises(ValidationFailed) as error:
        report(s, claim, amount, on=day)
    assert field in error.value.fields
    assert state(s.pool) == before


def test_recoveries_add_up_to_at_most_the_loss(s):
    claim = file(s, defaulted(s), lost_principal="1000000.00", lost_interest="10000.00")
    approve(s, claim)
    report(s, claim, "1000000.00")
    before = state(s.pool)
    with pytest.raises(ValidationFailed) as error:
        report(s, claim, "10000.01")
    assert "1,010,000.00" in error.value.fields["recovered_amount"][0]
    assert state(s.pool) == before
    report(s, claim, "10000.00")
    assert Recovery.objects.filter(claim=claim).count() == 2


def test_who_may_report(s):
    claim = file(s, defaulted(s))
    approve(s, claim)
    before = state(s.pool)
    with pytest.raises(NotFound):
        report(s, claim, "100.00", actor=s.other_bank_user)
    with pytest.raises(NotFound):
        report(s, claim, "100.00", actor=s.authority)
    with pytest.raises(PermissionDenied):
        report(s, claim, "100.00", actor=s.market.member("head", Role.VIEWER))
    assert state(s.pool) == before
    assert report(s, claim, "100.00", actor=s.branch_user).pool_amount == D("30.00")


def test_a_recovery_on_a_zero_payout_posts_nothing():
    rules = {"categories": [{"category": "direct", "shares": {"pool": "0.3", "bank": "0.7"}}], "pool_cap": "1.00"}
    s = build_pool_scenario(rules=rules)
    approve(s, file(s, defaulted(s)))  # 1.00 (cap)
    claim = file(s, defaulted(s))
    payout = approve(s, claim)
    assert payout.amount == 0
    recovery = report(s, claim, "5000.00")
    assert (recovery.pool_amount, recovery.entry) == (D("0.00"), None)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    ledger_assert_invariants(s.refresh())
