"""Spreadsheet import of the loans ledger: a bank office uploads its loans, or their monthly statuses, as .xlsx or
.csv, with a dry run, a template in either language and a report of every rejected row.

The file machinery is the registry import's: finbridge.enterprises.import_files checks, reads and writes the
files; the column description (ImportColumn), the header matching and the stored-file helpers come from
finbridge.enterprises.services.importing. Each row goes through the ledger's own services (loan_record with
source "imported", loan_status_report), one savepoint each, so a row is accepted on exactly the same rules
as a loan recorded on a page or through the API, and one bad row never loses the others.

Outcome of a row: created; "already recorded" (a loan with the same contract number at this bank, or a
status already reported for that loan and month — so importing a file twice creates nothing the second
time); or rejected with its line, column, value and reason. A row repeating the contract number (loans) or
contract number and month (statuses) of an earlier line of the same file is rejected.

A dry run does the same work and rolls it back chunk by chunk, writing only the LoanImportRun. The whole
file runs in one transaction: a file found unreadable halfway leaves nothing behind.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from finbridge.accounts.models import Organization
from finbridge.audit.services import log_event
from finbridge.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from finbridge.core.money import to_decimal
from finbridge.core.permissions import require_perm
from finbridge.enterprises import import_files
from finbridge.enterprises.models import Enterprise
from finbridge.enterprises.services.importing import ImportColumn, ImportOutcome, row_problems
from finbridge.enterprises.validation import InvalidUSCC, normalize_uscc
from finbridge.financing import permissions as perms
from finbridge.financing.choices import LoanClassification, LoanSource
from finbridge.financing.models import Loan, LoanImportRun
from finbridge.financing.selectors.loans import loan_import_run_get, recording_offices
from finbridge.financing.services.loans import (
    CLASSIFICATION_ZH,
    MAX_ANNUAL_RATE,
    FieldError,
    clean_month,
    loan_record,
    loan_status_report,
)

__all__ = [
    "COLUMNS",
    "KINDS",
    "KIND_LOANS",
    "KIND_STATUSES",
    "REQUIRED",
    "column_title",
    "import_report",
    "import_template",
    "loan_import",
    "loan_import_run_apply",
]

KIND_LOANS = "loans"
KIND_STATUSES = "statuses"
KINDS = (KIND_LOANS, KIND_STATUSES)
KIND_LABELS = {KIND_LOANS: gettext_lazy("Loans"), KIND_STATUSES: gettext_lazy("Monthly statuses")}
CHUNK_SIZE = 500
ACTION_IMPORT = "loan_import_run"
ACTION_DRY_RUN = "loan_import_dry_run"
# The template's example rows carry this contract number; such rows are skipped.
EXAMPLE_REFERENCE = "EXAMPLE-0001"

_YES_NO = gettext_lazy("Yes or no (also 是/否, Y/N, 1/0, true/false).")
_AMOUNT = gettext_lazy("An amount in CNY yuan (not ten-thousand yuan); separators allowed.")
_DATE = gettext_lazy("A date as YYYY-MM-DD or YYYY/M/D (or a spreadsheet date).")
_REFERENCE = gettext_lazy("The bank's loan contract number, unique within the bank; up to 64 characters.")

LOAN_COLUMNS: tuple[ImportColumn, ...] = (
    ImportColumn("reference", "Loan contract number", "贷款合同编号", _REFERENCE, EXAMPLE_REFERENCE, EXAMPLE_REFERENCE),
    ImportColumn(
        "borrower_uscc",
        "Borrower credit code",
        "借款企业统一社会信用代码",
        gettext_lazy(
            "The borrower's unified social credit code. The borrower must have given your bank a consent that is "
            "in force."
        ),
        "91440300MA5EXAMPLA",
        "91440300MA5EXAMPLA",
    ),
    ImportColumn("amount", "Amount (CNY)", "贷款金额（元）", _AMOUNT, 1000000, 1000000),
    ImportColumn(
        "disbursed_on", "Disbursed on", "放款日期", _DATE, datetime.date(2026, 3, 16), datetime.date(2026, 3, 16)
    ),
    ImportColumn(
        "term_months", "Term (months)", "贷款期限（月）", gettext_lazy("A whole number of months, 1 to 360."), 12, 12
    ),
    ImportColumn(
        "annual_rate_percent",
        "Annual rate (%)",
        "年利率（%）",
        gettext_lazy("The annual rate in per cent, such as 3.45 for 3.45%."),
        Decimal("3.45"),
        Decimal("3.45"),
    ),
    ImportColumn(
        "maturity_on",
        "Matures on",
        "到期日期",
        gettext_lazy("Optional: the disbursal date plus the term when empty."),
        "",
        "",
    ),
    ImportColumn(
        "is_first_time",
        "First-time loan",
        "首贷",
        gettext_lazy("Yes or no; leave empty to let the platform derive it from the borrower's earlier loans."),
        "",
        "",
    ),
    ImportColumn("is_renewal", "Renewal", "续贷", _YES_NO, "no", "否"),
    ImportColumn(
        "is_renewal_without_repayment", "Renewal without repaying principal", "无还本续贷", _YES_NO, "no", "否"
    ),
    ImportColumn(
        "is_credit",
        "Credit loan",
        "信用贷款",
        gettext_lazy("Yes for a loan with neither collateral nor guarantee."),
        "yes",
        "是",
    ),
    ImportColumn(
        "lender",
        "Lending office",
        "放款机构",
        gettext_lazy("Optional, for a head office: the name of the branch that made the loan. Empty: your own office."),
        "",
        "",
    ),
)
STATUS_COLUMNS: tuple[ImportColumn, ...] = (
    ImportColumn("reference", "Loan contract number", "贷款合同编号", _REFERENCE, EXAMPLE_REFERENCE, EXAMPLE_REFERENCE),
    ImportColumn(
        "month",
        "Month",
        "报告月份",
        gettext_lazy("The month reported on, as YYYY-MM (a date in the month is also accepted)."),
        "2026-03",
        "2026-03",
    ),
    ImportColumn("outstanding_balance", "Outstanding balance (CNY)", "贷款余额（元）", _AMOUNT, 800000, 800000),
    ImportColumn(
        "classification",
        "Classification",
        "五级分类",
        gettext_lazy("One of normal, special_mention, substandard, doubtful, loss (or 正常, 关注, 次级, 可疑, 损失)."),
        "normal",
        "正常",
    ),
)
COLUMNS = {KIND_LOANS: LOAN_COLUMNS, KIND_STATUSES: STATUS_COLUMNS}
REQUIRED = {
    KIND_LOANS: ("reference", "borrower_uscc", "amount", "disbursed_on", "term_months", "annual_rate_percent"),
    KIND_STATUSES: ("reference", "month", "outstanding_balance", "classification"),
}
BOOLEAN_FIELDS = ("is_first_time", "is_renewal", "is_renewal_without_repayment", "is_credit")
# Service field names → the import column that carries them.
SERVICE_FIELD_COLUMN = {"annual_rate": "annual_rate_percent", "borrower": "borrower_uscc"}
ALIASES = {
    kind: {import_files.header_key(alias): c.field for c in columns for alias in (c.field, c.title_en, c.title_zh)}
    for kind, columns in COLUMNS.items()
}


def column_title(field_name: str, kind: str = KIND_LOANS) -> str:
    """The title of an import column in the active language (the name itself for anything else)."""
    for column in (*COLUMNS.get(kind, ()), *LOAN_COLUMNS, *STATUS_COLUMNS):
        if column.field == field_name:
            return column.title()
    return field_name


# ---- the outcome of a file ------------------------------------------------------------------------------------


@dataclass
class _Outcome(ImportOutcome):
    """An import's outcome, with rows already recorded counted apart from rejected ones."""

    duplicate: int = 0

    def reject(self, line: int, problems: Iterable[tuple[str, Any, str]], **extra: Any) -> None:
        super().reject(line, problems, outcome="rejected", **extra)

    def already_recorded(self, line: int, problems: Iterable[tuple[str, Any, str]]) -> None:
        self.duplicate += 1
        self.note(line, problems, outcome="duplicate")


