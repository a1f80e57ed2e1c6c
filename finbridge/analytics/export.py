"""The league table as an .xlsx workbook, titled in the active language: the ranking on the first sheet (amounts
in CNY yuan, ratios as percentages), the period and the definitions on the second."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from finbridge.analytics.selectors import BANK, METRICS, LeagueRow, LeagueTable, Metric
from finbridge.enterprises.import_files import workbook_bytes

NUMBER_FORMATS = {"money": "#,##0.00", "count": "#,##0", "ratio": "0.00%", "rate": "0.000%", "days": "0.0"}


def _tier_label(row: LeagueRow) -> str:
    from finbridge.accounts.choices import BankTier

    try:
        return str(BankTier(row.tier).label)
    except ValueError:
        return row.tier


def _metric_title(metric: Metric) -> str:
    if metric.kind == "money":
        return _("%(figure)s (CNY)") % {"figure": metric.label}
    if metric.kind == "days":
        return _("%(figure)s (days)") % {"figure": metric.label}
    return str(metric.label)


def league_table_xlsx(table: LeagueTable, rows: Sequence[LeagueRow], sort_metric: Metric) -> bytes:
    """The ranked rows of `table` (already sorted by `sort_metric`) and the totals, as .xlsx bytes."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("League table")[:31]
    unit_title = _("Bank") if table.level == BANK else _("Bank office")
    header = [_("Rank"), unit_title, _("Head office"), _("Tier"), *(_metric_title(m) for m in METRICS)]
    sheet.append(header)
    for row in rows:
        sheet.append(
            [
                row.rank or None,
                row.unit.display_name,
                row.bank.display_name,
                _tier_label(row),
                *(_cell(row.value(m.key), m) for m in METRICS),
            ]
        )
    totals = table.totals
    sheet.append([None, _("All banks"), None, None, *(_cell(_total(totals, m), m) for m in METRICS)])
    bold, fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="0B5CAD")
    for cell in sheet[1]:
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for index, metric in enumerate(METRICS, start=5):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = 16
        for cells in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            cells[0].number_format = NUMBER_FORMATS[metric.kind]
    sheet.column_dimensions["B"].width = 36
    sheet.column_dimensions["C"].width = 28
    sheet.freeze_panes = "C2"
    _about(workbook.create_sheet(_("About")[:31]), table, sort_metric)
    return workbook_bytes(workbook)


def _total(totals: LeagueRow, metric: Metric) -> Any:
    if metric.key in ("msme_borrowers", "median_days_to_money"):
        return None
    return totals.value(metric.key)


def _cell(value: Any, metric: Metric) -> Any:
    if value is None:
        return None
    return int(value) if metric.kind == "count" else float(value)


def _about(sheet: Any, table: LeagueTable, sort_metric: Metric) -> None:
    period = table.period
    lines = [
        [_("Bank league table")],
        [_("Period"), f"{period.start:%Y-%m-%d} – {period.end:%Y-%m-%d}"],
        [_("Opening balances as of"), f"{period.opening:%Y-%m-%d}"],
        [_("Deadlines judged on"), f"{period.as_of:%Y-%m-%d}"],
        [_("Level"), _("Banks") if table.level == BANK else _("Bank offices")],
        [_("Ranked by"), str(sort_metric.label)],
        [_("Exported at"), timezone.localtime().strftime("%Y-%m-%d %H:%M")],
        [],
        [_("Amounts are in CNY yuan. Ratios whose denominator is zero are left empty.")],
        [
            _(
                "Balances are those of each loan's latest monthly status report on or before the day; a loan without "
                "one counts its amount until maturity."
            )
        ],
        [
            _(
                "Take-up rate: demands taken up, out of the demands answered and the demands the bank could see whose "
                "answer deadline passed without its answer (demands closed before their deadline left out)."
            )
        ],
    ]
    for line in lines:
        sheet.append(line)
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 40
