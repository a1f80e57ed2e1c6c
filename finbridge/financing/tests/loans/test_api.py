"""The loans API: list, record, retrieve, monthly status reports, imports; errors and the permission matrix."""

from __future__ import annotations

import datetime
import io

import pytest
from openpyxl import load_workbook

from finbridge.accounts.choices import Role
from finbridge.audit.models import AuditEvent
from finbridge.enterprises.import_files import write_csv_rows
from finbridge.financing.models import Loan, LoanImportRun, LoanStatusReport
from finbridge.financing.tests.loans.conftest import record

pytestmark = pytest.mark.django_db

LOANS = "/api/v1/loans/"
IMPORTS = "/api/v1/loan-imports/"


def _state():
    return (
        Loan.objects.count(),
        LoanStatusReport.objects.count(),
        LoanImportRun.objects.count(),
        AuditEvent.objects.count(),
    )


def _as(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def _payload(market, **overrides):
    data = {
        "lender": market.scitech.pk,
        "borrower_uscc": market.factory.uscc,
        "reference": "API-001",
        "amount": "1500000.00",
        "disbursed_on": "2026-03-02",
        "term_months": 12,
        "annual_rate": "0.0365",
        "is_credit": True,
    }
    data.update(overrides)
    return data


def test_anonymous_callers_get_401(api_client, market):
    loan = record(market)
    for url in (LOANS, f"{LOANS}{loan.pk}/", f"{LOANS}{loan.pk}/status-reports/", IMPORTS):
        response = api_client.get(url)
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


def test_record_a_loan(api_client, market):
    response = _as(api_client, market.scitech_user).post(LOANS, _payload(market), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"] == "API-001"
    assert body["bank"] == market.head.pk and body["lender"] == market.scitech.pk
    assert body["amount"] == "1500000.00" and body["annual_rate"] == "0.036500"
    assert body["maturity_on"] == "2027-03-02"
    assert body["is_first_time"] is True and body["is_inclusive"] is True and body["is_credit"] is True
    assert body["borrower_total_credit"] == "1500000.00"
    assert body["can_report_status"] is True
    loan = Loan.objects.get(pk=body["id"])
    assert loan.recorded_by == market.scitech_user
    # Retrieve and list.
    assert api_client.get(f"{LOANS}{loan.pk}/").json()["id"] == loan.pk
    listed = api_client.get(LOANS, {"credit": "true", "ordering": "-amount"}).json()
    assert [row["id"] for row in listed["results"]] == [loan.pk] and listed["count"] == 1


def test_the_lender_may_be_left_out_by_an_office_that_records_for_itself_only(api_client, market):
    payload = _payload(market, borrower=market.factory.pk)
    del payload["lender"], payload["borrower_uscc"]
    response = _as(api_client, market.branch_user).post(LOANS, payload, format="json")
    assert response.status_code == 201 and response.json()["lender"] == market.branch.pk
    # A head office records for three offices: it must choose.
    response = _as(api_client, market.head_user).post(LOANS, {**payload, "reference": "X"}, format="json")
    assert response.status_code == 400 and "lender" in response.json()["fields"]


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"borrower_uscc": None, "borrower": None}, 400, "borrower"),
        ({"borrower_uscc": "91440300MA5EXAMPL0"}, 400, "borrower_uscc"),
        ({"borrower_uscc": "91440300MA5EXAMPLA"}, 400, "borrower"),  # valid, but not in the registry
        ({"borrower_uscc": None, "borrower": 999999}, 400, "borrower"),
        ({"lender": 999999}, 400, "lender"),
        ({"amount": "-1"}, 400, "amount"),
        ({"amount": "1e30"}, 400, "amount"),
        ({"term_months": 0}, 400, "term_months"),
        ({"annual_rate": "3.65"}, 400, "annual_rate"),
        ({"disbursed_on": "2026-02-30"}, 400, "disbursed_on"),
        ({"product": 999999}, 400, "product"),
        ({"demand": "abc"}, 400, "demand"),
    ],
)
def test_bad_input_answers_400_and_changes_nothing(api_client, market, overrides, status, field):
    payload = {k: v for k, v in _payload(market, **overrides).items() if v is not None}
    before = _state()
    response = _as(api_client, market.scitech_user).post(LOANS, payload, format="json")
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    if field:
        assert field in body["fields"]
    assert _state() == before


