"""Forms of the demand pages. They only parse input; every rule lives in the services.

Amounts are typed in 万元 (ten thousand yuan), as Chinese users expect, and converted exactly to yuan
(money.wan_to_yuan: 12.345678 万元 is 123,456.78 yuan); rates are typed in percent and converted exactly to
the fraction the services store (4.35 % is 0.0435). The service's ValidationFailed.fields are put back onto
the form with `add_service_errors`, which maps the service's field names to the form's.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.models import Organization
from finbridge.core.errors import DomainError
from finbridge.core.money import to_decimal, wan_to_yuan, yuan_to_wan
from finbridge.enterprises.forms import BootstrapForm
from finbridge.financing.choices import (
    Collateral,
    DeclineReason,
    DemandPurpose,
    DemandVisibility,
    ProductStatus,
)
from finbridge.financing.models import Demand, DemandResponse, Product
from finbridge.financing.selectors.demands import LENDER_TYPES

HUNDRED = Decimal("100")
MSG_WAN = _("Enter an amount in ten-thousand yuan, such as 250 or 12.5.")
MSG_PERCENT = _("Enter a rate in percent, such as 4.35.")

# Service field name -> form field name, where they differ.
FIELD_MAP = {
    "amount": "amount_wan",
    "max_annual_rate": "max_rate_percent",
    "annual_rate": "rate_percent",
}


def add_service_errors(form: forms.BaseForm, error: DomainError) -> None:
    """Show a service's error on the form: field messages next to their fields, the rest on top."""
    placed = False
    for name, messages in error.fields.items():
        target = FIELD_MAP.get(name, name)
        target = target if target in form.fields else None
        for message in messages:
            form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


