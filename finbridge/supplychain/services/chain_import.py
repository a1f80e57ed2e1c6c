"""Spreadsheet import of a core enterprise's chain database (.xlsx or .csv), with a dry run, a template in
either language and a report of every rejected row.

The file machinery is the registry import's: finbridge.enterprises.import_files checks, reads and writes the
files; the column description (ImportColumn), the header key, the outcome counter, the error-to-row mapping
and the stored-file helpers come from finbridge.enterprises.services.importing. Each row is validated by
clean_chain_partner_data and written by chain_partner_save (services/chain.py) in its own savepoint, so a
row is accepted on exactly the same rules as a partner added on a page or through the API, and one bad row
never loses the others.

Outcome of a row: created (a new partner), updated (an active partner whose figures changed, or an ended
one listed again), unchanged, or rejected with its line, column, value and reason. Rows are matched by the
partner's credit code and direction; a row repeating the code and direction of an earlier line is
rejected. A dry run does the same work and rolls it back, writing only the ChainImportRun. The whole file
runs in one transaction: a file found unreadable halfway leaves nothing behind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
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
from finbridge.core.errors import DomainError, ValidationFailed
from finbridge.enterprises import import_files

# Shared with the registry import (private there; the lead is asked to make them public rather than copy them).
from finbridge.enterprises.services.importing import (
    EXAMPLE_USCC,
    ImportColumn,
    ImportOutcome,
    row_problems,
)
from finbridge.supplychain.models.chain import ChainImportRun
from finbridge.supplychain.selectors.chain import chain_import_run_get
from finbridge.supplychain.services.chain import (
    PARTNER_FIELDS,
    REQUIRED_PARTNER_FIELDS,
    chain_partner_save,
    clean_chain_partner_data,
    partner_enterprise,
    require_core,
)

__all__ = [
    "COLUMNS",
    "MAX_ROWS",
    "chain_import",
    "chain_import_report",
    "chain_import_run_apply",
    "chain_import_template",
    "column_title",
]

# A chain database holds hundreds or a few thousand partners: larger files are refused, to be split.
MAX_ROWS = 5_000
ACTION_IMPORT = "chain_import_run"
ACTION_DRY_RUN = "chain_import_dry_run"
LANGUAGES = ("zh-hans", "en")

_AMOUNT = gettext_lazy("An amount in CNY yuan (not ten-thousand yuan), from 0 to 10 trillion; separators allowed.")
COLUMNS: tuple[ImportColumn, ...] = (
    ImportColumn(
        "partner_uscc",
        "Partner credit code",
        "合作企业统一社会信用代码",
        gettext_lazy("The partner's unified social credit code (18 characters); it must be in the registry."),
        EXAMPLE_USCC,
        EXAMPLE_USCC,
    ),
    ImportColumn(
        "partner_name",
        "Partner name",
        "合作企业名称",
        gettext_lazy("For your reference only: the name is read from the registry."),
        "深圳市坪山示例科技有限公司",
        "深圳市坪山示例科技有限公司",
    ),
    ImportColumn(
        "direction",
        "Direction",
        "上下游",
        gettext_lazy("upstream (a supplier) or downstream (a distributor); 上游 and 下游 are accepted too."),
        "upstream",
        "上游",
    ),
    ImportColumn(
        "since",
        "Partner since",
        "合作起始日期",
        gettext_lazy("A date as YYYY-MM-DD or YYYY/M/D (or a spreadsheet date), not in the future."),
        "2019-03-01",
        "2019-03-01",
    ),
    ImportColumn("annual_volume", "Annual transaction volume (CNY)", "年交易额（元）", _AMOUNT, 12000000, 12000000),
    ImportColumn(
        "payment_terms_days",
        "Payment terms (days)",
        "账期（天）",
        gettext_lazy("Optional: a whole number of days from 0 to 3,650."),
        60,
        60,
    ),
    ImportColumn(
        "payment_terms",
        "Payment terms",
        "结算方式",
        gettext_lazy("Optional: up to 200 characters, such as monthly statement or bank acceptance bill."),
        "Monthly statement, bank acceptance bill",
        "月结，银行承兑汇票",
    ),
)
INFORMATIONAL = frozenset({"partner_name"})
assert {c.field for c in COLUMNS} - INFORMATIONAL == set(PARTNER_FIELDS), "import columns must follow PARTNER_FIELDS"
ALIASES: dict[str, str] = {
    import_files.header_key(alias): column.field
    for column in COLUMNS
    for alias in (column.field, column.title_en, column.title_zh)
}


def column_title(field_name: str) -> str:
    """The title of an import column in the active language (the name itself for anything else)."""
    for column in COLUMNS:
        if column.field == field_name:
            return column.title()
    return field_name


# ---- reading the file -----------------------------------------------------------------------------------


def _columns_of(header: Sequence[Any]) -> list[str | None]:
    """Map header cells to fields; ValidationFailed listing missing required, unknown and repeated columns."""
    columns: list[str | None] = []
    unknown: list[str] = []
    repeated: list[str] = []
    for cell in header:
        name = None if cell is None else ALIASES.get(import_files.header_key(cell))
        if cell is not None and name is None:
            unknown.append(str(cell))
        elif name is not None and name in columns:
            repeated.append(str(cell))
        columns.append(name)
    problems = []
    missing = [column_title(name) for name in REQUIRED_PARTNER_FIELDS if name not in columns]
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


def _mapped_rows(rows: Iterator[import_files.NumberedRow]) -> Iterator[tuple[int, dict[str, Any]]]:
    """The data rows as {field: value} (empty cells left out), the template's example row skipped."""
    for _line, header in rows:
        if not import_files.is_blank(header):
            columns = _columns_of(header)
            break
    else:
        raise ValidationFailed(_("The file has no header row."), code="import_no_header")
    for line, values in rows:
        raw = {name: value for name, value in zip(columns, values, strict=False) if name and value is not None}
        if not raw or str(raw.get("partner_uscc", "")).strip().upper() == EXAMPLE_USCC:
            continue
        yield line, raw


