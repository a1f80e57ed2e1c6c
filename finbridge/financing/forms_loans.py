"""Forms of the loans-ledger pages. They only parse input: every rule lives in services/loans.py, which gets the
raw values; its ValidationFailed.fields are put back onto the form with `add_domain_errors`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.models import Organization
from finbridge.core.errors import DomainError
from finbridge.core.money import to_decimal
from finbridge.enterprises.forms import BootstrapForm
from finbridge.financing.choices import LoanClassification, LoanSource
from finbridge.financing.selectors.loans import ORDERINGS
from finbridge.financing.services.loan_imports import KIND_LABELS, KINDS

YES_NO_ANY = (("", _("Any")), ("true", _("Yes")), ("false", _("No")))
FLAG_FIELDS = ("first_time", "renewal", "credit", "tech", "inclusive")
# Service field names → the form field that carries them.
SERVICE_FIELDS = {"annual_rate": "annual_rate_percent", "borrower": "borrower_uscc"}


def add_domain_errors(form: forms.BaseForm, error: DomainError) -> None:
    """Show a service's error on the form: field messages next to their fields, the rest on top."""
    placed = False
    for name, messages in error.fields.items():
        target = SERVICE_FIELDS.get(name, name)
        target = target if target in form.fields else None
        for message in messages:
            form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


def rate_from_percent(value: Any) -> Any:
    """A rate typed in per cent ("3.45" or "3.45%") as a fraction; anything else is passed on for the service."""
    text = str(value or "").strip().rstrip("%").rstrip("％").strip()
    if not text:
        return None
    try:
        return to_decimal(text) / 100
    except ValueError:
        return value


