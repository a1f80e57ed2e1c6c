"""Pages of the loans ledger: list, detail with status history and report form, record a loan, import."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from finbridge.accounts.choices import Role
from finbridge.enterprises.import_files import write_csv_rows
from finbridge.financing.models import Loan, LoanImportRun, LoanStatusReport
from finbridge.financing.tests.loans.conftest import record

pytestmark = pytest.mark.django_db

LIST = reverse("financing:loans-list")
CREATE = reverse("financing:loans-create")
IMPORT = reverse("financing:loans-import")


def _login(client, user):
    client.force_login(user)
    return client


def _form(market, **overrides):
    data = {
        "lender": str(market.scitech.pk),
        "borrower_uscc": market.factory.uscc,
        "reference": "PAGE-001",
        "amount": "1,200,000.00",
        "disbursed_on": "2026-03-02",
        "term_months": "12",
        "annual_rate_percent": "3.65",
        "maturity_on": "",
        "is_first_time": "",
        "is_credit": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("org_name", "role", "status"),
    [
        ("scitech", Role.STAFF, 200),
        ("head", Role.VIEWER, 200),
        ("district", Role.VIEWER, 200),
        ("so_s1", Role.STAFF, 200),
        ("msme", Role.ADMIN, 200),
        ("guarantor", Role.ADMIN, 403),
        ("insurer", Role.STAFF, 403),
    ],
)
def test_the_list_page_permission_matrix(client, market, org_name, role, status):
    assert _login(client, market.member(org_name, role)).get(LIST).status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(client, market):
    loan = record(market)
    for url in (LIST, CREATE, IMPORT, reverse("financing:loans-detail", args=[loan.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_list_shows_visible_loans_and_filters(client, market):
    mine = record(market, reference="SCI-1", is_credit=True)
    record(market, reference="BR-1", lender=market.branch, actor=market.branch_user)
    response = _login(client, market.scitech_user).get(LIST)
    content = response.content.decode()
    assert "SCI-1" in content and "BR-1" not in content
    assert 'data-testid="loans-create"' in content
    head = _login(client, market.head_user)
    assert "BR-1" in head.get(LIST).content.decode()
    filtered = head.get(LIST, {"credit": "true"}, HTTP_HX_REQUEST="true")
    assert filtered.status_code == 200
    body = filtered.content.decode()
    assert "<html" not in body and "SCI-1" in body and "BR-1" not in body
    assert reverse("financing:loans-detail", args=[mine.pk]) in body
    # A firm sees its borrowings and cannot record.
    firm = _login(client, market.firm_user).get(LIST).content.decode()
    assert "SCI-1" in firm and 'data-testid="loans-create"' not in firm


def test_the_detail_page_shows_the_terms_history_and_the_report_form(client, market):
    loan = record(market, reference="DET-1", disbursed_on=datetime.date(2026, 1, 5))
    url = reverse("financing:loans-detail", args=[loan.pk])
    page = _login(client, market.scitech_user).get(url).content.decode()
    assert "DET-1" in page and 'data-testid="status-form"' in page and 'data-testid="no-status"' in page
    assert "3.45%" in page  # the rate in per cent
    viewer = _login(client, market.member("scitech", Role.VIEWER)).get(url).content.decode()
    assert 'data-testid="status-form"' not in viewer
    assert _login(client, market.other_bank_user).get(url).status_code == 404
    assert _login(client, market.branch_user).get(url).status_code == 404


def test_reporting_a_month_from_the_page(client, market):
    loan = record(market, reference="REP-1", disbursed_on=datetime.date(2026, 1, 5))
    url = reverse("financing:loans-report-status", args=[loan.pk])
    client = _login(client, market.scitech_user)
    response = client.post(url, {"month": "2026-02", "outstanding_balance": "900,000", "classification": "substandard"})
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.classification == "substandard"
    # htmx: the panel comes back with the history, a repeat is refused with the message next to the month.
    again = client.post(
        url, {"month": "2026-02", "outstanding_balance": "1", "classification": "normal"}, HTTP_HX_REQUEST="true"
    )
    assert again.status_code == 409
    body = again.content.decode()
    assert "<html" not in body and "already reported" in body and 'data-testid="status-row"' in body
    bad = client.post(url, {"month": "2026-03", "outstanding_balance": "5000000", "classification": "normal"})
    assert bad.status_code == 400 and "cannot be more than the loan amount" in bad.content.decode()
    assert LoanStatusReport.objects.count() == 1
    viewer = _login(client, market.member("scitech", Role.VIEWER))
    assert (
        viewer.post(url, {"month": "2026-03", "outstanding_balance": "1", "classification": "normal"}).status_code
        == 403
    )
    assert LoanStatusReport.objects.count() == 1


def test_recording_a_loan_from_the_page(client, market):
    client = _login(client, market.head_user)
    page = client.get(CREATE)
    assert page.status_code == 200 and 'name="lender"' in page.content.decode()
    response = client.post(CREATE, _form(market))
    assert response.status_code == 302
    loan = Loan.objects.get(reference="PAGE-001")
    assert response["Location"] == reverse("financing:loans-detail", args=[loan.pk])
    assert (loan.lender, loan.annual_rate, loan.is_credit, loan.is_first_time) == (
        market.scitech,
        loan.annual_rate,
        True,
        True,
    )
    assert str(loan.annual_rate) == "0.036500"


@pytest.mark.parametrize(
    ("overrides", "status", "message"),
    [
        ({"borrower_uscc": ""}, 400, "Enter the borrower"),
        ({"borrower_uscc": "91440300MA5EXAMPLA"}, 400, "No enterprise with this credit code"),
        ({"borrower_uscc": "123"}, 400, "18 characters"),
        ({"amount": "0"}, 400, "more than zero"),
        ({"annual_rate_percent": "45"}, 400, "annual rate"),
        ({"term_months": "0"}, 400, "whole number of months"),
    ],
)
def test_bad_loans_come_back_with_messages_and_change_nothing(client, market, overrides, status, message):
    response = _login(client, market.scitech_user).post(CREATE, _form(market, **overrides))
    assert response.status_code == status
    assert message in response.content.decode()
    assert Loan.objects.count() == 0


def test_no_consent_and_duplicates_on_the_page(client, market):
    client = _login(client, market.scitech_user)
    response = client.post(CREATE, _form(market, borrower_uscc=market.shop.uscc))
    assert response.status_code == 400 and "consent" in response.content.decode()
    assert client.post(CREATE, _form(market)).status_code == 302
    again = client.post(CREATE, _form(market))
    assert again.status_code == 409 and "already recorded" in again.content.decode()
    assert Loan.objects.count() == 1


def test_who_may_record_and_import(client, market):
    for org_name, role in (("scitech", Role.VIEWER), ("district", Role.ADMIN), ("msme", Role.ADMIN)):
        client = _login(client, market.member(org_name, role))
        assert client.get(CREATE).status_code == 403
        assert client.get(IMPORT).status_code == 403


def test_the_import_pages(client, market):
    client = _login(client, market.scitech_user)
    page = client.get(IMPORT).content.decode()
    assert 'data-testid="template-statuses-zh-hans-xlsx"' in page
    content = write_csv_rows(
        [
            ["reference", "borrower_uscc", "amount", "disbursed_on", "term_months", "annual_rate_percent"],
            ["IMP-1", market.factory.uscc, "100000", "2026-01-05", "12", "3.5"],
            ["IMP-2", "bad", "100000", "2026-01-05", "12", "3.5"],
        ]
    )
    upload = io.BytesIO(content)
    upload.name = "loans.csv"
    response = client.post(IMPORT, {"kind": "loans", "file": upload, "dry_run": "1"})
    assert response.status_code == 302
    run = LoanImportRun.objects.get()
    result = client.get(response["Location"]).content.decode()
    assert 'data-testid="dry-run-notice"' in result and 'data-testid="import-apply"' in result
    assert "bad" in result and Loan.objects.count() == 0
    applied = client.post(reverse("financing:loans-import-run", args=[run.pk]))
    assert applied.status_code == 302 and Loan.objects.filter(reference="IMP-1").exists()
    newest = LoanImportRun.objects.order_by("-pk").first()
    report = client.get(reverse("financing:loans-import-report", args=[newest.pk]))
    rows = list(load_workbook(io.BytesIO(report.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[1][0] == 3
    template = client.get(reverse("financing:loans-import-template"), {"kind": "statuses", "lang": "en"})
    assert template.status_code == 200 and template["Content-Disposition"].endswith('.xlsx"')
    assert client.get(reverse("financing:loans-import-template"), {"lang": "fr"}).status_code == 400
    empty = io.BytesIO(b"")
    empty.name = "x.csv"
    refused = client.post(IMPORT, {"kind": "loans", "file": empty})
    assert refused.status_code == 400
    assert (
        _login(client, market.branch_user).get(reverse("financing:loans-import-run", args=[run.pk])).status_code == 404
    )


def test_the_pages_in_chinese(client, market):
    loan = record(market, reference="ZH-1")
    client = _login(client, market.scitech_user)
    with translation.override("zh-hans"):
        client.cookies["django_language"] = "zh-hans"
        for url in (LIST, CREATE, IMPORT, reverse("financing:loans-detail", args=[loan.pk])):
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
            assert response.status_code == 200
            assert '<html lang="zh-hans">' in response.content.decode()
        page = client.get(reverse("financing:loans-detail", args=[loan.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert "万元" in page.content.decode()
