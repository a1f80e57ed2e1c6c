"""The league-table page (period picker, ranking, charts) and its .xlsx export.

Views parse input, call the selector and render; a bad period comes back as messages on the form (status 400).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from finbridge.accounts.choices import BankTier
from finbridge.analytics import selectors
from finbridge.analytics.export import league_table_xlsx
from finbridge.analytics.forms import LeagueTableForm
from finbridge.analytics.selectors import BRANCH, METRIC_BY_KEY, METRICS, LeagueRow, LeagueTable
from finbridge.core.errors import ValidationFailed
from finbridge.core.money import yuan_to_wan
from finbridge.core.permissions import require_perm
from finbridge.enterprises.import_files import CONTENT_TYPES, XLSX
from finbridge.enterprises.views import registry_page
from finbridge.financing import permissions as perms
from finbridge.financing.forms_loans import add_domain_errors

CHART_METRICS = [metric for metric in METRICS if metric.chart]


def _compute(request: HttpRequest) -> tuple[LeagueTableForm, LeagueTable | None, list[LeagueRow], Any]:
    """The form, the table (None when the input is bad), its ranked rows and the metric ranked by."""
    require_perm(request.user, perms.VIEW_LEAGUE_TABLE)
    form = LeagueTableForm(request.GET, initial_period=selectors.default_period())
    if not form.is_valid():
        return form, None, [], METRIC_BY_KEY[selectors.DEFAULT_SORT]
    data = form.cleaned_data
    try:
        table = selectors.league_table(actor=request.user, start=data["start"], end=data["end"], level=data["level"])
    except ValidationFailed as error:
        add_domain_errors(form, error)
        return form, None, [], METRIC_BY_KEY[selectors.DEFAULT_SORT]
    rows = table.rows
    if data["level"] == BRANCH and data.get("scitech"):
        rows = [row for row in rows if row.tier == BankTier.SCITECH_BRANCH]
    order = data.get("order")
    descending = None if not order else order == "desc"
    metric = METRIC_BY_KEY[data["sort"]]
    return form, table, selectors.ranked(rows, metric.key, descending=descending), metric


def _chart_value(row: LeagueRow, metric: selectors.Metric) -> float | None:
    value = row.value(metric.key)
    if value is None:
        return None
    if metric.kind == "money":
        return float(yuan_to_wan(value))
    if metric.kind in ("ratio", "rate"):
        return round(float(value) * 100, 2)
    return float(value)


CHART_BARS = 15


def _charts(rows: list[LeagueRow]) -> list[dict[str, Any]]:
    """For ECharts: one bar chart per charted figure, the best CHART_BARS rows by that figure, best on top."""
    units = {"money": _("ten-thousand yuan"), "ratio": "%", "rate": "%", "count": "", "days": _("days")}
    charts = []
    for metric in CHART_METRICS:
        best = sorted((row for row in rows if row.value(metric.key) is not None), key=lambda r: r.unit.display_name)
        best.sort(key=lambda row: row.value(metric.key), reverse=metric.higher_is_better)
        best = best[:CHART_BARS]
        charts.append(
            {
                "key": metric.key,
                "title": str(metric.label),
                "unit": str(units[metric.kind]),
                "integer": metric.kind == "count",
                "names": [row.unit.display_name for row in best],
                "values": [_chart_value(row, metric) for row in best],
            }
        )
    return charts


def _presets() -> list[tuple[str, str, str]]:
    """(label, start, end) of the quick periods: the last twelve months, this year, last year."""
    today = timezone.localdate()
    last = selectors.default_period(today)
    return [
        (_("Last 12 months"), last.start.isoformat(), last.end.isoformat()),
        (_("This year"), today.replace(month=1, day=1).isoformat(), today.isoformat()),
        (
            _("Last year"),
            datetime.date(today.year - 1, 1, 1).isoformat(),
            datetime.date(today.year - 1, 12, 31).isoformat(),
        ),
    ]


@registry_page
@require_GET
def league_table_view(request: HttpRequest) -> HttpResponse:
    """The ranking of banks or bank offices over a chosen period, with bar charts."""
    form, table, rows, metric = _compute(request)
    context = {
        "form": form,
        "table": table,
        "rows": rows,
        "totals": table.totals if table else None,
        "metrics": METRICS,
        "sort_metric": metric,
        "charts": _charts(rows) if table else [],
        "is_branch_level": bool(table and table.level == BRANCH),
        "presets": _presets(),
    }
    return render(request, "analytics/league_table.html", context, status=200 if table else 400)


@registry_page
@require_GET
def league_table_export_view(request: HttpRequest) -> HttpResponse:
    """The ranking as an .xlsx download (same parameters as the page), titled in the active language."""
    form, table, rows, metric = _compute(request)
    if table is None:
        return render(
            request,
            "analytics/league_table.html",
            {"form": form, "table": None, "rows": [], "metrics": METRICS, "charts": [], "presets": _presets()},
            status=400,
        )
    response = HttpResponse(league_table_xlsx(table, rows, metric), content_type=CONTENT_TYPES[XLSX])
    period = table.period
    name = f"league-table-{table.level}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
