"""A statement as a CSV or .xlsx file, titled in the active language (amounts in CNY yuan to the fen)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from finbridge.enterprises.import_files import CONTENT_TYPES, CSV, XLSX, write_csv_rows, write_xlsx_rows
from finbridge.riskpool.choices import Account, EntryKind

EXPORT_FORMATS = (CSV, XLSX)


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def statement_table(statement: Any) -> tuple[list[str], list[list[Any]]]:
    """The header and rows of a statement: one row per entry, one column per account, then cash after."""
    accounts = list(Account.values)
    header = [
        _("Entry"),
        _("Value date"),
        _("Kind"),
        _("Counterparty"),
        _("Claim"),
        _("Memo"),
        *(str(Account(account).label) for account in accounts),
        _("Cash after (CNY)"),
    ]
    rows = [
        [
            row.number,
            row.value_date.isoformat(),
            _label(EntryKind, row.kind),
            row.counterparty,
            row.claim_reference,
            row.memo,
            *(row.amounts.get(account) for account in accounts),
            row.cash_after,
        ]
        for row in statement.rows
    ]
    rows.append([None, None, _("Opening balance"), None, None, None, *(statement.opening[a] for a in accounts), None])
    rows.append([None, None, _("Closing balance"), None, None, None, *(statement.closing[a] for a in accounts), None])
    return header, rows


def _csv_safe(value: Any) -> Any:
    """Text that a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def statement_export(statement: Any, file_format: str) -> tuple[bytes, str, str]:
    """(content, content type, file name) of a statement as CSV or .xlsx."""
    header, rows = statement_table(statement)
    parts = [f"pool-{statement.pool.pk}"]
    if statement.bank is not None:
        parts.append(f"bank-{statement.bank.pk}")
    if statement.date_from:
        parts.append(f"from-{statement.date_from.isoformat()}")
    if statement.date_to:
        parts.append(f"to-{statement.date_to.isoformat()}")
    name = f"statement-{'-'.join(parts)}.{file_format}"
    if file_format == XLSX:
        content = write_xlsx_rows(_("Statement"), header, rows)
    else:
        content = write_csv_rows([[_csv_safe(value) for value in row] for row in [header, *rows]])
    return content, CONTENT_TYPES[file_format], name