def _wan_field(label: Any, *, required: bool = True, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


def _percent_field(label: Any, *, required: bool = True, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


def parse_wan(value: str) -> Decimal | None:
    """万元 text to yuan, exactly; None for blank; forms.ValidationError when not a number."""
    if not value or not value.strip():
        return None
    try:
        return wan_to_yuan(to_decimal(value))
    except ValueError:
        raise forms.ValidationError(MSG_WAN) from None


def parse_percent(value: str) -> Decimal | None:
    """Percent text to a fraction, exactly; None for blank; forms.ValidationError when not a number."""
    if not value or not value.strip():
        return None
    try:
        return to_decimal(value.strip().rstrip("%").strip()) / HUNDRED
    except ValueError:
        raise forms.ValidationError(MSG_PERCENT) from None


def _plain(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return text


class InstitutionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Organization) -> str:
        return f"{obj.display_name} · {obj.get_bank_tier_display() or obj.get_org_type_display()}"


class DemandForm(BootstrapForm):
    """Create or edit a demand (the firm), or record one on a firm's behalf (government staff)."""

    enterprise = forms.CharField(
        label=_("Enterprise (unified social credit code)"),
        max_length=30,
        help_text=_("The 18-character code of a firm in your remit."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    amount_wan = _wan_field(_("Amount (ten-thousand yuan)"), help_text=_("In 万元: 250 means 2,500,000 yuan."))
    term_months = forms.IntegerField(label=_("Term (months)"), min_value=1, max_value=360)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=[("", "—")] + list(DemandPurpose.choices))
    collateral_offered = forms.MultipleChoiceField(
        label=_("Collateral the firm can offer"),
        required=False,
        choices=Collateral.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    collateral_note = forms.CharField(label=_("Collateral details"), required=False, max_length=255)
    max_rate_percent = _percent_field(
        _("Highest acceptable annual rate (%)"), required=False, help_text=_("Leave empty if any rate is acceptable.")
    )
    needed_by = forms.DateField(
        label=_("Money needed by"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    description = forms.CharField(
        label=_("Description"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    visibility = forms.ChoiceField(
        label=_("Who may see the demand"),
        choices=DemandVisibility.choices,
        initial=DemandVisibility.ALL,
        widget=forms.RadioSelect,
        help_text=_("Showing the demand to institutions lets them see the firm's summary profile."),
    )
    chosen_institutions = InstitutionChoiceField(
        label=_("Chosen institutions"),
        required=False,
        queryset=Organization.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choosing a head office covers its branches."),
    )
    recorded_source = forms.CharField(
        label=_("Where the need was collected"),
        max_length=200,
        required=False,
        help_text=_("For example: company visit on 2025-03-01, or the bank-enterprise matchmaking event."),
    )

    def __init__(
        self,
        *args: Any,
        demand: Demand | None = None,
        on_behalf: bool = False,
        ask_enterprise: bool = False,
        **kwargs: Any,
    ) -> None:
        if demand is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(demand)
        super().__init__(*args, **kwargs)
        self.demand = demand
        self.fields["chosen_institutions"].queryset = Organization.objects.filter(
            org_type__in=LENDER_TYPES, is_active=True
        ).order_by("org_type", "name")
        if not ask_enterprise:
            del self.fields["enterprise"]
        if not on_behalf:
            del self.fields["recorded_source"]
        else:
            self.fields["recorded_source"].required = True

    @staticmethod
    def initial_from(demand: Demand) -> dict[str, Any]:
        return {
            "amount_wan": _plain(yuan_to_wan_exact(demand.amount)),
            "term_months": demand.term_months,
            "purpose": demand.purpose,
            "collateral_offered": demand.collateral_offered,
            "collateral_note": demand.collateral_note,
            "max_rate_percent": _plain(demand.max_annual_rate * HUNDRED) if demand.max_annual_rate is not None else "",
            "needed_by": demand.needed_by,
            "description": demand.description,
            "visibility": demand.visibility,
            "chosen_institutions": list(demand.chosen_institutions.all()) if demand.pk else [],
            "recorded_source": demand.recorded_source,
        }

    def clean_amount_wan(self) -> Decimal | None:
        return parse_wan(self.cleaned_data.get("amount_wan", ""))

    def clean_max_rate_percent(self) -> Decimal | None:
        return parse_percent(self.cleaned_data.get("max_rate_percent", ""))

    def service_data(self) -> dict[str, Any]:
        """The raw values for the demand services (amount in yuan, rate as a fraction)."""
        data = self.cleaned_data
        values: dict[str, Any] = {
            "amount": data.get("amount_wan"),
            "term_months": data.get("term_months"),
            "purpose": data.get("purpose"),
            "collateral_offered": list(data.get("collateral_offered") or []),
            "collateral_note": data.get("collateral_note") or "",
            "max_annual_rate": data.get("max_rate_percent"),
            "needed_by": data.get("needed_by"),
            "description": data.get("description") or "",
            "visibility": data.get("visibility") or DemandVisibility.ALL,
            "chosen_institutions": [o.pk for o in data.get("chosen_institutions") or []],
        }
        if "recorded_source" in self.fields:
            values["recorded_source"] = data.get("recorded_source") or ""
        return values


def yuan_to_wan_exact(amount: Decimal) -> Decimal:
    """Yuan to 万元 without rounding (for showing a stored amount back in the form)."""
    return to_decimal(amount) / Decimal("10000")


class AnswerForm(BootstrapForm):
    """Take up or pass: an optional note, and the institution when the person belongs to several."""

    note = forms.CharField(
        label=_("Note to the firm"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    institution = forms.ModelChoiceField(label=_("Answer for"), queryset=Organization.objects.none(), required=False)

    def __init__(self, *args: Any, institutions: list[Organization] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        institutions = institutions or []
        if len(institutions) > 1:
            self.fields["institution"].queryset = Organization.objects.filter(pk__in=[o.pk for o in institutions])
            self.fields["institution"].required = True
        else:
            del self.fields["institution"]


class ApproveForm(BootstrapForm):
    amount_wan = _wan_field(_("Approved amount (ten-thousand yuan)"))
    rate_percent = _percent_field(_("Annual rate (%)"))
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none(), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, engagement: DemandResponse | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if engagement is not None:
            institution = engagement.institution
            self.fields["product"].queryset = Product.objects.filter(
                provider_id__in=[i for i in (institution.pk, institution.parent_id) if i],
                status=ProductStatus.PUBLISHED,
            ).order_by("name")
            if not self.is_bound:
                self.initial.setdefault("amount_wan", _plain(yuan_to_wan_exact(engagement.demand.amount)))

    def clean_amount_wan(self) -> Decimal | None:
        return parse_wan(self.cleaned_data.get("amount_wan", ""))

    def clean_rate_percent(self) -> Decimal | None:
        return parse_percent(self.cleaned_data.get("rate_percent", ""))


class DeclineForm(BootstrapForm):
    reason = forms.ChoiceField(label=_("Reason"), choices=[("", "—")] + list(DeclineReason.choices))
    note = forms.CharField(
        label=_("Explanation"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the reason is “Other”."),
    )


FIRST_TIME_CHOICES = [("", _("Work it out from the ledger")), ("yes", _("Yes")), ("no", _("No"))]


class DisburseForm(BootstrapForm):
    """The loan details recorded in the ledger when the bank pays out."""

    reference = forms.CharField(label=_("Loan contract number"), max_length=64)
    disbursed_on = forms.DateField(label=_("Disbursed on"), widget=forms.DateInput(attrs={"type": "date"}))
    amount_wan = _wan_field(
        _("Amount (ten-thousand yuan)"), required=False, help_text=_("Leave empty for the approved amount.")
    )
    term_months = forms.IntegerField(
        label=_("Term (months)"), required=False, help_text=_("Leave empty for the demand's term.")
    )
    rate_percent = _percent_field(
        _("Annual rate (%)"), required=False, help_text=_("Leave empty for the approved rate.")
    )
    maturity_on = forms.DateField(
        label=_("Matures on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty to count the term from the disbursal date."),
    )
    is_first_time = forms.ChoiceField(label=_("First-time loan"), choices=FIRST_TIME_CHOICES, required=False)
    is_renewal = forms.BooleanField(label=_("Renewal"), required=False)
    is_renewal_without_repayment = forms.BooleanField(
        label=_("Renewal without repaying principal first"), required=False
    )
    is_credit = forms.BooleanField(label=_("Credit loan (no collateral, no guarantee)"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("disbursed_on", timezone.localdate().isoformat())

    def clean_amount_wan(self) -> Decimal | None:
        return parse_wan(self.cleaned_data.get("amount_wan", ""))

    def clean_rate_percent(self) -> Decimal | None:
        return parse_percent(self.cleaned_data.get("rate_percent", ""))

    def loan_data(self) -> dict[str, Any]:
        """The `loan` mapping for responses.engagement_disburse."""
        data = self.cleaned_data
        values: dict[str, Any] = {
            "reference": data["reference"],
            "disbursed_on": data["disbursed_on"],
            "is_renewal": data.get("is_renewal", False),
            "is_renewal_without_repayment": data.get("is_renewal_without_repayment", False),
            "is_credit": data.get("is_credit", False),
        }
        first = data.get("is_first_time")
        if first:
            values["is_first_time"] = first == "yes"
        for form_name, name in (
            ("amount_wan", "amount"),
            ("term_months", "term_months"),
            ("rate_percent", "annual_rate"),
            ("maturity_on", "maturity_on"),
        ):
            if data.get(form_name) is not None:
                values[name] = data[form_name]
        return values


class DemandFilterForm(BootstrapForm):
    """The filters of the demand list (all optional; invalid values are ignored)."""

    q = forms.CharField(
        label=_("Enterprise"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Part of the name")}),
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    answered = forms.ChoiceField(
        label=_("Your answer"),
        required=False,
        choices=[("", _("Any")), ("false", _("Not answered yet")), ("true", _("Answered"))],
    )

    def __init__(self, *args: Any, institution: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from finbridge.financing.choices import DemandStatus

        self.fields["status"].choices = [("", _("Any status"))] + list(DemandStatus.choices)
        if not institution:
            del self.fields["answered"]

    def filters(self) -> dict[str, str]:
        return {name: value for name, value in (self.cleaned_data or {}).items() if value}


__all__ = [
    "AnswerForm",
    "ApproveForm",
    "DeclineForm",
    "DemandFilterForm",
    "DemandForm",
    "DisburseForm",
    "add_service_errors",
    "yuan_to_wan",
]
