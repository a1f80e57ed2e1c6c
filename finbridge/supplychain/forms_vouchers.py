"""Forms of the voucher pages: split a held part (rows of an amount and, to pass it on, the supplier's credit
code) and pass a whole part on. They only parse input; services/vouchers.py checks every rule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from finbridge.core.errors import ValidationFailed
from finbridge.enterprises.forms import BootstrapForm, add_domain_errors
from finbridge.supplychain.views.queries import organization_for_uscc

SPLIT_ROWS = 4


class SplitRowForm(BootstrapForm):
    """One row of a split: an amount and, to pass it on, the supplier's credit code."""

    amount = forms.CharField(label=_("Amount (CNY)"), required=False)
    recipient_uscc = forms.CharField(
        label=_("Supplier's credit code"), required=False, max_length=30, help_text=_("empty: you keep this part")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # the rows share one heading: each input names itself
            field.widget.attrs["aria-label"] = field.label


SplitFormSet = forms.formset_factory(SplitRowForm, extra=SPLIT_ROWS, max_num=SPLIT_ROWS, validate_max=True)


def split_parts(formset: Any) -> list[dict[str, Any]] | None:
    """The parts for voucher_split from the filled rows ({"amount", "recipient"}), or None after marking the rows
    whose credit code matches no firm on the platform. Call after is_valid()."""
    parts: list[dict[str, Any]] = []
    ok = True
    for form in formset.forms:
        data = getattr(form, "cleaned_data", {})
        amount, code = (data.get("amount") or "").strip(), (data.get("recipient_uscc") or "").strip()
        if not amount and not code:
            continue
        recipient = None
        if code:
            try:
                recipient = organization_for_uscc(code, "recipient_uscc")
            except ValidationFailed as error:
                add_domain_errors(form, error)
                ok = False
        parts.append({"amount": amount, "recipient": recipient})
    return parts if ok else None


class TransferForm(BootstrapForm):
    recipient_uscc = forms.CharField(
        label=_("Supplier's unified social credit code"),
        required=False,
        max_length=30,
        help_text=_("The whole part passes to this supplier, one tier further down the chain."),
    )