class LoanFilterForm(BootstrapForm):
    """The search box and filters of the loan list (all optional; invalid values are ignored)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Contract number, borrower or credit code"),
                "autocomplete": "off",
            }
        ),
    )
    lender = forms.TypedChoiceField(label=_("Lending office"), required=False, coerce=int, empty_value=None)
    classification = forms.ChoiceField(label=_("Classification"), required=False)
    disbursed_from = forms.DateField(
        label=_("Disbursed from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    disbursed_to = forms.DateField(
        label=_("Disbursed to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    first_time = forms.ChoiceField(label=_("First-time loan"), required=False, choices=YES_NO_ANY)
    renewal = forms.ChoiceField(label=_("Renewal"), required=False, choices=YES_NO_ANY)
    credit = forms.ChoiceField(label=_("Credit loan"), required=False, choices=YES_NO_ANY)
    tech = forms.ChoiceField(label=_("Technology enterprise"), required=False, choices=YES_NO_ANY)
    inclusive = forms.ChoiceField(label=_("Inclusive loan"), required=False, choices=YES_NO_ANY)
    source = forms.ChoiceField(label=_("Source"), required=False)
    ordering = forms.ChoiceField(label=_("Sort by"), required=False)

    def __init__(self, *args: Any, lenders: list[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lender"].choices = [("", _("All offices"))] + [(o.pk, o.display_name) for o in lenders]
        self.fields["classification"].choices = [("", _("Any"))] + list(LoanClassification.choices)
        self.fields["source"].choices = [("", _("Any"))] + list(LoanSource.choices)
        labels = {
            "-disbursed_on": _("Newest disbursal first"),
            "disbursed_on": _("Oldest disbursal first"),
            "-amount": _("Largest amount first"),
            "amount": _("Smallest amount first"),
            "-outstanding_balance": _("Largest balance first"),
            "maturity_on": _("Soonest maturity first"),
            "reference": _("Contract number"),
        }
        self.fields["ordering"].choices = [(key, label) for key, label in labels.items() if key in ORDERINGS]

    def selector_arguments(self) -> tuple[dict[str, Any], str]:
        """(filters, ordering) for loan_list from the valid, non-empty values; call after is_valid()."""
        cleaned = {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
        ordering = cleaned.pop("ordering", "")
        return cleaned, ordering


class LoanForm(BootstrapForm):
    """Record a loan. Values go raw to loan_record (the rate converted from per cent)."""

    lender = forms.TypedChoiceField(label=_("Lending office"), coerce=int)
    borrower_uscc = forms.CharField(
        label=_("Borrower's unified social credit code"),
        max_length=30,
        required=False,
        help_text=_("The borrower must have given your bank a consent that is in force."),
    )
    reference = forms.CharField(label=_("Loan contract number"), max_length=64, required=False)
    amount = forms.CharField(
        label=_("Amount (CNY)"), required=False, help_text=_("In yuan, not ten-thousand yuan, e.g. 1,500,000.00.")
    )
    disbursed_on = forms.CharField(
        label=_("Disbursed on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    term_months = forms.CharField(label=_("Term (months)"), required=False, widget=forms.NumberInput(attrs={"min": 1}))
    annual_rate_percent = forms.CharField(
        label=_("Annual rate (%)"), required=False, help_text=_("In per cent, e.g. 3.45.")
    )
    maturity_on = forms.CharField(
        label=_("Matures on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty: the disbursal date plus the term."),
    )
    is_first_time = forms.ChoiceField(
        label=_("First-time loan"),
        required=False,
        choices=(("", _("Derive from the borrower's earlier loans")), ("true", _("Yes")), ("false", _("No"))),
    )
    is_renewal = forms.BooleanField(label=_("Renewal"), required=False)
    is_renewal_without_repayment = forms.BooleanField(
        label=_("Renewal without repaying principal first"), required=False
    )
    is_credit = forms.BooleanField(
        label=_("Credit loan"), required=False, help_text=_("Neither collateral nor guarantee.")
    )

    def __init__(self, *args: Any, offices: list[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offices = {org.pk: org for org in offices}
        self.fields["lender"].choices = [(org.pk, org.display_name) for org in offices]
        if len(offices) == 1:
            self.fields["lender"].widget = forms.HiddenInput()
            self.fields["lender"].initial = offices[0].pk

    def service_arguments(self) -> dict[str, Any]:
        """loan_record's keyword arguments, except borrower; call after is_valid()."""
        data = self.cleaned_data
        return {
            "lender": self.offices[data["lender"]],
            "reference": data["reference"],
            "amount": data["amount"],
            "disbursed_on": data["disbursed_on"],
            "term_months": data["term_months"],
            "annual_rate": rate_from_percent(data["annual_rate_percent"]),
            "maturity_on": data["maturity_on"] or None,
            "is_first_time": data["is_first_time"] or None,
            "is_renewal": data["is_renewal"],
            "is_renewal_without_repayment": data["is_renewal_without_repayment"],
            "is_credit": data["is_credit"],
        }


class StatusReportForm(BootstrapForm):
    """Report a loan's balance and classification for one month (values go raw to loan_status_report)."""

    month = forms.CharField(label=_("Month"), required=False, widget=forms.DateInput(attrs={"type": "month"}))
    outstanding_balance = forms.CharField(
        label=_("Outstanding balance (CNY)"), required=False, help_text=_("In yuan, e.g. 800,000.00.")
    )
    classification = forms.ChoiceField(label=_("Classification"), choices=LoanClassification.choices)


class LoanImportForm(BootstrapForm):
    """The upload: which office imports (when the user records for several), what the file holds, the file."""

    organization = forms.TypedChoiceField(label=_("Import for"), coerce=int)
    kind = forms.ChoiceField(
        label=_("The file holds"),
        choices=[(k, KIND_LABELS[k]) for k in KINDS],
        widget=forms.RadioSelect,
        initial=KINDS[0],
    )
    file = forms.FileField(
        label=_("Spreadsheet (.xlsx or .csv)"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"})
    )

    def __init__(self, *args: Any, offices: list[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offices = {org.pk: org for org in offices}
        if len(offices) == 1:
            del self.fields["organization"]
        else:
            self.fields["organization"].choices = [(org.pk, org.display_name) for org in offices]

    def selected_office(self) -> Organization:
        if "organization" not in self.fields:
            return next(iter(self.offices.values()))
        return self.offices[self.cleaned_data["organization"]]
