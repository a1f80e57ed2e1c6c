"""Claims: filing with evidence, review (approve, in part, reject, return, resubmit, withdraw), payouts by the
rule version with their arithmetic, owed amounts settled oldest first, and every refusal changing nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from finbridge.accounts.choices import Role
from finbridge.audit.models import AuditEvent
from finbridge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from finbridge.financing.choices import LoanClassification
from finbridge.notifications.models import Notification
from finbridge.riskpool import notices
from finbridge.riskpool.choices import (
    Account,
    ClaimAction,
    ClaimDecision,
    ClaimStatus,
    EnrolmentStatus,
    EntryKind,
    OwedStatus,
    ReleaseReason,
)
from finbridge.riskpool.models import Claim, ClaimDocument, JournalEntry, OwedAmount, Payout
from finbridge.riskpool.selectors.ledger import ledger_assert_invariants
from finbridge.riskpool.services.claims import (
    EVIDENCE_MAX_BYTES,
    Evidence,
    claim_approve,
    claim_document_add,
    claim_file_for_loan,
    claim_reject,
    claim_resubmit,
    claim_return,
    claim_withdraw,
    evidence_from_upload,
)
from finbridge.riskpool.services.enrolment import enrolment_release
from finbridge.riskpool.services.pools import pool_capital_contribute, pool_interest_record
from finbridge.riskpool.tests.claim_helpers import PNG, approve, defaulted, file, pdf, state
from finbridge.riskpool.tests.setup import build_pool_scenario

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = timezone.localdate


@pytest.fixture
def s():
    return build_pool_scenario()


# ---- filing -------------------------------------------------------------------------------------------


def test_a_bank_files_a_claim_with_evidence(s):
    enrolment = defaulted(s)
    claim = file(
        s,
        enrolment,
        lost_principal="800000.00",
        lost_interest="12000.50",
        description="逾期90天",
        documents=[pdf(), Evidence("classification", "分类证明.png", PNG)],
    )
    assert claim.status == ClaimStatus.SUBMITTED
    assert claim.reference == f"RP{s.pool.pk}-{TODAY().year}-0001"
    assert (claim.lost_principal, claim.lost_interest) == (D("800000.00"), D("12000.50"))
    assert claim.bank == s.market.head and claim.rule_version == s.version
    assert claim.loan_classification == LoanClassification.SUBSTANDARD
    documents = list(claim.documents.order_by("id"))
    assert [(d.kind, d.name, d.size) for d in documents] == [
        ("loan_contract", "contract.pdf", len(pdf().content)),
        ("classification", "分类证明.png", len(PNG)),
    ]
    assert documents[0].file.read() == pdf().content
    assert documents[0].file.name.startswith(f"riskpool/claims/{claim.pk}/")
    assert list(claim.events.values_list("action", flat=True)) == [ClaimAction.SUBMIT]
    assert AuditEvent.objects.filter(action="riskpool.claim_file", object_id=str(claim.pk)).exists()
    told = Notification.objects.filter(kind=notices.CLAIM_SUBMITTED, organization=s.market.district)
    assert told.exists()


def test_a_branch_files_on_its_head_offices_loan_and_references_count_up(s):
    first = file(s, defaulted(s, lender="branch"), actor=s.branch_user)
    second = file(s, defaulted(s, lender="scitech"), actor=s.market.scitech_user)
    assert first.bank == s.market.head
    assert second.reference.endswith("-0002")


def test_claim_through_the_loan(s):
    enrolment = defaulted(s)
    claim = claim_file_for_loan(
        actor=s.head_user, loan=enrolment.loan, lost_principal="1000", defaulted_on=TODAY(), documents=[pdf()]
    )
    assert claim.enrolment == enrolment


def test_a_loan_never_enrolled_is_not_covered(s):
    loan = s.make_loan(classification=LoanClassification.DOUBTFUL)
    before = state(s.pool)
    with pytest.raises(ValidationFailed) as error:
        claim_file_for_loan(
            actor=s.head_user, loan=loan, lost_principal="1000", defaulted_on=TODAY(), documents=[pdf()]
        )
    assert error.value.code == "loan_not_covered"
    assert state(s.pool) == before


def test_a_released_loan_is_not_covered(s):
    enrolment = defaulted(s)
    enrolment_release(actor=s.head_user, enrolment=enrolment, reason=ReleaseReason.WITHDRAWN)
    enrolment.refresh_from_db()
    before = state(s.pool)
    with pytest.raises(ValidationFailed) as error:
        file(s, enrolment)
    assert error.value.code == "loan_not_covered"
    assert "Released" in error.value.message
    assert state(s.pool) == before


def test_a_performing_loan_cannot_be_claimed(s):
    enrolment = s.enrol(s.make_loan())
    s.classify(enrolment.loan, LoanClassification.SPECIAL_MENTION)
    before = state(s.pool)
    with pytest.raises(ValidationFailed) as error:
        file(s, enrolment)
    assert error.value.code == "loan_performing"
    assert state(s.pool) == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"lost_principal": "1000000.01"}, "lost_principal"),  # above the outstanding balance: above the loss
        ({"lost_principal": "0"}, "lost_principal"),
        ({"lost_principal": "12.345"}, "lost_principal"),
        ({"lost_principal": "lots"}, "lost_principal"),
        ({"lost_interest": "-1"}, "lost_interest"),
        ({"defaulted_on": "2026-02-30"}, "defaulted_on"),
        ({"defaulted_on": None}, "defaulted_on"),
        ({"documents": []}, "documents"),
        ({"documents": [Evidence("loan_contract", "contract.exe", b"MZ")]}, "documents"),
        ({"documents": [Evidence("loan_contract", "contract.pdf", b"not a pdf")]}, "documents"),
        ({"documents": [Evidence("loan_contract", "contract.pdf", b"")]}, "documents"),
        ({"documents": [Evidence("selfie", "contract.pdf", b"%PDF")]}, "documents"),
        ({"documents": [Evidence("loan_contract", "", b"%PDF")]}, "documents"),
        ({"documents": ["contract.pdf"]}, "documents"),
        ({"documents": [Evidence("loan_contract", "big.pdf", b"%PDF" + b"0" * EVIDENCE_MAX_BYTES)]}, "documents"),
        ({"documents": [pdf()] * 21}, "documents"),
        ({"description": "x" * 4001}, "description"),
    ],
)
def test_bad_claims_change_nothing(s, fields, field):
    enrolment = defaulted(s)
    before = state(s.pool)
    with pytest.raises(ValidationFailed) as error:
        file(s, enrolment, **fields)
    assert field in error.value.fields, error.value.fields
    assert state(s.pool) == before


def test_dates_of_the_default(s):
    enrolment = defaulted(s)
    before = state(s.pool)
    with pytest.raises(ValidationFailed) as error:
        file(s, enrolment, defaulted_on=TODAY() + datetime.timedelta(days=1))
    assert error.value.fields["defaulted_on"] == ["The loan cannot have become non-performing after today."]
    with pytest.raises(ValidationFailed) as error:
        file(s, enrolment, defaulted_on=enrolment.enrolled_on - datetime.timedelta(days=1))
    assert "enrolled" in error.value.fields["defaulted_on"][0]
    assert state(s.pool) == before


def test_who_may_file(s):
    enrolment = defaulted(s)
    before = state(s.pool)
    with pytest.raises(NotFound):
        file(s, enrolment, actor=s.other_bank_user)
    with pytest.raises(NotFound):
        file(s, enrolment, actor=s.authority)
    with pytest.raises(NotFound):
        file(s, enrolment, actor=s.market.guarantor_user)
    with pytest.raises(PermissionDenied):
        file(s, enrolment, actor=s.market.member("head", Role.VIEWER))
    assert state(s.pool) == before


def test_a_second_claim_on_the_same_default_is_refused(s):
    enrolment = defaulted(s)
    first = file(s, enrolment)
    before = state(s.pool)
    with pytest.raises(Conflict) as error:
        file(s, enrolment)
    assert error.value.code == "claim_exists"
    assert first.reference in error.value.message
    assert state(s.pool) == before


def test_after_a_withdrawal_the_default_can_be_claimed_again(s):
    enrolment = defaulted(s)
    first = file(s, enrolment, lost_principal="900000")
    claim_withdraw(actor=s.head_user, claim=first, reason="wrong amount")
    first.refresh_from_db()
    assert first.status == ClaimStatus.WITHDRAWN
    assert Notification.objects.filter(kind=notices.CLAIM_WITHDRAWN).exists()
    second = file(s, enrolment, lost_principal="950000")
    assert second.status == ClaimStatus.SUBMITTED


def test_only_the_bank_withdraws_and_only_open_claims(s):
    claim = file(s, defaulted(s))
    with pytest.raises(NotFound):
        claim_withdraw(actor=s.authority, claim=claim)
    approve(s, claim)
    before = state(s.pool)
    with pytest.raises(Conflict) as error:
        claim_withdraw(actor=s.head_user, claim=claim)
    assert error.value.code == "invalid_transition"
    assert state(s.pool) == before


def test_evidence_from_an_upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("催收记录.pdf", b"%PDF-1.4 data", content_type="application/pdf")
    evidence = evidence_from_upload("collection", upload)
    assert evidence == Evidence("collection", "催收记录.pdf", b"%PDF-1.4 data")


def test_documents_added_while_open_only(s):
    claim = file(s, defaulted(s))
    added = claim_document_add(actor=s.head_user, claim=claim, documents=[pdf("court.pdf", "legal")])
    assert [d.name for d in added] == ["court.pdf"]
    assert claim.documents.count() == 2
    with pytest.raises(NotFound):
        claim_document_add(actor=s.other_bank_user, claim=claim, documents=[pdf()])
    with pytest.raises(ValidationFailed):
        claim_document_add(actor=s.head_user, claim=claim, documents=[])
    approve(s, claim)
    before = state(s.pool)
    with pytest.raises(Conflict) as error:
        claim_document_add(actor=s.head_user, claim=claim, documents=[pdf()])
    assert error.value.code == "claim_closed"
    assert state(s.pool) == before


# ---- approval -----------------------------------------------------------------------------------------


def test_approval_pays_by_the_rule_version_and_shows_the_arithmetic(s):
    enrolment = defaulted(s)
    claim = file(s, enrolment, lost_principal="1000000.00", lost_interest="5000.00")
    payout = approve(s, claim)
    # Pingshan preset, direct loan without features: 30% of the lost principal (interest not covered)
    assert payout.amount == payout.paid_amount == D("300000.00")
    assert payout.owed_amount == 0
    assert (payout.loss_principal, payout.loss_interest) == (D("1000000.00"), D("5000.00"))
    assert payout.breakdown["rule_version"] == {"id": s.version.pk, "number": 1}
    assert payout.breakdown["steps"][0] == {
        "code": "rule_version",
        "params": {"number": 1, "effective_from": s.version.effective_from.isoformat()},
    }
    assert payout.breakdown["amounts"]["bank"] == "700000.00"
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID and claim.decision == ClaimDecision.APPROVE
    assert (claim.approved_principal, claim.approved_interest) == (D("1000000.00"), D("5000.00"))
    assert list(claim.events.values_list("action", flat=True)) == [
        ClaimAction.SUBMIT,
        ClaimAction.APPROVE,
        ClaimAction.PAY,
    ]
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.COMPENSATED
    pool = s.refresh()
    assert pool.cash_balance == D("9700000.00")
    assert pool.covered_balance == 0
    entry = payout.entry
    assert entry.kind == EntryKind.PAYOUT and entry.claim == claim
    assert sorted((line.account, line.debit, line.credit) for line in entry.lines.all()) == [
        (Account.CASH, D("0"), D("300000.00")),
        (Account.PAYOUTS, D("300000.00"), D("0")),
    ]
    ledger_assert_invariants(pool)
    assert Notification.objects.filter(kind=notices.CLAIM_APPROVED, organization=s.market.head).exists()


def test_uplifts_fixed_at_enrolment_apply(s):
    enrolment = defaulted(s, is_first_time=True, is_credit=True, is_tech_enterprise=True)
    payout = approve(s, file(s, enrolment, lost_principal="500000.00"))
    # 30% + 10 + 10 + 10 points limited to 20: 50% of 500,000 = 250,000 (the 50%-of-principal cap)
    assert payout.amount == D("250000.00")


def test_approval_in_part_needs_a_reason_and_pays_on_what_is_accepted(s):
    claim = file(s, defaulted(s), lost_principal="1000000.00", lost_interest="8000.00")
    before = state(s.pool)
    with pytest.raises(ValidationFailed) as error:
        claim_approve(actor=s.authority, claim=claim, principal="600000.00")
    assert error.value.fields == {"reason": ["Give the reason."]}
    assert state(s.pool) == before
    payout = claim_approve(actor=s.authority, claim=claim, principal="600000.00", reason="collateral sold for 400,000")
    assert payout.amount == D("180000.00")  # 30% of 600,000
    claim.refresh_from_db()
    assert claim.decision == ClaimDecision.APPROVE_IN_PART
    assert claim.decision_reason == "collateral sold for 400,000"
    assert (claim.approved_principal, claim.approved_interest) == (D("600000.00"), D("8000.00"))
    assert Notification.objects.filter(kind=notices.CLAIM_APPROVED_IN_PART).exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"principal": "1000000.01"}, "principal"),
        ({"interest": "0.01"}, "interest"),
        ({"principal": "-5"}, "principal"),
        ({"principal": "abc"}, "principal"),
        ({"reason": "x" * 2001}, "reason"),
    ],
)
def test_bad_approvals_change_nothing(s, fields, field):
    claim = file(s, defaulted(s))
    before = state(s.pool)
    with pytest.raises(ValidationFailed) as error:
        claim_approve(actor=s.authority, claim=claim, **fields)
    assert field in error.value.fields
    assert state(s.pool) == before


def test_a_claim_is_approved_once(s):
    claim = file(s, defaulted(s))
    approve(s, claim)
    before = state(s.pool)
    with pytest.raises(Conflict) as error:
        approve(s, claim)
    assert error.value.code == "claim_already_approved"
    with pytest.raises(Conflict):
        claim_reject(actor=s.authority, claim=claim, reason="changed my mind")
    assert state(s.pool) == before
    assert Payout.objects.filter(claim=claim).count() == 1


def test_only_the_authority_reviews(s):
    claim = file(s, defaulted(s))
    before = state(s.pool)
    for actor in (s.head_user, s.other_bank_user, s.market.so_s1_user, s.market.member("district", Role.VIEWER)):
        with pytest.raises(PermissionDenied):
            claim_approve(actor=actor, claim=claim)
        with pytest.raises(PermissionDenied):
            claim_reject(actor=actor, claim=claim, reason="no")
    assert state(s.pool) == before


def test_a_loan_performing_again_cannot_be_approved(s):
    claim = file(s, defaulted(s))
    s.classify(claim.enrolment.loan, LoanClassification.NORMAL)
    before = state(s.pool)
    with pytest.raises(ValidationFailed) as error:
        approve(s, claim)
    assert error.value.code == "loan_performing"
    assert state(s.pool) == before


# ---- reject, return, resubmit -------------------------------------------------------------------------


def test_rejection_needs_a_reason_and_is_final(s):
    enrolment = defaulted(s)
    claim = file(s, enrolment)
    before = state(s.pool)
    with pytest.raises(ValidationFailed):
        claim_reject(actor=s.authority, claim=claim, reason="  ")
    assert state(s.pool) == before
    claim_reject(actor=s.authority, claim=claim, reason="not eligible: real-estate")
    claim.refresh_from_db()
    assert (claim.status, claim.decision, claim.decision_reason) == (
        ClaimStatus.REJECTED,
        ClaimDecision.REJECT,
        "not eligible: real-estate",
    )
    assert Notification.objects.filter(kind=notices.CLAIM_REJECTED, organization=s.market.head).exists()
    with pytest.raises(Conflict) as error:
        file(s, enrolment)
    assert error.value.code == "claim_exists"
    with pytest.raises(Conflict):
        approve(s, claim)
    assert s.refresh().cash_balance == D("10000000.00")


def test_return_and_resubmit_with_more_evidence_and_a_new_amount(s):
    enrolment = defaulted(s, lender="branch")
    claim = file(s, enrolment, actor=s.branch_user, lost_principal="1000000")
    claim_return(actor=s.authority, claim=claim, reason="attach the court ruling")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.RETURNED
    told = Notification.objects.filter(kind=notices.CLAIM_RETURNED)
    assert {n.organization for n in told} == {s.market.head, s.market.branch}
    with pytest.raises(ValidationFailed):
        claim_resubmit(actor=s.branch_user, claim=claim, lost_principal="2000000")  # above the outstanding balance
    resubmitted = claim_resubmit(
        actor=s.branch_user, claim=claim, lost_principal="900000", documents=[pdf("ruling.pdf", "legal")]
    )
    assert resubmitted.status == ClaimStatus.SUBMITTED
    assert resubmitted.lost_principal == D("900000.00")
    assert claim.documents.count() == 2
    assert Notification.objects.filter(kind=notices.CLAIM_RESUBMITTED).exists()
    assert approve(s, resubmitted).amount == D("270000.00")


def test_resubmit_only_a_returned_claim_of_ones_own(s):
    claim = file(s, defaulted(s))
    before = state(s.pool)
    with pytest.raises(Conflict) as error:
        claim_resubmit(actor=s.head_user, claim=claim)
    assert error.value.code == "invalid_transition"
    claim_return(actor=s.authority, claim=claim, reason="more")
    with pytest.raises(NotFound):
        claim_resubmit(actor=s.other_bank_user, claim=claim)
    with pytest.raises(ValidationFailed):
        claim_return(actor=s.authority, claim=claim, reason="")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.RETURNED
    assert state(s.pool)["counts"][0] == before["counts"][0]


# ---- owed amounts -------------------------------------------------------------------------------------


@pytest.fixture
def poor():
    """A pool with 200,000.00 of capital (capacity 2,000,000.00)."""
    return build_pool_scenario(capital=D("200000.00"))


def test_what_the_pool_cannot_pay_is_owed_and_settled_when_money_comes_in(poor):
    s = poor
    claim = file(s, defaulted(s))
    payout = approve(s, claim)  # 300,000 due, 200,000 in cash
    assert (payout.amount, payout.paid_amount, payout.owed_amount) == (D("300000.00"), D("200000.00"), D("100000.00"))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED
    owed = OwedAmount.objects.get(payout=payout)
    assert (owed.amount, owed.status) == (D("100000.00"), OwedStatus.OPEN)
    pool = s.refresh()
    assert pool.cash_balance == 0
    ledger_assert_invariants(pool)

    pool_interest_record(actor=s.authority, pool=s.pool, amount="30000.00")
    owed.refresh_from_db()
    payout.refresh_from_db()
    assert (owed.settled_amount, owed.status) == (D("30000.00"), OwedStatus.OPEN)
    assert (payout.paid_amount, payout.owed_amount) == (D("230000.00"), D("70000.00"))
    assert s.refresh().cash_balance == 0

    pool_capital_contribute(actor=s.authority, pool=s.pool, amount="100000.00")
    owed.refresh_from_db()
    payout.refresh_from_db()
    claim.refresh_from_db()
    assert (owed.settled_amount, owed.status) == (D("100000.00"), OwedStatus.SETTLED)
    assert (payout.paid_amount, payout.owed_amount) == (D("300000.00"), D("0.00"))
    assert claim.status == ClaimStatus.PAID
    assert s.refresh().cash_balance == D("30000.00")
    assert [e.kind for e in JournalEntry.objects.filter(pool=s.pool).order_by("number")] == [
        EntryKind.CAPITAL,
        EntryKind.PAYOUT,
        EntryKind.INTEREST,
        EntryKind.SETTLEMENT,
        EntryKind.TOP_UP,
        EntryKind.SETTLEMENT,
    ]
    assert list(claim.events.values_list("action", flat=True)).count(ClaimAction.SETTLE) == 2
    assert Notification.objects.filter(kind=notices.OWED_SETTLED).count() >= 2
    ledger_assert_invariants(s.refresh())


def test_owed_amounts_are_settled_oldest_first(poor):
    s = poor
    first = approve(s, file(s, defaulted(s)))  # 300,000: 200,000 paid, 100,000 owed
    other_loan = s.make_loan(lender="other_bank", amount=D("500000.00"))
    other = s.enrol(other_loan, actor=s.other_bank_user)
    s.classify(other_loan, LoanClassification.LOSS)
    second = approve(s, file(s, other, actor=s.other_bank_user))  # 150,000, all owed (no cash)
    assert (second.paid_amount, second.owed_amount) == (D("0.00"), D("150000.00"))
    pool_capital_contribute(actor=s.authority, pool=s.pool, amount="120000.00")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.owed_amount == 0  # the older one first, in full
    assert (second.paid_amount, second.owed_amount) == (D("20000.00"), D("130000.00"))
    assert [o.status for o in OwedAmount.objects.order_by("id")] == [OwedStatus.SETTLED, OwedStatus.OPEN]
    ledger_assert_invariants(s.refresh())


def test_a_payout_when_caps_are_used_up_is_zero_and_posts_nothing():
    rules = {
        "categories": [{"category": "direct", "shares": {"pool": "0.3", "bank": "0.7"}}],
        "pool_cap": "100000.00",
    }
    s = build_pool_scenario(rules=rules)
    first = approve(s, file(s, defaulted(s)))
    assert first.amount == D("100000.00")
    assert first.breakdown["bound_by"] == ["pool"]
    second_claim = file(s, defaulted(s))
    second = approve(s, second_claim)
    assert (second.amount, second.entry) == (D("0.00"), None)
    second_claim.refresh_from_db()
    assert second_claim.status == ClaimStatus.PAID
    assert s.refresh().cash_balance == D("9900000.00")
    ledger_assert_invariants(s.refresh())


def test_the_claim_keeps_its_rule_version_after_a_new_one(s):
    from finbridge.riskpool.services.rules import rule_version_create

    claim = file(s, defaulted(s))
    rule_version_create(
        actor=s.authority,
        pool=s.pool,
        effective_from=TODAY(),
        rules={"categories": [{"category": "direct", "shares": {"pool": "0.8", "bank": "0.2"}}]},
    )
    assert approve(s, claim).amount == D("300000.00")
    assert Claim.objects.get(pk=claim.pk).rule_version == s.version
    assert ClaimDocument.objects.filter(claim=claim).count() == 1


def test_a_payout_paid_and_owed_to_the_fen():
    """Amounts split between paid and owed are exact to the fen on every database (0.30 = 0.10 + 0.20)."""
    s = build_pool_scenario(capital=D("0.10"), max_covered_amount=D("50000000.00"))
    claim = file(s, defaulted(s, amount="1.00"))
    payout = approve(s, claim)
    assert (payout.amount, payout.paid_amount, payout.owed_amount) == (D("0.30"), D("0.10"), D("0.20"))
    pool_interest_record(actor=s.authority, pool=s.pool, amount="0.07")
    payout.refresh_from_db()
    assert (payout.paid_amount, payout.owed_amount) == (D("0.17"), D("0.13"))
    ledger_assert_invariants(s.refresh())
