"""Who sees which claims, payouts (with their arithmetic), owed amounts and recoveries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from finbridge.core.errors import NotFound
from finbridge.financing.choices import LoanClassification
from finbridge.riskpool.choices import ClaimStatus, LoanCategory
from finbridge.riskpool.selectors.claims import (
    claim_actions,
    claim_document_get,
    claim_documents,
    claim_events,
    claim_get,
    claim_list,
    claim_payout,
    claim_payout_preview,
    claim_totals,
    owed_queue,
    payout_list,
    recovery_list,
    recovery_steps,
)
from finbridge.riskpool.services.claims import claim_return
from finbridge.riskpool.services.recoveries import recovery_report
from finbridge.riskpool.tests.claim_helpers import approve, defaulted, file
from finbridge.riskpool.tests.setup import build_pool_scenario

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def s():
    return build_pool_scenario()


@pytest.fixture
def claims(s):
    head = file(s, defaulted(s, lender="branch"), actor=s.branch_user)
    loan = s.make_loan(lender="other_bank")
    guaranteed = s.enrol(loan, actor=s.other_bank_user, category=LoanCategory.GUARANTEED, guarantor=s.market.guarantor)
    s.classify(loan, LoanClassification.LOSS)
    other = file(s, guaranteed, actor=s.other_bank_user)
    return head, other


def test_visibility(s, claims):
    head, other = claims
    assert set(claim_list(actor=s.authority)) == {head, other}
    assert list(claim_list(actor=s.head_user)) == [head]
    assert list(claim_list(actor=s.branch_user)) == [head]
    assert list(claim_list(actor=s.other_bank_user)) == [other]
    assert list(claim_list(actor=s.market.guarantor_user)) == [other]  # it guarantees that loan
    assert list(claim_list(actor=s.market.insurer_user)) == []
    assert list(claim_list(actor=s.market.so_s1_user)) == []
    assert list(claim_list(actor=s.market.firm_user)) == []
    with pytest.raises(NotFound):
        claim_get(actor=s.other_bank_user, pk=head.pk)
    with pytest.raises(NotFound):
        claim_get(actor=s.head_user, pk="nonsense")
    assert claim_get(actor=s.head_user, pk=head.pk) == head
    assert list(claim_list(actor=s.authority, status=ClaimStatus.SUBMITTED, bank=s.market.other_bank)) == [other]


def test_documents_and_timeline(s, claims):
    head, _other = claims
    document = claim_documents(actor=s.head_user, claim=head).get()
    assert claim_document_get(actor=s.authority, pk=document.pk) == document
    with pytest.raises(NotFound):
        claim_document_get(actor=s.other_bank_user, pk=document.pk)
    with pytest.raises(NotFound):
        claim_documents(actor=s.other_bank_user, claim=head)
    assert [e.action for e in claim_events(actor=s.head_user, claim=head)] == ["submit"]


def test_payout_with_its_arithmetic_in_both_languages(s, claims):
    head, _other = claims
    assert claim_payout(actor=s.head_user, claim=head) is None
    preview = claim_payout_preview(actor=s.authority, claim=head)
    assert preview.payout == D("300000.00")
    with pytest.raises(NotFound):
        claim_payout_preview(actor=s.head_user, claim=head)
    approve(s, head)
    view = claim_payout(actor=s.head_user, claim=head)
    assert view.payout.amount == D("300000.00") and view.rule_version["number"] == 1
    assert view.steps[-2]["message"] == "The pool pays 300,000.00 yuan."
    with translation.override("zh-hans"):
        assert all(step["message"] for step in claim_payout(actor=s.authority, claim=head).steps)
    assert list(payout_list(actor=s.head_user)) == [view.payout]
    assert list(payout_list(actor=s.other_bank_user)) == []


def test_owed_queue_recoveries_and_totals():
    s = build_pool_scenario(capital=D("100000.00"))
    claim = file(s, defaulted(s))
    approve(s, claim)  # 300,000 due: 100,000 paid, 200,000 owed
    assert [o.outstanding for o in owed_queue(actor=s.authority, pool=s.pool)] == [D("200000.00")]
    assert list(owed_queue(actor=s.other_bank_user, pool=s.pool)) == []
    recovery_report(actor=s.head_user, claim=claim, recovered_amount="10000", recovered_on=claim.defaulted_on)
    recovery = recovery_list(actor=s.head_user, pool=s.pool).get()
    assert recovery.pool_amount == D("3000.00")
    assert recovery_steps(recovery)[0]["message"] == "Recovered after the payout: 10,000.00 yuan."
    assert list(recovery_list(actor=s.other_bank_user)) == []
    totals = claim_totals(actor=s.authority, pool=s.pool)
    assert totals.by_status[ClaimStatus.APPROVED] == 1
    assert (totals.claimed, totals.granted, totals.paid, totals.owed, totals.recovered_to_pool) == (
        D("1000000.00"),
        D("300000.00"),
        D("103000.00"),
        D("197000.00"),
        D("3000.00"),
    )


def test_claim_actions(s, claims):
    head, other = claims
    assert claim_actions(actor=s.authority, claim=head) == {"approve", "reject", "return"}
    assert claim_actions(actor=s.head_user, claim=head) == {"withdraw", "add_documents"}
    assert claim_actions(actor=s.other_bank_user, claim=head) == frozenset()
    claim_return(actor=s.authority, claim=head, reason="more")
    head.refresh_from_db()
    assert claim_actions(actor=s.branch_user, claim=head) == {"resubmit", "withdraw", "add_documents"}
    assert claim_actions(actor=s.authority, claim=head) == frozenset()
    approve(s, other)
    other.refresh_from_db()
    assert claim_actions(actor=s.other_bank_user, claim=other) == {"report_recovery"}
