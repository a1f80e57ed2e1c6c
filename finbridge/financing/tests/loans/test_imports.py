"""Spreadsheet import of loans and monthly statuses: good, bad and repeated files, dry runs, template, report."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from finbridge.audit.models import AuditEvent
from finbridge.core.errors import NotFound, PermissionDenied, ValidationFailed
from finbridge.enterprises.import_files import write_csv_rows
from finbridge.financing.choices import LoanSource
from finbridge.financing.models import Loan, LoanImportRun, LoanStatusReport
from finbridge.financing.services import loan_imports
from finbridge.financing.services.loan_imports import import_report, import_template, loan_import, loan_import_run_apply
from finbridge.financing.tests.loans.conftest import record

pytestmark = pytest.mark.django_db

LOAN_HEADER = [
    "贷款合同编号",
    "借款企业统一社会信用代码",
    "贷款金额（元）",
    "放款日期",
    "贷款期限（月）",
    "年利率（%）",
    "首贷",
    "信用贷款",
]


def _xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _state() -> tuple[int, int, int, int]:
    return (
        Loan.objects.count(),
        LoanStatusReport.objects.count(),
        LoanImportRun.objects.count(),
        AuditEvent.objects.count(),
    )


def _loans_file(market) -> bytes:
    uscc = market.factory.uscc
    return _xlsx(
        [
            LOAN_HEADER,
            ["EXAMPLE-0001", uscc, 1, "2026-01-01", 12, 3, "", ""],  # the template's example row: skipped
            ["PS-001", uscc, 1000000, datetime.date(2026, 1, 5), 12, 3.45, "", "是"],
            ["PS-002", uscc.lower(), "2,500,000.00", "2026/2/10", 24, "4.1%", "否", "否"],
            [None, None, None, None, None, None, None, None],  # a blank row: ignored
            ["PS-003", market.software.uscc, 300000, "2026-02-11", 12, 3.9, "", ""],  # no consent to head
            ["PS-004", "91440300MA5EXAMPL0", 300000, "2026-02-11", 12, 3.9, "", ""],  # bad check character
            ["PS-005", uscc, "lots", "2026-02-31", 0, 45, "maybe", ""],  # four bad values
            ["PS-001", uscc, 5, "2026-02-11", 12, 3.9, "", ""],  # repeats line 3
            ["PS-006", uscc, 800000, "2026-03-01", 6, 3.2, "", "yes"],
        ]
    )


def test_a_loans_file_keeps_every_good_row_and_reports_every_bad_one(market):
    run = loan_import(
        actor=market.scitech_user,
        organization=market.scitech,
        kind="loans",
        file_name="loans.xlsx",
        content=_loans_file(market),
        dry_run=False,
    )
    assert (run.rows_total, run.rows_created, run.rows_duplicate, run.rows_rejected) == (7, 3, 0, 4)
    loans = {loan.reference: loan for loan in Loan.objects.all()}
    assert set(loans) == {"PS-001", "PS-002", "PS-006"}
    first, second = loans["PS-001"], loans["PS-002"]
    assert (first.amount, first.annual_rate, first.is_first_time, first.is_credit) == (
        Decimal("1000000.00"),
        Decimal("0.034500"),
        True,
        True,
    )
    assert (second.amount, second.annual_rate, second.is_first_time, second.maturity_on) == (
        Decimal("2500000.00"),
        Decimal("0.041000"),
        False,
        datetime.date(2028, 2, 10),
    )
    assert {loan.source for loan in loans.values()} == {LoanSource.IMPORTED}
    assert {loan.lender_id for loan in loans.values()} == {market.scitech.pk}
    by_line: dict[int, list[dict]] = {}
    for error in run.errors:
        by_line.setdefault(error["line"], []).append(error)
    assert sorted(by_line) == [6, 7, 8, 9]
    assert by_line[6][0]["field"] == "borrower_uscc" and "consent" in by_line[6][0]["message"]
    assert by_line[7][0]["field"] == "borrower_uscc" and by_line[7][0]["value"] == "91440300MA5EXAMPL0"
    assert {e["field"] for e in by_line[8]} == {
        "amount",
        "disbursed_on",
        "term_months",
        "annual_rate_percent",
        "is_first_time",
    }
    rate_error = next(e for e in by_line[8] if e["field"] == "annual_rate_percent")
    assert rate_error["value"] == "45" and "per cent" in rate_error["message"]
    assert by_line[9] == [
        {
            "line": 9,
            "field": "reference",
            "value": "PS-001",
            "message": "This contract number already appears on line 3 of this file.",
            "outcome": "rejected",
        }
    ]
    event = AuditEvent.objects.get(action="loan_import_run")
    assert event.after["rows_created"] == 3
    assert AuditEvent.objects.filter(action="loan_record").count() == 3


def test_importing_the_same_file_again_creates_nothing(market):
    content = _loans_file(market)
    loan_import(
        actor=market.scitech_user,
        organization=market.scitech,
        kind="loans",
        file_name="a.xlsx",
        content=content,
        dry_run=False,
    )
    loans = Loan.objects.count()
    again = loan_import(
        actor=market.scitech_user,
        organization=market.scitech,
        kind="loans",
        file_name="a.xlsx",
        content=content,
        dry_run=False,
    )
    assert (again.rows_created, again.rows_duplicate, again.rows_rejected) == (0, 3, 4)
    assert Loan.objects.count() == loans
    duplicates = [e for e in again.errors if e["outcome"] == "duplicate"]
    assert [e["line"] for e in duplicates] == [3, 4, 10]
    assert "already recorded" in duplicates[0]["message"]


def test_a_dry_run_writes_only_its_run_and_can_be_applied(market):
    before = _state()
    run = loan_import(
        actor=market.scitech_user,
        organization=market.scitech,
        kind="loans",
        file_name="a.xlsx",
        content=_loans_file(market),
        dry_run=True,
    )
    assert run.dry_run and (run.rows_created, run.rows_rejected) == (3, 4)
    assert _state() == (before[0], before[1], before[2] + 1, before[3] + 1)
    assert AuditEvent.objects.filter(action="loan_import_dry_run").count() == 1
    applied = loan_import_run_apply(actor=market.scitech_user, pk=run.pk)
    assert not applied.dry_run and applied.pk != run.pk
    assert applied.rows_created == 3 and Loan.objects.count() == 3
    # Another office cannot see, hence not apply, the run.
    with pytest.raises(NotFound):
        loan_import_run_apply(actor=market.branch_user, pk=run.pk)


def test_a_head_office_names_the_branch_that_lent(market):
    content = write_csv_rows(
        [
            ["reference", "borrower_uscc", "amount", "disbursed_on", "term_months", "annual_rate_percent", "lender"],
            ["H-1", market.factory.uscc, "100000", "2026-01-05", "12", "3.5", ""],
            ["H-2", market.factory.uscc, "100000", "2026-01-05", "12", "3.5", market.branch.name],
            ["H-3", market.factory.uscc, "100000", "2026-01-05", "12", "3.5", market.scitech.name_en],
            ["H-4", market.factory.uscc, "100000", "2026-01-05", "12", "3.5", market.other_bank.name],
        ]
    )
    run = loan_import(
        actor=market.head_user,
        organization=market.head,
        kind="loans",
        file_name="h.csv",
        content=content,
        dry_run=False,
    )
    assert (run.rows_created, run.rows_rejected) == (3, 1)
    assert dict(Loan.objects.values_list("reference", "lender_id")) == {
        "H-1": market.head.pk,
        "H-2": market.branch.pk,
        "H-3": market.scitech.pk,
    }
    assert run.errors[0]["field"] == "lender" and run.errors[0]["line"] == 5


def test_a_statuses_file(market):
    loan = record(market, reference="S-1", disbursed_on=datetime.date(2025, 12, 1))
    other = record(
        market, reference="S-2", disbursed_on=datetime.date(2025, 12, 1), lender=market.branch, actor=market.head_user
    )
    content = write_csv_rows(
        [
            ["合同编号 is not a column"],
        ]
    )
    with pytest.raises(ValidationFailed) as error:
        loan_import(
            actor=market.scitech_user,
            organization=market.scitech,
            kind="statuses",
            file_name="s.csv",
            content=content,
            dry_run=False,
        )
    assert error.value.code == "import_bad_columns"
    content = write_csv_rows(
        [
            ["贷款合同编号", "报告月份", "贷款余额（元）", "五级分类"],
            ["S-1", "2026-01", "900000", "正常"],
            ["S-1", "2026-02", "800000", "special_mention"],
            ["S-1", "2026/1", "1", "loss"],  # repeats line 2 (same loan and month)
            ["S-2", "2026-01", "900000", "normal"],  # another office's loan
            ["S-9", "2026-01", "900000", "normal"],  # no such loan
            ["S-1", "2026-03", "2000000", "normal"],  # above the amount
            ["S-1", "2026-04", "700000", "worse"],  # unknown classification
        ]
    )
    run = loan_import(
        actor=market.scitech_user,
        organization=market.scitech,
        kind="statuses",
        file_name="s.csv",
        content=content,
        dry_run=False,
    )
    assert (run.rows_total, run.rows_created, run.rows_duplicate, run.rows_rejected) == (7, 2, 0, 5)
    assert [(e["line"], e["field"]) for e in run.errors] == [
        (4, "reference"),
        (5, "reference"),
        (6, "reference"),
        (7, "outstanding_balance"),
        (8, "classification"),
    ]
    loan.refresh_from_db()
    assert (loan.outstanding_balance, loan.classification) == (Decimal("800000.00"), "special_mention")
    assert not other.status_reports.exists()
    again = loan_import(
        actor=market.scitech_user,
        organization=market.scitech,
        kind="statuses",
        file_name="s.csv",
        content=content,
        dry_run=False,
    )
    assert (again.rows_created, again.rows_duplicate) == (0, 2)
    assert LoanStatusReport.objects.count() == 2


@pytest.mark.parametrize(
    ("file_name", "content", "code"),
    [
        ("empty.csv", b"", "import_empty_file"),
        ("loans.pdf", b"%PDF-1.4", "import_wrong_file_type"),
        ("loans.xlsx", b"not a zip", "import_wrong_file_type"),
        ("loans.csv", "贷款合同编号,放款日期\nA,2026-01-01\n".encode(), "import_bad_columns"),
        ("loans.csv", ",".join(LOAN_HEADER[:6]).encode() + b"\n", "import_no_rows"),
    ],
)
def test_a_file_that_cannot_be_imported_changes_nothing(market, file_name, content, code):
    before = _state()
    with pytest.raises(ValidationFailed) as error:
        loan_import(
            actor=market.scitech_user,
            organization=market.scitech,
            kind="loans",
            file_name=file_name,
            content=content,
            dry_run=False,
        )
    assert error.value.code == code
    assert _state() == before


def test_who_may_import(market):
    content = _loans_file(market)
    before = _state()
    for actor, organization in (
        (market.firm_user, market.scitech),
        (market.branch_user, market.head),  # a branch does not import for its head office
        (market.branch_user, market.scitech),  # nor for a sibling
        (market.district_user, market.scitech),
    ):
        with pytest.raises(PermissionDenied):
            loan_import(
                actor=actor, organization=organization, kind="loans", file_name="a.xlsx", content=content, dry_run=True
            )
    with pytest.raises(ValidationFailed):
        loan_import(
            actor=market.scitech_user,
            organization=market.scitech,
            kind="both",
            file_name="a.xlsx",
            content=content,
            dry_run=True,
        )
    assert _state() == before


@pytest.mark.parametrize("kind", ["loans", "statuses"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_template_reads_back_as_an_empty_import(market, kind, language):
    content, name = import_template(kind=kind, language=language, file_format="xlsx")
    assert name == f"loan-{kind}-import-template-{language}.xlsx"
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    if language == "zh-hans":
        assert header[0] == "贷款合同编号"
    else:
        assert header[0] == "reference"
    assert len(header) == len(loan_imports.COLUMNS[kind])
    with pytest.raises(ValidationFailed) as error:
        loan_import(
            actor=market.scitech_user,
            organization=market.scitech,
            kind=kind,
            file_name=name,
            content=content,
            dry_run=True,
        )
    assert error.value.code == "import_no_rows"  # only the example row, which is skipped
    csv_content, csv_name = import_template(kind=kind, language=language, file_format="csv")
    assert csv_name.endswith(".csv") and csv_content.startswith(b"\xef\xbb\xbf")
    with pytest.raises(ValidationFailed):
        import_template(kind=kind, language="fr", file_format="xlsx")


def test_the_report_lists_every_row_not_imported(market):
    run = loan_import(
        actor=market.scitech_user,
        organization=market.scitech,
        kind="loans",
        file_name="a.xlsx",
        content=_loans_file(market),
        dry_run=False,
    )
    sheet = load_workbook(io.BytesIO(import_report(run))).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Line", "Column", "Value", "Outcome", "Reason")
    assert len(rows) - 1 == len(run.errors)
    assert rows[1][0] == 6 and rows[1][1] == "Borrower credit code" and rows[1][3] == "Rejected"
