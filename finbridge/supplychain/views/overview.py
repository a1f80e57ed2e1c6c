"""The supply-chain overview page: period and filters, headline figures, ECharts charts and the tables by debtor,
funder, voucher tier and month. Bad input answers 400 with the messages on the form.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from finbridge.analytics.selectors import default_period
from finbridge.core.errors import PermissionDenied, ValidationFailed
from finbridge.core.money import yuan_to_wan
from finbridge.core.permissions import require_perm
from finbridge.enterprises.forms import BootstrapForm
from finbridge.enterprises.views import registry_page
from finbridge.financing.forms_loans import add_domain_errors
from finbridge.supplychain import permissions as perms
from finbridge.supplychain.selectors.overview import (
    AUTHORITY,
    FUNDER,
    Overview,
    Viewpoint,
    filter_choices,
    overview_viewpoints,
    supplychain_overview,
)

CHART_BARS = 15
PAGE_ROWS = 20  # debtors and funders listed on the page (the API lists 100); the rest is added up


class OverviewForm(BootstrapForm):
    """Parses the page's query string; the selector checks the values (ids, period)."""

    organization = forms.CharField(label=gettext_lazy("Seen as"), required=False, widget=forms.Select)
    start = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))
    debtor = forms.CharField(label=gettext_lazy("Debtor"), required=False, widget=forms.Select)
    funder = forms.CharField(label=gettext_lazy("Funder"), required=False, widget=forms.Select)

    def __init__(self, data: Any, *, viewpoints: list[Viewpoint], choices: dict[str, list[Any]]) -> None:
        values = data.copy()
        period = default_period()
        for key, value in (("start", period.start.isoformat()), ("end", period.end.isoformat())):
            if not values.get(key):
                values[key] = value
        super().__init__(values)
        self.fields["organization"].widget.choices = [(str(v.organization.pk), _label(v)) for v in viewpoints]
        everyone = [("", _("All"))]
        self.fields["debtor"].widget.choices = everyone + [(str(o.pk), o.display_name) for o in choices["debtors"]]
        self.fields["funder"].widget.choices = everyone + [(str(o.pk), o.display_name) for o in choices["funders"]]


def _label(viewpoint: Viewpoint) -> str:
    kinds = {AUTHORITY: _("district authority"), FUNDER: _("funder")}
    kind = kinds.get(viewpoint.kind, _("debtor"))
    return f"{viewpoint.organization.display_name} ({kind})"


def _chosen_viewpoint(request: HttpRequest, viewpoints: list[Viewpoint]) -> Viewpoint:
    wanted = request.GET.get("organization", "")
    return next((v for v in viewpoints if str(v.organization.pk) == wanted), viewpoints[0])


def _compute(request: HttpRequest) -> tuple[OverviewForm, Overview | None, list[Viewpoint]]:
    require_perm(request.user, perms.VIEW_OVERVIEW)
    viewpoints = overview_viewpoints(actor=request.user)
    if not viewpoints:
        raise PermissionDenied()
    choices = filter_choices(viewpoint=_chosen_viewpoint(request, viewpoints))
    form = OverviewForm(request.GET, viewpoints=viewpoints, choices=choices)
    if not form.is_valid():
        return form, None, viewpoints
    data = form.cleaned_data
    try:
        overview = supplychain_overview(
            actor=request.user,
            start=data["start"],
            end=data["end"],
            debtor=data.get("debtor"),
            funder=data.get("funder"),
            organization=data.get("organization"),
            rows=PAGE_ROWS,
        )
    except ValidationFailed as error:
        add_domain_errors(form, error)
        return form, None, viewpoints
    return form, overview, viewpoints


class _Wan:
    """A group's figures for the tables: amounts in 万元 (ten thousand yuan; the unit is printed above each table),
    everything else as it is."""

    def __init__(self, figures: Any) -> None:
        self._figures = figures

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._figures, name)
        return yuan_to_wan(value) if name.endswith("_amount") and value is not None else value