def _problems(error: DomainError, raw: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """(column, value, message) for every message of a service's error about one row."""
    return row_problems(error, raw, SERVICE_FIELD_COLUMN)


# ---- reading the file ---------------------------------------------------------------------------------------------


def _columns_of(header: Sequence[Any], kind: str) -> list[str | None]:
    """Map header cells to fields; ValidationFailed listing missing required, unknown and repeated columns."""
    aliases = ALIASES[kind]
    columns: list[str | None] = []
    unknown: list[str] = []
    repeated: list[str] = []
    for cell in header:
        if cell is None:
            columns.append(None)
            continue
        name = aliases.get(import_files.header_key(cell))
        if name is None:
            unknown.append(str(cell))
        elif name in columns:
            repeated.append(str(cell))
        columns.append(name)
    problems = []
    missing = [column_title(name, kind) for name in REQUIRED[kind] if name not in columns]
    if missing:
        problems.append(_("Required columns are missing: %(columns)s.") % {"columns": ", ".join(missing)})
    if unknown:
        problems.append(_("These columns are not known: %(columns)s.") % {"columns": ", ".join(unknown)})
    if repeated:
        problems.append(_("These columns appear more than once: %(columns)s.") % {"columns": ", ".join(repeated)})
    if problems:
        message = _("The header row does not match the template. %(problems)s") % {"problems": " ".join(problems)}
        raise ValidationFailed(message, code="import_bad_columns", fields={"columns": problems})
    return columns


def _mapped_rows(rows: Iterator[import_files.NumberedRow], kind: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """The data rows as {field: value} (empty cells left out), the template's example rows skipped."""
    for _line, header in rows:
        if not import_files.is_blank(header):
            columns = _columns_of(header, kind)
            break
    else:
        raise ValidationFailed(_("The file has no header row."), code="import_no_header")
    for line, values in rows:
        raw = {name: value for name, value in zip(columns, values, strict=False) if name and value is not None}
        if not raw or str(raw.get("reference", "")).strip().upper() == EXAMPLE_REFERENCE:
            continue
        yield line, raw


def _rate_from_percent(value: Any) -> Any:
    """The annual rate as a fraction from a per-cent cell (3.45 or "3.45%"); the service checks the range.

    A cell that is not a number is passed on as it is, so the service reports it."""
    if value is None:
        return None
    text = str(value).strip().rstrip("%").rstrip("％").strip()
    try:
        return to_decimal(text) / 100
    except ValueError:
        return value


# ---- the import ------------------------------------------------------------------------------------------------------


class _Importer:
    """The row-by-row work of one file: resolve references, call the ledger's services, count."""

    def __init__(self, *, actor: Any, organization: Organization, kind: str, dry_run: bool) -> None:
        self.actor = actor
        self.organization = organization
        self.kind = kind
        self.dry_run = dry_run
        self.outcome = _Outcome()
        self.bank_id = organization.parent_id or organization.pk
        self.offices = {
            org.pk: org
            for org in recording_offices(actor=actor)
            if org.pk == organization.pk or org.parent_id == organization.pk
        }
        self.office_names = {
            import_files.header_key(name): org
            for org in self.offices.values()
            for name in (org.name, org.name_en)
            if name
        }
        self.first_line: dict[Any, int] = {}

    def run(self, rows: Iterator[tuple[int, dict[str, Any]]]) -> _Outcome:
        while chunk := list(islice(rows, CHUNK_SIZE)):
            with transaction.atomic():
                if self.kind == KIND_LOANS:
                    self._loans(chunk)
                else:
                    self._statuses(chunk)
                if self.dry_run:
                    transaction.set_rollback(True)
        return self.outcome

    def _repeat(self, line: int, key: Any, raw: dict[str, Any], message: str) -> bool:
        """Reject the row when `key` appeared on an earlier line of the file; otherwise remember it."""
        first = self.first_line.setdefault(key, line)
        if first == line:
            return False
        self.outcome.reject(line, [("reference", raw.get("reference"), message % {"line": first})])
        return True

    # -- loans --

    def _loans(self, chunk: Sequence[tuple[int, dict[str, Any]]]) -> None:
        borrowers = self._borrowers([raw.get("borrower_uscc") for _line, raw in chunk])
        for line, raw in chunk:
            self.outcome.total += 1
            reference = " ".join(str(raw.get("reference", "")).split())
            if reference and self._repeat(
                line, reference, raw, _("This contract number already appears on line %(line)s of this file.")
            ):
                continue
            problems: list[tuple[str, Any, str]] = []
            borrower = self._borrower(raw, borrowers, problems)
            lender = self._lender(raw, problems)
            if problems:
                self.outcome.reject(line, problems)
                continue
            self._record_loan(line, raw, lender, borrower)

    def _record_loan(self, line: int, raw: dict[str, Any], lender: Organization, borrower: Enterprise) -> None:
        try:
            with transaction.atomic():
                loan_record(
                    actor=self.actor,
                    lender=lender,
                    borrower=borrower,
                    reference=raw.get("reference"),
                    amount=raw.get("amount"),
                    disbursed_on=raw.get("disbursed_on"),
                    term_months=raw.get("term_months"),
                    annual_rate=_rate_from_percent(raw.get("annual_rate_percent")),
                    maturity_on=raw.get("maturity_on"),
                    is_first_time=raw.get("is_first_time"),
                    is_renewal=raw.get("is_renewal"),
                    is_renewal_without_repayment=raw.get("is_renewal_without_repayment"),
                    is_credit=raw.get("is_credit"),
                    source=LoanSource.IMPORTED,
                )
        except Conflict as error:
            self.outcome.already_recorded(line, _problems(error, raw))
        except DomainError as error:
            problems = [
                (column, value, self._rate_message() if column == "annual_rate_percent" else message)
                for column, value, message in _problems(error, raw)
            ]
            self.outcome.reject(line, problems)
        else:
            self.outcome.created += 1

    @staticmethod
    def _rate_message() -> str:
        limit = (MAX_ANNUAL_RATE * 100).normalize()
        return _("Enter the annual rate in per cent, from 0 to %(max)s, such as 3.45.") % {"max": f"{limit:f}"}

    def _borrowers(self, raw_codes: Sequence[Any]) -> dict[str, Enterprise]:
        codes = set()
        for raw in raw_codes:
            try:
                codes.add(normalize_uscc(raw or ""))
            except InvalidUSCC:
                continue
        return {e.uscc: e for e in Enterprise.objects.filter(uscc__in=codes)}

    def _borrower(self, raw: dict[str, Any], borrowers: dict[str, Enterprise], problems: list) -> Enterprise | None:
        value = raw.get("borrower_uscc")
        if value is None:
            problems.append(("borrower_uscc", None, _("This field is required.")))
            return None
        try:
            code = normalize_uscc(value)
        except InvalidUSCC as error:
            problems.append(("borrower_uscc", value, error.message))
            return None
        borrower = borrowers.get(code)
        if borrower is None:
            problems.append(
                (
                    "borrower_uscc",
                    value,
                    _("No enterprise with the credit code %(uscc)s is in the registry.") % {"uscc": code},
                )
            )
        return borrower

    def _lender(self, raw: dict[str, Any], problems: list) -> Organization | None:
        value = raw.get("lender")
        if value is None:
            return self.organization
        office = self.office_names.get(import_files.header_key(value))
        if office is None:
            problems.append(
                ("lender", value, _("Name your own office or one of its branches exactly as on the platform."))
            )
        return office

    # -- monthly statuses --

    def _statuses(self, chunk: Sequence[tuple[int, dict[str, Any]]]) -> None:
        references = {" ".join(str(raw.get("reference", "")).split()) for _line, raw in chunk}
        loans = {
            loan.reference: loan
            for loan in Loan.objects.filter(bank_id=self.bank_id, reference__in=references)
            .filter(lender_id__in=self.offices)
            .select_related("lender")
        }
        for line, raw in chunk:
            self.outcome.total += 1
            reference = " ".join(str(raw.get("reference", "")).split())
            try:
                month_key: Any = clean_month(raw.get("month"))
            except FieldError:
                month_key = import_files.display_value(raw.get("month"))
            if reference and self._repeat(
                line,
                (reference, month_key),
                raw,
                _("This contract number and month already appear on line %(line)s of this file."),
            ):
                continue
            loan = loans.get(reference)
            if loan is None:
                message = (
                    _("Your office has no loan with the contract number %(reference)s.") % {"reference": reference}
                    if reference
                    else _("This field is required.")
                )
                self.outcome.reject(line, [("reference", raw.get("reference"), message)])
                continue
            try:
                with transaction.atomic():
                    loan_status_report(
                        actor=self.actor,
                        loan=loan,
                        month=raw.get("month"),
                        outstanding_balance=raw.get("outstanding_balance"),
                        classification=raw.get("classification"),
                    )
            except Conflict as error:
                self.outcome.already_recorded(line, _problems(error, raw))
            except DomainError as error:
                self.outcome.reject(line, _problems(error, raw))
            else:
                self.outcome.created += 1


def _require_office(actor: Any, organization: Organization) -> None:
    require_perm(actor, perms.RECORD_LOAN)
    if organization.pk not in {org.pk for org in recording_offices(actor=actor)}:
        raise PermissionDenied(_("You cannot import loans for this organisation."), code="not_your_office")


def loan_import(
    *, actor: Any, organization: Organization, kind: str, file_name: str, content: bytes, dry_run: bool
) -> LoanImportRun:
    """Import loans (`kind` "loans") or monthly statuses ("statuses") from an .xlsx or .csv file for the bank
    office `organization`, or check the file with a dry run.

    Who: a member whose role grants financing.record_loan in the office (or its head office). Good rows are
    recorded through loan_record / loan_status_report; rows the ledger already holds are counted as already
    recorded; bad rows are reported in the run's errors. A dry run writes nothing but the LoanImportRun.
    Raises PermissionDenied, or ValidationFailed for a file that cannot be imported at all (unknown kind,
    empty, too large, wrong type, unreadable, bad header, no rows) with nothing written.
    """
    _require_office(actor, organization)
    if kind not in KINDS:
        message = _("Choose what the file holds: %(kinds)s.") % {"kinds": ", ".join(KINDS)}
        raise ValidationFailed(message, code="import_bad_kind", fields={"kind": [message]})
    file_format = import_files.check_upload(file_name, content)
    rows = _mapped_rows(import_files.read_rows(file_format, content), kind)
    with transaction.atomic():
        outcome = _Importer(actor=actor, organization=organization, kind=kind, dry_run=dry_run).run(rows)
        if outcome.total == 0:
            message = _("The file contains no rows under its header.")
            raise ValidationFailed(message, code="import_no_rows", fields={"file": [message]})
        sha256 = hashlib.sha256(content).hexdigest()
        run = LoanImportRun.objects.create(
            organization=organization,
            kind=kind,
            created_by=actor,
            file_name=file_name[:255],
            file_sha256=sha256,
            dry_run=dry_run,
            rows_total=outcome.total,
            rows_created=outcome.created,
            rows_duplicate=outcome.duplicate,
            rows_rejected=outcome.rejected,
            errors=outcome.errors,
        )
        log_event(
            actor=actor,
            action=ACTION_DRY_RUN if dry_run else ACTION_IMPORT,
            obj=run,
            after={
                "organization": organization.pk,
                "kind": kind,
                "file_name": run.file_name,
                "file_sha256": sha256,
                "dry_run": dry_run,
                "rows_total": outcome.total,
                "rows_created": outcome.created,
                "rows_duplicate": outcome.duplicate,
                "rows_rejected": outcome.rejected,
            },
        )
    import_files.store_file(sha256, content)
    return run


def loan_import_run_apply(*, actor: Any, pk: Any) -> LoanImportRun:
    """Apply the file of an earlier run (normally a dry run) for real; returns the new run.

    Who: as loan_import, for a run of an office the actor records loans for (NotFound otherwise). Raises
    ValidationFailed when the stored file is no longer available.
    """
    run = loan_import_run_get(actor=actor, pk=pk)
    content = import_files.stored_file_required(run)
    return loan_import(
        actor=actor,
        organization=run.organization,
        kind=run.kind,
        file_name=run.file_name,
        content=content,
        dry_run=False,
    )


# ---- template and report ------------------------------------------------------------------------------------------


def import_template(*, kind: str, language: str, file_format: str) -> tuple[bytes, str]:
    """A template to fill in for `kind` (.xlsx with explanations, or .csv), titled in `language`;
    (bytes, file name). Reads nothing from the database. Raises ValidationFailed for an unknown kind,
    language or format."""
    if kind not in KINDS or language not in ("zh-hans", "en") or file_format not in import_files.FORMATS:
        raise ValidationFailed(
            _("Choose the kind loans or statuses, the language zh-hans or en and the format xlsx or csv."),
            code="bad_template",
        )
    columns = COLUMNS[kind]
    with translation.override(language):
        header = [c.title_zh if language == "zh-hans" else c.field for c in columns]
        example = [c.example() for c in columns]
        name = f"loan-{kind}-import-template-{language}.{file_format}"
        if file_format == import_files.CSV:
            return import_files.write_csv_rows([header, example]), name
        return _template_workbook(kind, header, example), name


def _template_workbook(kind: str, header: list[str], example: list[Any]) -> bytes:
    columns = COLUMNS[kind]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(KIND_LABELS[kind])[:31]
    sheet.append(header)
    sheet.append(example)
    header_font, header_fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="0B5CAD")
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font, cell.fill = header_font, header_fill
        required = _("Required.") if column.field in REQUIRED[kind] else _("Optional.")
        cell.comment = Comment(f"{column.title()} ({column.field})\n{required} {column.help}", "FinBridge", 320, 140)
        sheet.cell(row=2, column=index).font = Font(italic=True, color="667085")
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = max(14, min(40, len(str(header[index - 1])) * 2 + 4))
        if column.field in ("reference", "borrower_uscc", "month"):
            sheet.column_dimensions[letter].number_format = "@"
            sheet.cell(row=2, column=index).number_format = "@"
        if column.field in ("disbursed_on", "maturity_on"):
            sheet.cell(row=2, column=index).number_format = "yyyy-mm-dd"
        if column.field in BOOLEAN_FIELDS or column.field == "classification":
            if column.field == "classification":
                words = CLASSIFICATION_ZH.values() if import_files.is_chinese() else LoanClassification.values
                choices = '"' + ",".join(words) + '"'
            else:
                choices = '"是,否"' if import_files.is_chinese() else '"yes,no"'
            validation = DataValidation(type="list", formula1=choices, allow_blank=True)
            sheet.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}100001")
    sheet.freeze_panes = "A2"
    _instructions(workbook.create_sheet(_("Instructions")[:31]), kind)
    return import_files.workbook_bytes(workbook)


