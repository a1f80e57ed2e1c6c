"""The per-bank risk table and the non-performing ratio that drives suspension."""

from __future__ import annotations

from decimal import Decimal

import pytest

from finbridge.core.errors import NotFound
from finbridge.financing.choices import LoanClassification
from finbridge.riskpool.selectors.risk import bank_npl_ratio, bank_npl_ratios, bank_risk_row, bank_risk_table
from finbridge.riskpool.services.members import member_suspend
from finbridge.riskpool.tests.claim_helpers import approve, defaulted, file
from finbridge.riskpool.tests.setup import build_pool_scenario

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def s():
    s = build_pool_scenario()
    for _ in range(3):
        s.enrol(s.make_loan())
    s.enrol(s.make_loan(lender="other_bank", amount=D("500000.00")), actor=s.other_bank_user)
    return s


def test_npl_ratio_is_the_non_performing_share_of_covered_outstanding(s):
    assert bank_npl_ratio(pool=s.pool, bank=s.market.head) == 0
    loan = s.pool.enrolments.filter(bank=s.market.head).first().loan
    s.classify(loan, LoanClassification.DOUBTFUL)
    assert bank_npl_ratio(pool=s.pool, bank=s.market.head) == D("0.333333")
    s.classify(loan, LoanClassification.SPECIAL_MENTION)  # special mention is still performing
    assert bank_npl_ratio(pool=s.pool, bank=s.market.head) == 0
    assert bank_npl_ratio(pool=s.pool, bank=s.market.scitech) == 0  # nothing covered
    assert bank_npl_ratios(pool=s.pool) == {s.market.head.pk: 0, s.market.other_bank.pk: 0}


def test_risk_table_for_the_authority(s):
    loan = s.pool.enrolments.filter(bank=s.market.head).first().loan
    s.classify(loan, LoanClassification.SUBSTANDARD, outstanding=D("800000.00"))
    compensated = defaulted(s, amount="400000.00")
    approve(s, file(s, compensated))  # 30% of 400,000 = 120,000
    member_suspend(actor=s.authority, member=s.other_member, note="x")
    rows = {row.bank: row for row in bank_risk_table(actor=s.authority, pool=s.pool)}
    head, other = rows[s.market.head], rows[s.market.other_bank]
    assert (head.loans, head.covered_balance, head.outstanding) == (3, D("3000000.00"), D("2800000.00"))
    assert (head.npl_loans, head.npl_outstanding, head.npl_ratio) == (1, D("800000.00"), D("0.285714"))
    assert head.above_threshold
    assert (head.claims, head.open_claims, head.loss_claimed) == (1, 0, D("400000.00"))
    assert (head.compensation, head.compensation_paid, head.compensation_owed) == (D("120000.00"), D("120000.00"), 0)
    assert head.enrolled_total == D("3400000.00")
    assert head.compensation_ratio == D("0.035294")  # 120,000 / 3,400,000
    assert head.loss_share_compensated == D("0.300000")
    assert other.is_suspended and other.npl_ratio == 0 and other.claims == 0


def test_a_bank_sees_its_own_row_only(s):
    rows = bank_risk_table(actor=s.head_user, pool=s.pool)
    assert [row.bank for row in rows] == [s.market.head]
    assert bank_risk_row(actor=s.branch_user, pool=s.pool, bank=s.market.head).loans == 3
    with pytest.raises(NotFound):
        bank_risk_row(actor=s.head_user, pool=s.pool, bank=s.market.other_bank)
    with pytest.raises(NotFound):
        bank_risk_table(actor=s.market.firm_user, pool=s.pool)
