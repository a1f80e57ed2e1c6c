"""The league table's period picker, level and sorting (they only parse input; the selector validates)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from finbridge.analytics.selectors import BANK, BRANCH, DEFAULT_SORT, METRICS
from finbridge.enterprises.forms import BootstrapForm


class LeagueTableForm(BootstrapForm):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    level = forms.ChoiceField(
        label=_("Compare"), choices=((BANK, _("Banks")), (BRANCH, _("Bank offices"))), initial=BANK
    )
    scitech = forms.BooleanField(label=_("Sci-tech branches only"), required=False)
    sort = forms.ChoiceField(label=_("Rank by"), choices=[(m.key, m.label) for m in METRICS], initial=DEFAULT_SORT)
    order = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=(("", _("Best first")), ("desc", _("Highest first")), ("asc", _("Lowest first"))),
    )

    def __init__(self, data: Any, *, initial_period: Any) -> None:
        values = data.copy() if data else {}
        defaults = {
            "start": initial_period.start.isoformat(),
            "end": initial_period.end.isoformat(),
            "level": BANK,
            "sort": DEFAULT_SORT,
        }
        for key, value in defaults.items():
            if not values.get(key):
                values[key] = value
        super().__init__(values)
