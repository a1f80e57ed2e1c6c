"""The whole lifecycle of a pool, driven in random order by hypothesis (a rule-based state machine).

Capital, top-ups, interest and withdrawals; loans enrolled, turning bad and good again; claims filed,
returned, resubmitted, withdrawn, rejected and approved (in full or in part); recoveries; risk checks. After
every step: the ledger balances and matches the pool's balances, cash never goes below zero, nothing is owed
while the pool holds cash (owed amounts are settled as money comes in), no payout exceeds any cap or the
loss, every claim's status agrees with its payout, and a refused action changed nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from finbridge.core.errors import DomainError
from finbridge.financing.choices import LoanClassification
from finbridge.financing.tests.setup import build_market
from finbridge.riskpool.choices import Account, ClaimStatus, EnrolmentStatus, LoanCategory, OwedStatus
from finbridge.riskpool.models import Claim, Enrolment, OwedAmount, Payout
from finbridge.riskpool.selectors.ledger import account_balances, ledger_assert_invariants
from finbridge.riskpool.services.claims import (
    claim_approve,
    claim_reject,
    claim_resubmit,
    claim_return,
    claim_withdraw,
)
from finbridge.riskpool.services.pools import pool_capital_contribute, pool_capital_withdraw, pool_interest_record
from finbridge.riskpool.services.recoveries import recovery_report
from finbridge.riskpool.services.risk_control import risk_check_pool
from finbridge.riskpool.tests.claim_helpers import file, state
from finbridge.riskpool.tests.setup import build_pool_scenario

pytestmark = pytest.mark.django_db
D = Decimal
ZERO = D("0")

PER_LOAN_CAP = D("400000.00")
PER_BANK_YEAR_CAP = D("900000.00")
POOL_CAP = D("1500000.00")
RULES = {
    "categories": [
        {
            "category": "direct",
            "shares": {"pool": "0.3", "bank": "0.7"},
            "uplifts": {"first_time": "10", "credit": "10", "tech_enterprise": "10"},
            "uplift_max_points": "20",
            "principal_cap_share": "0.45",
            "per_loan_cap": str(PER_LOAN_CAP),
        },
        {
            "category": "guaranteed",
            "shares": {"pool": "0.2", "bank": "0.3", "guarantor": "0.5"},
            "covers_interest": True,
        },
    ],
    "per_bank_year_cap": str(PER_BANK_YEAR_CAP),
    "pool_cap": str(POOL_CAP),
}

amounts = st.integers(min_value=1, max_value=60_000_000).map(lambda fen: D(fen) / 100)  # up to 600,000.00
loan_amounts = st.sampled_from(["100000.00", "333333.33", "800000.00", "1000000.01", "2500000.00"]).map(D)
fractions = st.sampled_from(["0.25", "0.5", "0.999", "1"]).map(D)
BAD = [LoanClassification.SUBSTANDARD, LoanClassification.DOUBTFUL, LoanClassification.LOSS]


class PoolLifecycle(RuleBasedStateMachine):
    """One pool per example, inside a savepoint rolled back at the end."""

    market: Any = None
    enrolments = Bundle("enrolments")
    claims = Bundle("claims")

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.s = build_pool_scenario(
            market=self.market, capital=D("150000.00"), max_covered_amount=D("50000000.00"), rules=RULES
        )
        self.today = timezone.localdate()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # ---- helpers ----

    def attempt(self, action: Any) -> Any:
        """Run an action; a refusal must leave everything as it was."""
        before = state(self.s.pool)
        try:
            return action()
        except DomainError:
            assert state(self.s.pool) == before
            return None

    def user_of(self, claim: Claim) -> Any:
        return self.s.head_user if claim.bank_id == self.s.market.head.pk else self.s.other_bank_user

    # ---- money in and out ----

    @rule(amount=amounts)
    def top_up(self, amount: D) -> None:
        self.attempt(lambda: pool_capital_contribute(actor=self.s.authority, pool=self.s.pool, amount=amount))

    @rule(amount=amounts)
    def interest(self, amount: D) -> None:
        self.attempt(lambda: pool_interest_record(actor=self.s.authority, pool=self.s.pool, amount=amount))

    @rule(amount=amounts)
    def withdraw_capital(self, amount: D) -> None:
        self.attempt(lambda: pool_capital_withdraw(actor=self.s.authority, pool=self.s.pool, amount=amount))

    # ---- loans ----

    def _enrol(self, amount: D, other_bank: bool, guaranteed: bool, first_time: bool, credit: bool) -> Any:
        loan = self.s.make_loan(
            lender="other_bank" if other_bank else "head", amount=amount, is_first_time=first_time, is_credit=credit
        )
        extra: dict[str, Any] = {}
        if guaranteed:
            extra = {"category": LoanCategory.GUARANTEED, "guarantor": self.s.market.guarantor}
        actor = self.s.other_bank_user if other_bank else self.s.head_user
        enrolment = self.attempt(lambda: self.s.enrol(loan, actor=actor, **extra))
        return enrolment if enrolment is not None else multiple()

    @initialize(target=enrolments, amount=loan_amounts, guaranteed=st.booleans(), first_time=st.booleans())
    def enrol_at_the_head_office(self, amount: D, guaranteed: bool, first_time: bool) -> Any:
        return self._enrol(amount, False, guaranteed, first_time, False)

    @initialize(target=enrolments, amount=loan_amounts, credit=st.booleans())
    def enrol_at_the_other_bank(self, amount: D, credit: bool) -> Any:
        return self._enrol(amount, True, False, False, credit)

    @rule(
        target=enrolments,
        amount=loan_amounts,
        other_bank=st.booleans(),
        guaranteed=st.booleans(),
        first_time=st.booleans(),
        credit=st.booleans(),
    )
    def enrol(self, amount: D, other_bank: bool, guaranteed: bool, first_time: bool, credit: bool) -> Any:
        return self._enrol(amount, other_bank, guaranteed, first_time, credit)

    @rule(enrolment=enrolments, bad=st.sampled_from(BAD + [LoanClassification.NORMAL]), left=fractions)
    def classify(self, enrolment: Enrolment, bad: str, left: D) -> None:
        self._classify(enrolment, bad, left)

    def _classify(self, enrolment: Enrolment, classification: str, left: D) -> None:
        loan = enrolment.loan
        loan.refresh_from_db()
        self.s.classify(loan, classification, (loan.amount * left).quantize(D("0.01")))

    # ---- claims ----

    def _file(self, enrolment: Enrolment, share: D, interest: str) -> Any:
        enrolment.refresh_from_db()
        loan = enrolment.loan
        loan.refresh_from_db()
        user = self.s.other_bank_user if enrolment.bank_id == self.s.market.other_bank.pk else self.s.head_user
        principal = max(D("0.01"), (loan.outstanding_balance * share).quantize(D("0.01")))
        claim = self.attempt(
            lambda: file(self.s, enrolment, actor=user, lost_principal=principal, lost_interest=interest)
        )
        return claim if claim is not None else multiple()

    @rule(target=claims, enrolment=enrolments, share=fractions, interest=st.sampled_from(["0", "1234.56"]))
    def file_claim(self, enrolment: Enrolment, share: D, interest: str) -> Any:
        return self._file(enrolment, share, interest)

    @rule(target=claims, enrolment=enrolments, bad=st.sampled_from(BAD), share=fractions, left=fractions)
    def default_and_file(self, enrolment: Enrolment, bad: str, share: D, left: D) -> Any:
        self._classify(enrolment, bad, left)
        return self._file(enrolment, share, "1234.56")

    @rule(target=claims, enrolment=enrolments, bad=st.sampled_from(BAD), share=fractions, in_part=st.booleans())
    def default_file_and_approve(self, enrolment: Enrolment, bad: str, share: D, in_part: bool) -> Any:
        """The common path in one step, so that most runs reach payouts, owed amounts and recoveries."""
        self._classify(enrolment, bad, D("1"))
        claim = self._file(enrolment, share, "1234.56")
        if isinstance(claim, Claim):
            fields: dict[str, Any] = {}
            if in_part:
                fields = {"principal": (claim.lost_principal / 2).quantize(D("0.01")), "reason": "partly"}
            self.attempt(lambda: claim_approve(actor=self.s.authority, claim=claim, **fields))
        return claim

    @rule(claim=claims)
    def approve(self, claim: Claim) -> None:
        self.attempt(lambda: claim_approve(actor=self.s.authority, claim=claim))

    @rule(claim=claims)
    def approve_in_part(self, claim: Claim) -> None:
        claim.refresh_from_db()
        principal = (claim.lost_principal / 2).quantize(D("0.01"))
        self.attempt(lambda: claim_approve(actor=self.s.authority, claim=claim, principal=principal, reason="partly"))

    @rule(claim=claims)
    def reject(self, claim: Claim) -> None:
        self.attempt(lambda: claim_reject(actor=self.s.authority, claim=claim, reason="not eligible"))

    @rule(claim=claims)
    def send_back(self, claim: Claim) -> None:
        self.attempt(lambda: claim_return(actor=self.s.authority, claim=claim, reason="more evidence"))

    @rule(claim=claims)
    def resubmit(self, claim: Claim) -> None:
        self.attempt(lambda: claim_resubmit(actor=self.user_of(claim), claim=claim))

    @rule(claim=claims)
    def withdraw(self, claim: Claim) -> None:
        self.attempt(lambda: claim_withdraw(actor=self.user_of(claim), claim=claim))

    @rule(claim=claims, amount=amounts)
    def recover(self, claim: Claim, amount: D) -> None:
        self.attempt(
            lambda: recovery_report(
                actor=self.user_of(claim), claim=claim, recovered_amount=amount, recovered_on=self.today
            )
        )

    @rule()
    def risk_check(self) -> None:
        risk_check_pool(pool=self.s.pool)

    # ---- invariants ----

    @invariant()
    def ledger_balances(self) -> None:
        pool = self.s.refresh()
        ledger_assert_invariants(pool)
        assert pool.cash_balance >= 0

    @invariant()
    def nothing_owed_while_cash_is_held(self) -> None:
        pool = self.s.refresh()
        open_owed = OwedAmount.objects.filter(pool=pool, status=OwedStatus.OPEN)
        if pool.cash_balance > 0:
            assert not open_owed.exists()
        outstanding = sum((o.amount - o.settled_amount for o in open_owed), ZERO)
        owed_on_payouts = Payout.objects.filter(pool=pool).aggregate(total=Sum("owed_amount"))["total"] or ZERO
        assert outstanding == owed_on_payouts == account_balances(pool=pool).get(Account.OWED, ZERO)

    @invariant()
    def payouts_within_caps_and_losses(self) -> None:
        payouts = list(Payout.objects.filter(pool=self.s.pool).select_related("claim__enrolment"))
        assert sum((p.amount for p in payouts), ZERO) <= POOL_CAP
        per_bank: dict[int, D] = {}
        for payout in payouts:
            assert payout.amount == payout.paid_amount + payout.owed_amount
            assert ZERO <= payout.recovered_amount <= payout.amount
            assert payout.amount <= payout.loss_principal + payout.loss_interest
            if payout.claim.enrolment.category == LoanCategory.DIRECT:
                assert payout.amount <= PER_LOAN_CAP
                assert payout.amount <= (payout.loss_principal * D("0.45")).quantize(D("0.01"))
            per_bank[payout.bank_id] = per_bank.get(payout.bank_id, ZERO) + payout.amount
        assert all(total <= PER_BANK_YEAR_CAP for total in per_bank.values())

    @invariant()
    def claims_agree_with_payouts(self) -> None:
        for claim in Claim.objects.filter(pool=self.s.pool):
            payout = Payout.objects.filter(claim=claim).first()
            if claim.status == ClaimStatus.PAID:
                assert payout is not None and payout.owed_amount == 0
            elif claim.status == ClaimStatus.APPROVED:
                assert payout is not None and payout.owed_amount > 0
            else:
                assert payout is None
        for enrolment in Enrolment.objects.filter(pool=self.s.pool):
            open_claims = enrolment.claims.exclude(status=ClaimStatus.WITHDRAWN).count()
            assert open_claims <= 1
            compensated = Payout.objects.filter(claim__enrolment=enrolment).exists()
            assert compensated == (enrolment.status == EnrolmentStatus.COMPENSATED)


def test_the_pool_lifecycle_keeps_its_books_whatever_the_order_of_events():
    PoolLifecycle.market = build_market()
    run_state_machine_as_test(
        PoolLifecycle,
        settings=settings(
            max_examples=20,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
