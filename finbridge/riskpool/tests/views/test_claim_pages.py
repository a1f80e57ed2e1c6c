"""Pages of claims: filing with evidence, the claim with its review (preview, approve, in part, reject, return),
the payout with the rule version and arithmetic, more evidence, resubmission, withdrawal, recoveries, owed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from finbridge.riskpool.choices import ClaimStatus
from finbridge.riskpool.models import Claim, Payout, Recovery
from finbridge.riskpool.tests.api.support import PDF, bad_loan, outsider_bank_user, paid_claim, state, submitted_claim
from finbridge.riskpool.tests.setup import build_pool_scenario

pytestmark = pytest.mark.django_db


def _pdf(name="evidence.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _claim_form(**overrides):
    data = {
        "lost_principal": "300,000.00",
        "lost_interest": "0",
        "defaulted_on": timezone.localdate().isoformat(),
        "description": "逾期九十天",
        "document_kind": "collection",
        "documents": [_pdf()],
    }
    data.update(overrides)
    return data


def test_file_a_claim(as_user, scenario):
    enrolment = bad_loan(scenario)
    client = as_user(scenario.head_user)
    url = reverse("riskpool:claim-file", args=[enrolment.pk])
    assert 'data-testid="claim-form"' in client.get(url).content.decode()
    response = client.post(url, _claim_form())
    assert response.status_code == 302
    claim = Claim.objects.get()
    assert claim.lost_principal == Decimal("300000.00") and claim.documents.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"lost_principal": "9,000,000"}, "lost_principal"),
        ({"lost_principal": "abc"}, "lost_principal"),
        ({"defaulted_on": "2999-01-01"}, "defaulted_on"),
        ({"documents": []}, "documents"),
        ({"documents": [_pdf("virus.exe", b"MZ")]}, "documents"),
    ],
)
def test_bad_claims_show_the_error_next_to_the_field(as_user, scenario, overrides, field):
    enrolment = bad_loan(scenario)
    data = _claim_form(**overrides)
    if not data["documents"]:
        del data["documents"]
    before = state()
    response = as_user(scenario.head_user).post(reverse("riskpool:claim-file", args=[enrolment.pk]), data)
    assert response.status_code == 400
    assert f'data-testid="error-{field}"' in response.content.decode()
    assert state() == before


def test_only_the_bank_files_claims_on_its_loans(as_user, scenario):
    enrolment = bad_loan(scenario)
    url = reverse("riskpool:claim-file", args=[enrolment.pk])
    assert as_user(scenario.authority).get(url).status_code == 403
    assert as_user(scenario.other_bank_user).get(url).status_code == 404
    before = state()
    assert as_user(scenario.other_bank_user).post(url, _claim_form()).status_code == 404
    assert state() == before


def test_the_authority_reviews_with_a_preview_and_approves(as_user, scenario):
    claim = submitted_claim(scenario, principal="500000.00")
    client = as_user(scenario.authority)
    detail = client.get(reverse("riskpool:claim-detail", args=[claim.pk])).content.decode()
    assert 'data-testid="review-form"' in detail and 'data-testid="payout-preview"' in detail
    assert "150,000.00" in detail
    preview = client.get(reverse("riskpool:claim-preview", args=[claim.pk]), {"principal": "100,000"})
    assert preview.status_code == 200 and "30,000.00" in preview.content.decode()
    bad_preview = client.get(reverse("riskpool:claim-preview", args=[claim.pk]), {"principal": "x"})
    assert bad_preview.status_code == 400
    assert Payout.objects.count() == 0
    response = client.post(reverse("riskpool:claim-review", args=[claim.pk]), {"decision": "approve"})
    assert response.status_code == 302
    page = client.get(reverse("riskpool:claim-detail", args=[claim.pk])).content.decode()
    assert 'data-testid="payout"' in page and 'data-testid="breakdown-steps"' in page
    assert 'data-testid="payout-version"' in page and 'data-testid="review-form"' not in page
    before = state()
    twice = client.post(reverse("riskpool:claim-review", args=[claim.pk]), {"decision": "approve"})
    assert twice.status_code == 409
    assert state() == before


@pytest.mark.parametrize(
    ("data", "marker"),
    [
        ({"decision": "approve_in_part", "principal": "200000"}, 'data-testid="error-reason"'),
        ({"decision": "approve_in_part", "principal": "900000", "reason": "x"}, 'data-testid="error-principal"'),
        ({"decision": "reject", "reason": ""}, 'data-testid="error-reason"'),
        ({"decision": "return", "reason": ""}, 'data-testid="error-reason"'),
        ({"decision": "maybe"}, 'data-testid="error-decision"'),
    ],
)
def test_bad_decisions_change_nothing(as_user, scenario, data, marker):
    claim = submitted_claim(scenario)
    before = state()
    response = as_user(scenario.authority).post(reverse("riskpool:claim-review", args=[claim.pk]), data)
    assert response.status_code == 400
    assert marker in response.content.decode()
    assert state() == before


def test_approve_in_part_return_and_reject(as_user, scenario):
    claim = submitted_claim(scenario, principal="500000.00")
    client = as_user(scenario.authority)
    review = reverse("riskpool:claim-review", args=[claim.pk])
    assert client.post(review, {"decision": "return", "reason": "补充材料"}).status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.RETURNED
    bank = as_user(scenario.head_user)
    detail = bank.get(reverse("riskpool:claim-detail", args=[claim.pk])).content.decode()
    assert 'data-testid="resubmit-form"' in detail
    more = bank.post(
        reverse("riskpool:claim-documents", args=[claim.pk]),
        {"more-document_kind": "legal", "more-documents": [_pdf("court.pdf")]},
    )
    assert more.status_code == 302 and claim.documents.count() == 2
    again = bank.post(
        reverse("riskpool:claim-resubmit", args=[claim.pk]),
        {
            "again-lost_principal": "400,000.00",
            "again-lost_interest": "",
            "again-defaulted_on": "",
            "again-description": "",
            "again-document_kind": "other",
        },
    )
    assert again.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED and claim.lost_principal == Decimal("400000.00")
    client = as_user(scenario.authority)
    partial = client.post(
        review, {"decision": "approve_in_part", "principal": "200,000", "interest": "", "reason": "部分"}
    )
    assert partial.status_code == 302
    claim.refresh_from_db()
    assert claim.decision == "approve_in_part" and claim.payout.amount == Decimal("60000.00")
    other = submitted_claim(scenario, principal="100000.00")
    assert (
        client.post(
            reverse("riskpool:claim-review", args=[other.pk]), {"decision": "reject", "reason": "不符"}
        ).status_code
        == 302
    )
    other.refresh_from_db()
    assert other.status == ClaimStatus.REJECTED


def test_banks_cannot_review(as_user, scenario):
    claim = submitted_claim(scenario)
    bank = as_user(scenario.head_user)
    page = bank.get(reverse("riskpool:claim-detail", args=[claim.pk])).content.decode()
    assert 'data-testid="review-form"' not in page
    before = state()
    assert bank.post(reverse("riskpool:claim-review", args=[claim.pk]), {"decision": "approve"}).status_code == 403
    assert bank.get(reverse("riskpool:claim-preview", args=[claim.pk])).status_code == 403
    assert state() == before


def test_claims_of_other_banks_are_hidden(as_user, scenario):
    theirs = submitted_claim(scenario, lender="other_bank")
    bank = as_user(scenario.head_user)
    for name in ("claim-detail", "claim-preview"):
        assert bank.get(reverse(f"riskpool:{name}", args=[theirs.pk])).status_code == 404
    for name in ("claim-withdraw", "claim-documents", "claim-recovery", "claim-resubmit"):
        assert bank.post(reverse(f"riskpool:{name}", args=[theirs.pk]), {}).status_code == 404
    document = theirs.documents.get()
    assert bank.get(reverse("riskpool:claim-document", args=[theirs.pk, document.pk])).status_code == 404
    listing = bank.get(reverse("riskpool:claims", args=[scenario.pool.pk])).content.decode()
    assert theirs.reference not in listing
    assert as_user(outsider_bank_user()).get(reverse("riskpool:claims-all")).status_code == 200


def test_documents_download_and_withdraw(as_user, scenario):
    claim = submitted_claim(scenario)
    bank = as_user(scenario.head_user)
    document = claim.documents.get()
    download = bank.get(reverse("riskpool:claim-document", args=[claim.pk, document.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert (
        as_user(scenario.authority).get(reverse("riskpool:claim-document", args=[claim.pk, document.pk])).status_code
        == 200
    )
    bank = as_user(scenario.head_user)
    assert (
        bank.post(reverse("riskpool:claim-withdraw", args=[claim.pk]), {"withdraw-reason": "已结清"}).status_code == 302
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.WITHDRAWN
    again = bank.post(reverse("riskpool:claim-withdraw", args=[claim.pk]), {})
    assert again.status_code == 409


def test_report_a_recovery(as_user, scenario):
    claim = paid_claim(scenario, principal="500000.00")
    bank = as_user(scenario.head_user)
    url = reverse("riskpool:claim-recovery", args=[claim.pk])
    before = state()
    bad = bank.post(url, {"recovered_amount": "", "recovered_on": timezone.localdate().isoformat()})
    assert bad.status_code == 400 and 'data-testid="error-recovered_amount"' in bad.content.decode()
    assert state() == before
    ok = bank.post(url, {"recovered_amount": "50,000.00", "recovered_on": timezone.localdate().isoformat()})
    assert ok.status_code == 302
    assert Recovery.objects.get().pool_amount == Decimal("15000.00")
    page = bank.get(reverse("riskpool:claim-detail", args=[claim.pk])).content.decode()
    assert 'data-testid="recovery"' in page
    assert (
        as_user(scenario.authority).post(url, {"recovered_amount": "1", "recovered_on": "2026-01-01"}).status_code
        == 404
    )


def test_claim_lists_and_owed(as_user):
    scenario = build_pool_scenario(capital=Decimal("100000.00"))
    claim = submitted_claim(scenario, principal="500000.00")
    client = as_user(scenario.authority)
    client.post(reverse("riskpool:claim-review", args=[claim.pk]), {"decision": "approve"})
    listing = client.get(reverse("riskpool:claims", args=[scenario.pool.pk])).content.decode()
    assert claim.reference in listing and 'data-testid="claim-totals"' in listing
    filtered = client.get(
        reverse("riskpool:claims", args=[scenario.pool.pk]), {"status": "rejected"}, HTTP_HX_REQUEST="true"
    )
    assert claim.reference not in filtered.content.decode()
    assert claim.reference in client.get(reverse("riskpool:claims-all"), {"status": "approved"}).content.decode()
    owed = client.get(reverse("riskpool:owed", args=[scenario.pool.pk])).content.decode()
    assert owed.count('data-testid="owed-row"') == 1
    bank_owed = as_user(scenario.head_user).get(reverse("riskpool:owed", args=[scenario.pool.pk])).content.decode()
    assert bank_owed.count('data-testid="owed-row"') == 1
