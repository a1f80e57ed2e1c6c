"""Forms of the receivable pages. They only parse input: every rule lives in the services, which get the raw
values; a service's ValidationFailed.fields are put back on the form with `add_domain_errors`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.models import Organization
from finbridge.enterprises.forms import BootstrapForm, add_domain_errors
from finbridge.supplychain.choices import ReceivableStatus

__all__ = [
    "DisputeForm",
    "DocumentForm",
    "ReceivableEditForm",
    "ReceivableFilterForm",
    "ReceivableForm",
    "ReceivableImportForm",
    "SettleForm",
    "add_domain_errors",
    "organization_field",
]

DATE_WIDGET = forms.DateInput(attrs={"type": "date"})
AMOUNT_HELP = _("In yuan, not ten-thousand yuan, e.g. 1,250,000.00.")
TERM_FIELDS = ("invoice_code", "invoice_number", "amount", "issued_on", "due_on", "contract_reference", "description")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (each is checked by the service)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.ofd,.xml,.jpg,.jpeg,.png"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


def organization_field(organizations: list[Organization], label: Any) -> forms.TypedChoiceField | None:
    """A choice of the organisation the user acts for, or None when there is only one (or none)."""
    if len(organizations) < 2:
        return None
    field = forms.TypedChoiceField(label=label, coerce=int)
    field.choices = [("", _("Choose…"))] + [(org.pk, org.display_name) for org in organizations]
    return field


class ReceivableFilterForm(BootstrapForm):
    """Filters of the receivable list (all optional; invalid values are ignored)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Invoice number, contract or party"), "autocomplete": "off"}
        ),
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    overdue = forms.ChoiceField(
        label=_("Overdue"),
        required=False,
        choices=(("", _("Any")), ("true", _("Overdue")), ("false", _("Not overdue"))),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Any"))] + list(ReceivableStatus.choices)

    def selector_arguments(self) -> dict[str, Any]:
        """receivable_list's keyword arguments from the valid values; call after is_valid()."""
        data = getattr(self, "cleaned_data", {})
        overdue = {"true": True, "false": False}.get(data.get("overdue") or "")
        return {"status": data.get("status") or None, "overdue": overdue, "search": data.get("q") or None}


class ReceivableForm(BootstrapForm):
    """Upload a receivable (the creditor, on a debtor) or record a payable (the debtor, to a creditor)."""

    counterparty_uscc = forms.CharField(label=_("Debtor's unified social credit code"), max_length=30, required=False)
    invoice_code = forms.CharField(
        label=_("Invoice code"),
        max_length=20,
        required=False,
        help_text=_("10 or 12 digits; leave empty for a fully digital invoice."),
    )
    invoice_number = forms.CharField(
        label=_("Invoice number"),
        max_length=30,
        required=False,
        help_text=_("8 digits, or 20 for a fully digital invoice."),
    )
    amount = forms.CharField(label=_("Amount (CNY)"), required=False, help_text=AMOUNT_HELP)
    issued_on = forms.CharField(label=_("Invoice date"), required=False, widget=DATE_WIDGET)
    due_on = forms.CharField(label=_("Due date"), required=False, widget=DATE_WIDGET)
    contract_reference = forms.CharField(label=_("Contract reference"), max_length=100, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=1000
    )
    documents = MultipleFileField(
        label=_("Documents"), help_text=_("Invoice, contract, delivery note: PDF, OFD, XML, JPEG or PNG, 20 MB each.")
    )

    def __init__(self, *args: Any, organizations: list[Organization], as_debtor: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.as_debtor = as_debtor
        self.counterparty = "creditor" if as_debtor else "debtor"
        if as_debtor:
            self.fields["counterparty_uscc"].label = _("Creditor's unified social credit code")
        choice = organization_field(organizations, _("Creditor") if not as_debtor else _("Debtor"))
        if choice is not None:
            self.fields = {"organization": choice, **self.fields}
            self.fields["organization"].widget.attrs["class"] = "form-select"

    def service_arguments(self) -> dict[str, Any]:
        """receivable_create / payable_create keyword arguments; call after is_valid()."""
        data = self.cleaned_data
        values = {name: data.get(name, "") for name in TERM_FIELDS}
        values[f"{self.counterparty}_uscc"] = data.get("counterparty_uscc", "")
        return {"data": values, "documents": data.get("documents") or [], "organization": data.get("organization")}

    def add_service_error(self, error: Any) -> None:
        """Field messages of the service next to their fields (the counterparty's on the credit code)."""
        for name in (self.counterparty, f"{self.counterparty}_uscc"):
            if name in error.fields:
                error.fields.setdefault("counterparty_uscc", []).extend(error.fields.pop(name))
        add_domain_errors(self, error)


class ReceivableEditForm(BootstrapForm):
    """Correct a receivable pending confirmation or disputed (the invoice and the parties cannot change)."""

    amount = forms.CharField(label=_("Amount (CNY)"), required=False, help_text=AMOUNT_HELP)
    issued_on = forms.CharField(label=_("Invoice date"), required=False, widget=DATE_WIDGET)
    due_on = forms.CharField(label=_("Due date"), required=False, widget=DATE_WIDGET)
    contract_reference = forms.CharField(label=_("Contract reference"), max_length=100, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=1000
    )

    def changes(self, receivable: Any) -> dict[str, Any]:
        """The fields whose value differs from the receivable's; call after is_valid()."""
        current = {
            "amount": f"{receivable.amount:.2f}",
            "issued_on": receivable.issued_on.isoformat(),
            "due_on": receivable.due_on.isoformat(),
            "contract_reference": receivable.contract_reference,
            "description": receivable.description,
        }
        return {name: value for name, value in self.cleaned_data.items() if str(value).strip() != current[name]}


class DocumentForm(BootstrapForm):
    file = forms.FileField(
        label=_("Add a document"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.ofd,.xml,.jpg,.jpeg,.png"}),
    )


class DisputeForm(BootstrapForm):
    reason = forms.CharField(
        label=_("Why do you dispute it?"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class SettleForm(BootstrapForm):
    paid_on = forms.CharField(label=_("Paid on"), required=False, widget=DATE_WIDGET)
    reference = forms.CharField(label=_("Payment reference"), required=False, max_length=100)


class ReceivableImportForm(BootstrapForm):
    """The upload: which organisation uploads (when the user trades for several), receivables or payables."""

    as_debtor = forms.TypedChoiceField(
        label=_("The file holds"),
        coerce=lambda value: value == "1",
        choices=(
            ("0", _("Receivables you are owed (the debtors confirm them)")),
            ("1", _("Payables you owe (confirmed at once)")),
        ),
        widget=forms.RadioSelect,
        initial="0",
    )
    file = forms.FileField(
        label=_("Spreadsheet (.xlsx or .csv)"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"})
    )

    def __init__(self, *args: Any, organizations: list[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice = organization_field(organizations, _("Upload for"))
        if choice is not None:
            self.fields = {"organization": choice, **self.fields}
            self.fields["organization"].widget.attrs["class"] = "form-select"
