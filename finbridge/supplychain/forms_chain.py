"""Forms of the chain-database pages. They only parse input: every rule lives in services/chain.py, which gets
the raw values; its errors are put back onto the form with add_domain_errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.models import Organization
from finbridge.enterprises.forms import BootstrapForm
from finbridge.financing.forms_loans import add_domain_errors
from finbridge.supplychain.models.chain import ChainDirection, ChainPartnerStatus

__all__ = [
    "ChainFilterForm",
    "ChainImportForm",
    "ChainPartnerEditForm",
    "ChainPartnerEndForm",
    "ChainPartnerForm",
    "FunderChoiceForm",
    "RecommendationAnswerForm",
    "RecommendationForm",
    "SummaryForm",
    "add_domain_errors",
]

DATE = forms.DateInput(attrs={"type": "date"})


class _CoreChoice:
    """A `core` choice field, dropped when the user manages exactly one core enterprise."""

    def _set_cores(self, cores: list[Organization]) -> None:
        self.cores = {org.pk: org for org in cores}
        if len(cores) <= 1:
            del self.fields["core"]  # type: ignore[attr-defined]
            return
        field = self.fields["core"]  # type: ignore[attr-defined]
        field.choices = [(org.pk, org.display_name) for org in cores]

    def selected_core(self) -> Organization | None:
        if "core" not in self.fields:  # type: ignore[attr-defined]
            return next(iter(self.cores.values()), None)
        return self.cores.get(self.cleaned_data.get("core"))  # type: ignore[attr-defined]


class ChainFilterForm(BootstrapForm):
    """The search box and filters of the chain list (invalid values are ignored)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name or credit code"), "autocomplete": "off"}
        ),
    )
    direction = forms.ChoiceField(
        label=_("Direction"), required=False, choices=[("", _("Any")), *ChainDirection.choices]
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any")), *ChainPartnerStatus.choices])

    def selector_arguments(self) -> dict[str, str]:
        data = self.cleaned_data if self.is_valid() else {}
        return {name: data.get(name) or "" for name in ("q", "direction", "status")}


class ChainPartnerEditForm(BootstrapForm):
    """The fields of a listing that can change."""

    since = forms.CharField(label=_("Partner since"), widget=DATE)
    annual_volume = forms.CharField(
        label=_("Annual transaction volume (CNY)"), help_text=_("In CNY yuan, such as 12,000,000.")
    )
    payment_terms_days = forms.CharField(label=_("Payment terms (days)"), required=False)
    payment_terms = forms.CharField(
        label=_("Payment terms"), required=False, help_text=_("Such as: monthly statement, bank acceptance bill.")
    )

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name, "") for name in self.fields if name != "core"}


class ChainPartnerForm(_CoreChoice, ChainPartnerEditForm):
    """A new listing: which core (when the user manages several), the partner by credit code and the direction."""

    core = forms.TypedChoiceField(label=_("Core enterprise"), coerce=int)
    partner_uscc = forms.CharField(
        label=_("Partner's unified social credit code"),
        max_length=40,
        help_text=_("The partner must be in the MSME registry."),
    )
    direction = forms.ChoiceField(label=_("Direction"), choices=ChainDirection.choices, widget=forms.RadioSelect)
    field_order = ["core", "partner_uscc", "direction", "since", "annual_volume", "payment_terms_days", "payment_terms"]

    def __init__(self, *args: Any, cores: list[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_cores(cores)


class ChainPartnerEndForm(BootstrapForm):
    ended_on = forms.CharField(label=_("Ended on"), required=False, widget=DATE, help_text=_("Today when empty."))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=255)


class FunderChoiceForm(BootstrapForm):
    """Funders to choose (active banks)."""

    funders = forms.MultipleChoiceField(label=_("Funders"), widget=forms.CheckboxSelectMultiple, required=False)

    def __init__(self, *args: Any, funders: list[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["funders"].choices = [(str(org.pk), org.display_name) for org in funders]


class RecommendationForm(FunderChoiceForm):
    note = forms.CharField(
        label=_("Note to the funders"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Why you recommend this partner: how long you have worked together, how reliably it delivers."),
    )


class RecommendationAnswerForm(BootstrapForm):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class SummaryForm(FunderChoiceForm):
    """A transaction summary and, optionally, the funders to share it with at once."""

    period_start = forms.CharField(label=_("Period from"), widget=DATE)
    period_end = forms.CharField(label=_("Period to"), widget=DATE)
    volume = forms.CharField(label=_("Transaction volume (CNY)"))
    transaction_count = forms.CharField(label=_("Number of transactions"))
    on_time_share = forms.CharField(
        label=_("Share paid on time"), help_text=_("A fraction such as 0.95, or a percentage such as 95%.")
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    field_order = ["period_start", "period_end", "volume", "transaction_count", "on_time_share", "note", "funders"]

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name, "") for name in self.fields if name != "funders"}


class ChainImportForm(_CoreChoice, BootstrapForm):
    core = forms.TypedChoiceField(label=_("Import for"), coerce=int)
    file = forms.FileField(
        label=_("Partner list (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def __init__(self, *args: Any, cores: list[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_cores(cores)
