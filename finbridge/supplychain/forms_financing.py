"""Forms of the supply-chain financing pages: a financing request to chosen banks, a bank's offer or refusal.
They only parse input; every rule lives in services/financing.py, which gets the raw values (rates and ratios
converted from per cent)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.models import Organization
from finbridge.enterprises.forms import BootstrapForm, add_domain_errors
from finbridge.financing.forms_loans import rate_from_percent
from finbridge.supplychain.choices import RegistrationKind
from finbridge.supplychain.forms_receivables import DATE_WIDGET, organization_field

# Service field names → the form field that carries them.
SERVICE_FIELDS = {
    "funder_ids": "funders",
    "receivable_ids": "receivables",
    "voucher_ids": "vouchers",
    "advance_ratio": "advance_ratio_percent",
    "annual_rate": "annual_rate_percent",
}


def add_service_errors(form: forms.BaseForm, error: Any) -> None:
    """A service's field messages next to the form's fields (renamed where the form calls them otherwise)."""
    for name in list(error.fields):
        target = SERVICE_FIELDS.get(name)
        if target and target in form.fields:
            error.fields.setdefault(target, []).extend(error.fields.pop(name))
    add_domain_errors(form, error)


class RequestForm(BootstrapForm):
    """Ask chosen banks to finance confirmed receivables and/or held voucher parts."""

    receivables = forms.MultipleChoiceField(
        label=_("Confirmed receivables"), required=False, widget=forms.CheckboxSelectMultiple
    )
    vouchers = forms.MultipleChoiceField(
        label=_("Voucher parts you hold"), required=False, widget=forms.CheckboxSelectMultiple
    )
    funders = forms.MultipleChoiceField(
        label=_("Banks to ask"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Each bank sees the request, the debtor's confirmation and the registration search."),
    )
    amount_requested = forms.CharField(
        label=_("Amount requested (CNY)"),
        required=False,
        help_text=_("At most the face amount of what you offer; leave empty to ask for all of it."),
    )
    respond_by = forms.CharField(
        label=_("Answers due by"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("Leave empty for the default. The request closes if no offer is accepted by then."),
    )
    note = forms.CharField(
        label=_("Note to the banks"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self,
        *args: Any,
        organizations: list[Organization],
        receivables: list[Any],
        vouchers: list[Any],
        funders: list[Organization],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["receivables"].choices = [(str(r.pk), r) for r in receivables]
        self.fields["vouchers"].choices = [(str(v.pk), v) for v in vouchers]
        self.fields["funders"].choices = [(str(f.pk), f.display_name) for f in funders]
        choice = organization_field(organizations, _("Request for"))
        if choice is not None:
            self.fields = {"organization": choice, **self.fields}
            self.fields["organization"].widget.attrs["class"] = "form-select"

    def service_arguments(self) -> dict[str, Any]:
        """financing_request_create's keyword arguments; call after is_valid()."""
        data = self.cleaned_data
        return {
            "funder_ids": data.get("funders") or [],
            "receivable_ids": data.get("receivables") or [],
            "voucher_ids": data.get("vouchers") or [],
            "amount_requested": data.get("amount_requested") or None,
            "respond_by": data.get("respond_by") or None,
            "note": data.get("note") or "",
            "organization": data.get("organization"),
        }


class OfferForm(BootstrapForm):
    """A bank's offer: the amount advanced (or a ratio of the face amount), rate, fees, term, registration."""

    advance_amount = forms.CharField(
        label=_("Amount advanced (CNY)"), required=False, help_text=_("Or give the advance ratio instead.")
    )
    advance_ratio_percent = forms.CharField(
        label=_("Advance ratio (%)"), required=False, help_text=_("Per cent of the face amount, e.g. 80.")
    )
    annual_rate_percent = forms.CharField(
        label=_("Annual rate (%)"), required=False, help_text=_("In per cent, e.g. 3.85.")
    )
    fees = forms.CharField(label=_("Fees (CNY)"), required=False, help_text=_("In yuan; empty for none."))
    term_days = forms.CharField(label=_("Term (days)"), required=False, widget=forms.NumberInput(attrs={"min": 1}))
    registration_kind = forms.ChoiceField(
        label=_("Registration"),
        choices=RegistrationKind.choices,
        widget=forms.RadioSelect,
        initial=RegistrationKind.PLEDGE,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))

    def service_data(self) -> dict[str, Any]:
        """financing_offer_make's `data`; call after is_valid()."""
        data = self.cleaned_data
        values: dict[str, Any] = {
            "annual_rate": rate_from_percent(data.get("annual_rate_percent")),
            "term_days": data.get("term_days"),
            "registration_kind": data.get("registration_kind"),
            "note": data.get("note") or "",
        }
        if data.get("advance_amount"):
            values["advance_amount"] = data["advance_amount"]
        if data.get("advance_ratio_percent"):
            values["advance_ratio"] = rate_from_percent(data["advance_ratio_percent"])
        if data.get("fees"):
            values["fees"] = data["fees"]
        return values


class RefuseForm(BootstrapForm):
    reason = forms.CharField(
        label=_("Reason for refusing"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