def _instructions(sheet: Any, kind: str) -> None:
    if kind == KIND_LOANS:
        notes = [
            _("Fill in one loan per row of the first sheet, under its header row; keep the column titles."),
            _("A loan whose contract number your bank already recorded is reported as already recorded, not twice."),
            _("The borrower must have given your bank a consent that is in force."),
            _("Leave 'First-time loan' empty to let the platform derive it; the inclusive flag is always derived."),
        ]
    else:
        notes = [
            _("Fill in one loan and month per row of the first sheet, under its header row; keep the column titles."),
            _("A month already reported for a loan is reported as already recorded and is not changed."),
            _("The balance cannot be more than the loan amount."),
        ]
    notes.append(_("The example row (contract number %(reference)s) is skipped.") % {"reference": EXAMPLE_REFERENCE})
    sheet.append([_("How to fill in this template")])
    sheet["A1"].font = Font(bold=True, size=13)
    for note in notes:
        sheet.append([note])
    sheet.append([])
    sheet.append([_("Column"), _("Field name"), _("Required"), _("Accepted values"), _("Example")])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for column in COLUMNS[kind]:
        required = _("yes") if column.field in REQUIRED[kind] else _("no")
        sheet.append(
            [column.title(), column.field, required, str(column.help), import_files.display_value(column.example())]
        )
    for letter, width in zip("ABCDE", (34, 28, 10, 70, 24), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def import_report(run: LoanImportRun) -> bytes:
    """The rejected and already-recorded rows of a run as an .xlsx (line, column, value, outcome, reason),
    titled in the active language. The caller fetched `run` through loan_import_run_get."""
    outcomes = {"rejected": _("Rejected"), "duplicate": _("Already recorded")}
    header = [_("Line"), _("Column"), _("Value"), _("Outcome"), _("Reason")]
    rows = (
        [
            error["line"],
            column_title(error["field"], run.kind),
            error["value"],
            outcomes.get(error.get("outcome", "rejected"), ""),
            error["message"],
        ]
        for error in run.errors
    )
    return import_files.write_xlsx_rows(_("Rows not imported"), header, rows)