def test_no_consent_and_duplicates(api_client, market):
    client = _as(api_client, market.scitech_user)
    before = _state()
    response = client.post(LOANS, _payload(market, borrower_uscc=market.shop.uscc), format="json")
    assert response.status_code == 400 and response.json()["code"] == "consent_required"
    assert _state() == before
    assert client.post(LOANS, _payload(market), format="json").status_code == 201
    before = _state()
    response = client.post(LOANS, _payload(market, lender=market.branch.pk), format="json")
    # The sci-tech branch does not record for its sibling: not one of the offices it may choose.
    assert response.status_code == 400 and "lender" in response.json()["fields"]
    response = _as(api_client, market.head_user).post(LOANS, _payload(market, lender=market.branch.pk), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "loan_duplicate_reference" and "API-001" in response.json()["message"]
    assert _state() == before


@pytest.mark.parametrize(
    ("org_name", "role", "list_status", "create_status"),
    [
        ("scitech", Role.STAFF, 200, 201),
        ("scitech", Role.ADMIN, 200, 201),
        ("scitech", Role.REVIEWER, 200, 403),
        ("scitech", Role.VIEWER, 200, 403),
        ("head", Role.STAFF, 200, 201),
        ("district", Role.ADMIN, 200, 403),
        ("ia_c", Role.STAFF, 200, 403),
        ("so_s1", Role.VIEWER, 200, 403),
        ("msme", Role.ADMIN, 200, 403),
        ("guarantor", Role.ADMIN, 403, 403),
        ("insurer", Role.STAFF, 403, 403),
    ],
)
def test_permission_matrix(api_client, market, org_name, role, list_status, create_status):
    loan = record(market, reference="M-1")
    client = _as(api_client, market.member(org_name, role))
    assert client.get(LOANS).status_code == list_status
    before = _state()
    response = client.post(LOANS, _payload(market, reference="M-2"), format="json")
    assert response.status_code == create_status
    if create_status != 201:
        assert _state() == before
    visible = list_status == 200  # everyone who may list loans sees this one (government remit, bank, firm)
    detail = client.get(f"{LOANS}{loan.pk}/")
    assert detail.status_code == (200 if visible else 404)  # a hidden record answers 404, never 403
    report = client.post(
        f"{LOANS}{loan.pk}/status-reports/",
        {"month": "2026-03", "outstanding_balance": "900000", "classification": "normal"},
        format="json",
    )
    assert report.status_code == (201 if create_status == 201 else 403 if visible else 404)


def test_a_hidden_loan_answers_404_for_every_verb(api_client, market):
    loan = record(market)
    client = _as(api_client, market.other_bank_user)
    assert client.get(f"{LOANS}{loan.pk}/").status_code == 404
    assert client.get(f"{LOANS}{loan.pk}/status-reports/").status_code == 404
    response = client.post(
        f"{LOANS}{loan.pk}/status-reports/",
        {"month": "2026-03", "outstanding_balance": "1", "classification": "normal"},
        format="json",
    )
    assert response.status_code == 404
    assert client.get(f"{LOANS}999999/").status_code == 404
    assert client.get(LOANS).json()["count"] == 0


def test_status_reports(api_client, market):
    loan = record(market, disbursed_on=datetime.date(2026, 1, 5))
    client = _as(api_client, market.head_user)
    url = f"{LOANS}{loan.pk}/status-reports/"
    response = client.post(
        url,
        {"month": "2026-02", "outstanding_balance": "950000.50", "classification": "special_mention"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["month"] == "2026-02" and response.json()["outstanding_balance"] == "950000.50"
    before = _state()
    again = client.post(url, {"month": "2026-02", "outstanding_balance": "1", "classification": "loss"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "loan_status_already_reported"
    above = client.post(url, {"month": "2026-03", "outstanding_balance": "2000000", "classification": "normal"})
    assert above.status_code == 400 and "outstanding_balance" in above.json()["fields"]
    assert _state() == before
    listed = client.get(url).json()
    assert [(r["month"], r["classification"]) for r in listed] == [("2026-02", "special_mention")]
    body = client.get(f"{LOANS}{loan.pk}/").json()
    assert (body["outstanding_balance"], body["classification"], body["status_month"]) == (
        "950000.50",
        "special_mention",
        "2026-02-01",
    )


def test_imports_api(api_client, market):
    client = _as(api_client, market.scitech_user)
    content = write_csv_rows(
        [
            ["reference", "borrower_uscc", "amount", "disbursed_on", "term_months", "annual_rate_percent"],
            ["I-1", market.factory.uscc, "100000", "2026-01-05", "12", "3.5"],
            ["I-2", market.shop.uscc, "100000", "2026-01-05", "12", "3.5"],
        ]
    )
    upload = io.BytesIO(content)
    upload.name = "loans.csv"
    response = client.post(IMPORTS, {"file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    run = response.json()
    assert run["dry_run"] is True and (run["rows_created"], run["rows_rejected"]) == (1, 1)
    assert run["errors"][0]["line"] == 3 and run["errors"][0]["field"] == "borrower_uscc"
    assert Loan.objects.count() == 0
    applied = client.post(f"{IMPORTS}{run['id']}/apply/")
    assert applied.status_code == 201 and applied.json()["dry_run"] is False
    assert Loan.objects.count() == 1
    report = client.get(applied.json()["report_url"])
    assert report.status_code == 200
    assert report["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(report.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[1][0] == 3
    assert [r["id"] for r in client.get(IMPORTS).json()["results"]] == [applied.json()["id"], run["id"]]
    assert client.get(f"{IMPORTS}{run['id']}/").json()["errors"][0]["outcome"] == "rejected"
    template = client.get(f"{IMPORTS}template/", {"kind": "statuses", "lang": "en", "format": "csv"})
    assert template.status_code == 200 and b"outstanding_balance" in template.content
    bad = client.get(f"{IMPORTS}template/", {"kind": "other"})
    assert bad.status_code == 400 and bad.json()["code"] == "bad_template"
    empty = io.BytesIO(b"")
    empty.name = "x.csv"
    response = client.post(IMPORTS, {"file": empty, "kind": "statuses"}, format="multipart")
    assert response.status_code == 400 and response.json()["code"] == "import_empty_file"
    # Other offices see none of it; a firm may not import at all.
    other = _as(api_client, market.branch_user)
    assert other.get(f"{IMPORTS}{run['id']}/").status_code == 404
    assert other.post(f"{IMPORTS}{run['id']}/apply/").status_code == 404
    assert other.get(f"{IMPORTS}{run['id']}/report/").status_code == 404
    assert _as(api_client, market.firm_user).get(IMPORTS).status_code == 403


def test_the_schema_describes_the_loans_api(api_client, market):
    response = _as(api_client, market.district_user).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/loans/", "/api/v1/loans/{id}/status-reports/", "/api/v1/loan-imports/"} <= set(paths)