def _for_tables(overview: Overview) -> dict[str, Any]:
    """Every table row with `wan`, its figures in 万元."""
    for rows in (overview.by_debtor, overview.by_funder, overview.by_tier, overview.by_month):
        for row in rows:
            row.wan = _Wan(row.figures)
    return {
        "other_debtors": _Wan(overview.other_debtors) if overview.other_debtors else None,
        "other_funders": _Wan(overview.other_funders) if overview.other_funders else None,
    }


def _wan(value: Any) -> float:
    return float(yuan_to_wan(value))


def _charts(overview: Overview) -> dict[str, Any]:
    """The data of the page's ECharts charts, amounts in 万元 (ten thousand yuan)."""
    series_names = {
        "confirmed": _("Confirmed"),
        "requested": _("Asked for"),
        "financed": _("Financed"),
        "settled": _("Settled"),
        "voucher": _("Voucher volume"),
        "overdue": _("Overdue"),
    }
    months = overview.by_month
    debtors = sorted(
        overview.by_debtor,
        key=lambda row: (row.figures.confirmed_amount + row.figures.requested_amount, row.figures.financed_amount),
        reverse=True,
    )[:CHART_BARS]
    funders = overview.by_funder[:CHART_BARS]
    funder_side = overview.funder_side
    keys = {
        "months": ["requested", "financed", "settled"]
        if funder_side
        else ["confirmed", "requested", "financed", "settled"],
        "debtors": ["requested", "financed", "settled", "overdue"]
        if funder_side
        else ["confirmed", "financed", "settled", "overdue"],
        "tiers": ["financed", "settled"] if funder_side else ["voucher", "financed", "settled"],
    }
    return {
        "keys": keys,
        "unit": _("ten-thousand yuan"),
        "days": _("days"),
        "names": series_names,
        "months": {
            "labels": [row.month.strftime("%Y-%m") for row in months],
            "confirmed": [_wan(row.figures.confirmed_amount) for row in months],
            "requested": [_wan(row.figures.requested_amount) for row in months],
            "financed": [_wan(row.figures.financed_amount) for row in months],
            "settled": [_wan(row.figures.settled_amount) for row in months],
            "days_early": [
                None if row.figures.average_days_early is None else float(row.figures.average_days_early)
                for row in months
            ],
            "days_label": _("Average days paid early"),
        },
        "debtors": {
            "labels": [row.organization.display_name for row in debtors],
            "confirmed": [_wan(row.figures.confirmed_amount) for row in debtors],
            "requested": [_wan(row.figures.requested_amount) for row in debtors],
            "financed": [_wan(row.figures.financed_amount) for row in debtors],
            "settled": [_wan(row.figures.settled_amount) for row in debtors],
            "overdue": [_wan(row.figures.overdue_amount) for row in debtors],
        },
        "funders": {
            "labels": [row.organization.display_name for row in funders],
            "requested": [_wan(row.figures.requested_amount) for row in funders],
            "financed": [_wan(row.figures.financed_amount) for row in funders],
            "settled": [_wan(row.figures.settled_amount) for row in funders],
        },
        "tiers": {
            "labels": [row.label for row in overview.by_tier],
            "voucher": [_wan(row.figures.voucher_amount) for row in overview.by_tier],
            "financed": [_wan(row.figures.financed_amount) for row in overview.by_tier],
            "settled": [_wan(row.figures.settled_amount) for row in overview.by_tier],
        },
    }


def _presets() -> list[tuple[str, str, str]]:
    """(label, start, end) of the quick periods: the last twelve months, this year, last year."""
    today = timezone.localdate()
    last = default_period(today)
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
def overview_view(request: HttpRequest) -> HttpResponse:
    """The overview for the district authority, a core enterprise or a bank (their own side only)."""
    form, overview, viewpoints = _compute(request)
    context = {
        "form": form,
        "overview": overview,
        "viewpoints": viewpoints,
        "charts": _charts(overview) if overview else None,
        "others": _for_tables(overview) if overview else {},
        "presets": _presets(),
    }
    return render(request, "supplychain/overview/overview.html", context, status=200 if overview else 400)
