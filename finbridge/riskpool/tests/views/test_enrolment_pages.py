"""Pages of enrolments: the list (a bank sees its own), enrolling one loan, ticked loans or contract numbers
(typed or in a file) with every reason per refusal, the eligibility check (htmx), an enrolment and its release."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from finbridge.accounts.choices import Role
from finbridge.enterprises.import_files import write_csv_rows
from finbridge.financing.choices import LoanClassification
from finbridge.riskpool.choices import EnrolmentStatus
from finbridge.riskpool.models import Enrolment
from finbridge.riskpool.tests.api.support import bad_loan, outsider_bank_user, state

pytestmark = pytest.mark.django_db

TERMS = {"terms-category": "direct", "terms-guarantor": "", "terms-insurer": "", "terms-purpose": ""}


def _enrol_url(scenario):
    return reverse("riskpool:enrol", args=[scenario.pool.pk])


def test_the_enrol_page_lists_the_banks_own_loans(as_user, scenario):
    mine = scenario.make_loan()
    theirs = scenario.make_loan(lender="other_bank")
    page = as_user(scenario.head_user).get(_enrol_url(scenario)).content.decode()
    assert mine.reference in page and theirs.reference not in page
    assert as_user(scenario.authority).get(_enrol_url(scenario)).status_code == 403
    assert as_user(scenario.market.member("head", Role.VIEWER)).get(_enrol_url(scenario)).status_code == 403
    assert as_user(outsider_bank_user()).get(_enrol_url(scenario)).status_code == 404


def test_enrol_one_loan(as_user, scenario):
    loan = scenario.make_loan()
    response = as_user(scenario.head_user).post(_enrol_url(scenario), {**TERMS, "mode": "selected", "one": loan.pk})
    assert response.status_code == 302
    enrolment = Enrolment.objects.get(loan=loan)
    assert response["Location"] == reverse("riskpool:enrolment-detail", args=[enrolment.pk])


def test_an_ineligible_loan_shows_every_reason(as_user, scenario):
    loan = scenario.make_loan(classification=LoanClassification.SPECIAL_MENTION)
    scenario.classify(loan, LoanClassification.LOSS)
    before = state()
    response = as_user(scenario.head_user).post(
        _enrol_url(scenario), {**TERMS, "terms-category": "guaranteed", "mode": "selected", "one": loan.pk}
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert 'data-testid="enrol-refused"' in content
    assert 'data-code="loan_non_performing"' in content and 'data-code="guarantor_required"' in content
    assert state() == before


def test_enrol_ticked_loans(as_user, scenario):
    good = scenario.make_loan()
    bad = scenario.make_loan(classification=LoanClassification.DOUBTFUL)
    data = {**TERMS, "mode": "selected", "terms-loans": [str(good.pk), str(bad.pk)]}
    response = as_user(scenario.head_user).post(_enrol_url(scenario), data)
    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-testid="bulk-result"' in content and 'data-code="loan_non_performing"' in content
    assert list(Enrolment.objects.values_list("loan_id", flat=True)) == [good.pk]
    nothing = as_user(scenario.head_user).post(_enrol_url(scenario), {**TERMS, "mode": "selected"})
    assert nothing.status_code == 400 and 'data-testid="error-loans"' in nothing.content.decode()


def test_enrol_by_contract_numbers_typed_or_in_a_file(as_user, scenario):
    first, second = scenario.make_loan(), scenario.make_loan()
    client = as_user(scenario.head_user)
    typed = {
        "mode": "list",
        "list-references": f"{first.reference}\nNOPE-1",
        "list-category": "direct",
        "list-guarantor": "",
        "list-insurer": "",
        "list-purpose": "",
    }
    response = client.post(_enrol_url(scenario), typed)
    assert response.status_code == 200
    assert 'data-testid="bulk-rejected"' in response.content.decode() and "NOPE-1" in response.content.decode()
    csv = write_csv_rows([["合同编号"], [second.reference]])
    upload = SimpleUploadedFile("loans.csv", csv, content_type="text/csv")
    filed = client.post(_enrol_url(scenario), {**typed, "list-references": "", "list-file": upload})
    assert filed.status_code == 200
    assert set(Enrolment.objects.values_list("loan_id", flat=True)) == {first.pk, second.pk}
    before = state()
    empty = client.post(_enrol_url(scenario), {**typed, "list-references": ""})
    assert empty.status_code == 400 and 'data-testid="error-references"' in empty.content.decode()
    junk = SimpleUploadedFile("loans.xlsx", b"not a workbook", content_type="application/octet-stream")
    broken = client.post(_enrol_url(scenario), {**typed, "list-references": "", "list-file": junk})
    assert broken.status_code == 400 and 'data-testid="error-file"' in broken.content.decode()
    assert state() == before


def test_the_eligibility_check_is_an_htmx_partial(as_user, scenario):
    loan = scenario.make_loan()
    url = reverse("riskpool:eligibility", args=[scenario.pool.pk, loan.pk])
    client = as_user(scenario.head_user)
    ok = client.get(url, TERMS, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="eligible"' in ok
    refused = client.get(url, {**TERMS, "terms-category": "guaranteed"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-code="guarantor_required"' in refused
    uncovered = client.get(url, {**TERMS, "terms-category": "insured"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-code="category_not_covered"' in uncovered
    bad = client.get(url, {**TERMS, "terms-category": "magic"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-code="invalid"' in bad
    theirs = scenario.make_loan(lender="other_bank")
    assert client.get(reverse("riskpool:eligibility", args=[scenario.pool.pk, theirs.pk])).status_code == 404


def test_the_list_and_an_enrolment(as_user, scenario):
    mine = scenario.enrol(scenario.make_loan(amount=Decimal("750000.00")))
    theirs = scenario.enrol(scenario.make_loan(lender="other_bank"), actor=scenario.other_bank_user)
    client = as_user(scenario.head_user)
    listing = client.get(reverse("riskpool:enrolments", args=[scenario.pool.pk])).content.decode()
    assert mine.loan.reference in listing and theirs.loan.reference not in listing
    partial = client.get(
        reverse("riskpool:enrolments", args=[scenario.pool.pk]), {"status": "released"}, HTTP_HX_REQUEST="true"
    )
    assert 'data-testid="empty"' in partial.content.decode() and "<html" not in partial.content.decode()
    detail = client.get(reverse("riskpool:enrolment-detail", args=[mine.pk])).content.decode()
    assert 'data-testid="release-form"' in detail and 'data-testid="file-claim"' not in detail
    assert client.get(reverse("riskpool:enrolment-detail", args=[theirs.pk])).status_code == 404
    government = as_user(scenario.authority).get(reverse("riskpool:enrolments", args=[scenario.pool.pk]))
    assert theirs.loan.reference in government.content.decode()


def test_release_by_page(as_user, scenario):
    enrolment = scenario.enrol(scenario.make_loan())
    client = as_user(scenario.head_user)
    url = reverse("riskpool:enrolment-release", args=[enrolment.pk])
    before = state()
    bad = client.post(url, {"reason": "boredom"})
    assert bad.status_code == 400 and 'data-testid="error-reason"' in bad.content.decode()
    assert state() == before
    assert client.post(url, {"reason": "repaid"}).status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.RELEASED
    again = client.post(url, {"reason": "repaid"})
    assert again.status_code == 409


def test_a_bad_loan_offers_a_claim(as_user, scenario):
    enrolment = bad_loan(scenario)
    detail = as_user(scenario.head_user).get(reverse("riskpool:enrolment-detail", args=[enrolment.pk]))
    assert 'data-testid="file-claim"' in detail.content.decode()