def _file_error(message: str, code: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, fields={"file": [message]})


def _read(file_name: str, content: bytes) -> list[tuple[int, dict[str, Any]]]:
    """The data rows of an upload, at most MAX_ROWS; ValidationFailed for a file that cannot be imported."""
    file_format = import_files.check_upload(file_name, content)
    rows = list(islice(_mapped_rows(import_files.read_rows(file_format, content)), MAX_ROWS + 1))
    if not rows:
        raise _file_error(_("The file contains no rows under its header."), "import_no_rows")
    if len(rows) > MAX_ROWS:
        message = _("The file has more than %(limit)s rows: split it into smaller files.") % {"limit": f"{MAX_ROWS:,}"}
        raise _file_error(message, "import_too_many_rows")
    return rows


# ---- the import -----------------------------------------------------------------------------------------


class _Importer:
    """The row-by-row work of one file: validate, find the partner, write through chain_partner_save, count."""

    def __init__(self, *, actor: Any, core: Organization) -> None:
        self.actor = actor
        self.core = core
        self.outcome = ImportOutcome()
        self.first_line: dict[tuple[str, str], int] = {}

    def run(self, rows: Sequence[tuple[int, dict[str, Any]]]) -> ImportOutcome:
        for line, raw in rows:
            self.outcome.total += 1
            self._row(line, raw)
        return self.outcome

    def _row(self, line: int, raw: dict[str, Any]) -> None:
        data = {name: raw[name] for name in PARTNER_FIELDS if name in raw}
        try:
            values = clean_chain_partner_data(data)
        except ValidationFailed as error:
            self.outcome.reject(line, row_problems(error, raw))
            return
        uscc = values.pop("partner_uscc")
        if self._is_repeat(line, (uscc, values["direction"]), raw):
            return
        try:
            enterprise = partner_enterprise(uscc, self.core)
            with transaction.atomic():
                _partner, result = chain_partner_save(
                    actor=self.actor, core=self.core, enterprise=enterprise, values=values, update_existing=True
                )
        except DomainError as error:
            self.outcome.reject(line, row_problems(error, raw))
            return
        if result == "created":
            self.outcome.created += 1
        elif result == "updated":
            self.outcome.updated += 1
        else:
            self.outcome.unchanged += 1

    def _is_repeat(self, line: int, key: tuple[str, str], raw: dict[str, Any]) -> bool:
        """Reject the row when its partner and direction appeared on an earlier line; otherwise remember them."""
        first = self.first_line.setdefault(key, line)
        if first == line:
            return False
        message = _("This partner and direction already appear on line %(line)s of this file.") % {"line": first}
        self.outcome.reject(line, [("partner_uscc", raw.get("partner_uscc"), message)])
        return True


def _summary(run: ChainImportRun) -> dict[str, Any]:
    return {
        "core": run.core_id,
        "file_name": run.file_name,
        "file_sha256": run.file_sha256,
        "dry_run": run.dry_run,
        "rows_total": run.rows_total,
        "rows_created": run.rows_created,
        "rows_updated": run.rows_updated,
        "rows_unchanged": run.rows_unchanged,
        "rows_rejected": run.rows_rejected,
    }


