"""Shared pieces of the risk-pool forms: Bootstrap styling, service errors put back on a form, percentages,
multiple-file uploads. Forms only parse input; every rule lives in the services."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from finbridge.core.errors import DomainError
from finbridge.core.money import to_decimal
from finbridge.enterprises.forms import BootstrapForm

HUNDRED = Decimal(100)
DATE_WIDGET = {"widget": forms.DateInput(attrs={"type": "date"})}

__all__ = ["BootstrapForm", "DATE_WIDGET", "MultipleFileField", "add_domain_errors", "fraction", "percent"]


def add_domain_errors(form: forms.BaseForm, error: DomainError, names: Mapping[str, str] | None = None) -> None:
    """Show a service's error on the form: field messages next to their fields (service names mapped by
    `names`), the rest on top."""
    names = names or {}
    placed = False
    for name, messages in error.fields.items():
        target = names.get(name, name)
        target = target if target in form.fields else None
        for message in messages:
            if target is None and message == error.message and placed:
                continue
            form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


def fraction(value: Any) -> Any:
    """A percentage typed in a form (Decimal, "30" or "30%") as a fraction string; blank → None; anything
    else is passed on for the service to refuse."""
    if value is None:
        return None
    text = str(value).strip().rstrip("%").rstrip("％").strip()
    if not text:
        return None
    try:
        return format((to_decimal(text) / HUNDRED).normalize(), "f")
    except ValueError:
        return value


def percent(value: Any) -> Any:
    """A stored fraction as the percentage a form shows ("0.300000" → 30); None stays None."""
    if value in (None, ""):
        return None
    try:
        number = to_decimal(value) * HUNDRED
    except ValueError:
        return value
    return format(number.normalize(), "f")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list (empty when optional and none sent)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data if item]
        if not data:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        return [single(data, initial)]


YES_NO = ((True, _("Yes")), (False, _("No")))