def chain_import(*, actor: Any, core: Organization, file_name: str, content: bytes, dry_run: bool) -> ChainImportRun:
    """Import a list of suppliers and distributors (.xlsx or .csv, at most MAX_ROWS rows) into `core`'s chain
    database, or check it with a dry run.

    Who: members of `core` with supplychain.manage_chain. Good rows create, list again or update partners by
    credit code and direction (unchanged ones counted as such); bad rows are reported in the run's errors
    (line, field, value, message). A dry run writes nothing but the ChainImportRun. Raises PermissionDenied,
    or ValidationFailed for a file that cannot be imported at all (empty, too large, wrong type, unreadable,
    bad header, no rows, too many rows) with nothing written.
    """
    core = require_core(actor, core)
    rows = _read(file_name, content)
    sha256 = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        with transaction.atomic():
            outcome = _Importer(actor=actor, core=core).run(rows)
            if dry_run:
                transaction.set_rollback(True)
        run = ChainImportRun.objects.create(
            core=core,
            created_by=actor,
            file_name=file_name[:255],
            file_sha256=sha256,
            dry_run=dry_run,
            rows_total=outcome.total,
            rows_created=outcome.created,
            rows_updated=outcome.updated,
            rows_unchanged=outcome.unchanged,
            rows_rejected=outcome.rejected,
            errors=outcome.errors,
        )
        log_event(actor=actor, action=ACTION_DRY_RUN if dry_run else ACTION_IMPORT, obj=run, after=_summary(run))
    import_files.store_file(sha256, content)
    return run


def chain_import_run_apply(*, actor: Any, pk: Any) -> ChainImportRun:
    """Apply the file of an earlier run (normally a dry run) for real; returns the new run.

    Who: as chain_import, for a run of a core whose chain the actor manages (NotFound otherwise). Raises
    ValidationFailed when the stored file is no longer available.
    """
    run = chain_import_run_get(actor=actor, pk=pk)
    content = import_files.stored_file_required(run)
    return chain_import(actor=actor, core=run.core, file_name=run.file_name, content=content, dry_run=False)


# ---- template and report --------------------------------------------------------------------------------


def chain_import_template(*, language: str, file_format: str) -> tuple[bytes, str]:
    """A template to fill in (.xlsx with explanations, or .csv), titled in `language` ("zh-hans" or "en");
    (bytes, file name). Reads nothing from the database. Raises ValidationFailed for an unknown language or
    format."""
    if language not in LANGUAGES or file_format not in import_files.FORMATS:
        raise ValidationFailed(_("Choose the language zh-hans or en and the format xlsx or csv."), code="bad_template")
    with translation.override(language):
        header = [column.title_zh if language == "zh-hans" else column.field for column in COLUMNS]
        example = [column.example() for column in COLUMNS]
        name = f"chain-partners-import-template-{language}.{file_format}"
        if file_format == import_files.CSV:
            return import_files.write_csv_rows([header, example]), name
        return _template_workbook(header, example), name


def _template_workbook(header: list[str], example: list[Any]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Chain partners")[:31]
    sheet.append(header)
    sheet.append(example)
    header_font, header_fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="0B5CAD")
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font, cell.fill = header_font, header_fill
        required = _("Required.") if column.field in REQUIRED_PARTNER_FIELDS else _("Optional.")
        cell.comment = Comment(f"{column.title()} ({column.field})\n{required} {column.help}", "FinBridge", 320, 140)
        sheet.cell(row=2, column=index).font = Font(italic=True, color="667085")
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = max(14, min(40, len(str(header[index - 1])) * 2 + 4))
        if column.field in ("partner_uscc", "since"):
            sheet.column_dimensions[letter].number_format = "@"
            sheet.cell(row=2, column=index).number_format = "@"
        if column.field == "direction":
            choices = '"上游,下游"' if import_files.is_chinese() else '"upstream,downstream"'
            validation = DataValidation(type="list", formula1=choices, allow_blank=True)
            sheet.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
    sheet.freeze_panes = "A2"
    _instructions(workbook.create_sheet(_("Instructions")[:31]))
    return import_files.workbook_bytes(workbook)


def _instructions(sheet: Any) -> None:
    notes = [
        _("Fill in one partner per row of the first sheet, under its header row; keep the column titles."),
        _("Rows are matched by credit code and direction: a partner already listed is updated, a new one is added."),
        _("The partner must be in the MSME registry; ask its subdistrict office to register it if it is not."),
        _("At most %(limit)s rows per file.") % {"limit": f"{MAX_ROWS:,}"},
        _("The example row (credit code %(uscc)s) is skipped on import: replace it with your data.")
        % {"uscc": EXAMPLE_USCC},
    ]
    sheet.append([_("How to fill in this template")])
    sheet["A1"].font = Font(bold=True, size=13)
    for note in notes:
        sheet.append([note])
    sheet.append([])
    sheet.append([_("Column"), _("Field name"), _("Required"), _("Accepted values"), _("Example")])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for column in COLUMNS:
        required = _("yes") if column.field in REQUIRED_PARTNER_FIELDS else _("no")
        sheet.append(
            [column.title(), column.field, required, str(column.help), import_files.display_value(column.example())]
        )
    for letter, width in zip("ABCDE", (34, 24, 10, 70, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def chain_import_report(run: ChainImportRun) -> bytes:
    """The rejected rows of a run as an .xlsx (line, column, value, message), titled in the active language.
    The caller fetched `run` through chain_import_run_get (visibility is checked there)."""
    header = [_("Line"), _("Column"), _("Value"), _("Message")]
    rows = ([error["line"], column_title(error["field"]), error["value"], error["message"]] for error in run.errors)
    return import_files.write_xlsx_rows(_("Rejected rows"), header, rows)
