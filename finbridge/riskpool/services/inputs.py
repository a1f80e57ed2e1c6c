"""Parsing and checking the plain values riskpool services accept (from forms, the API or Python callers).

Each parser returns the clean value or records a translated message for the field in an `Errors` collector;
`Errors.raise_if_any()` raises one ValidationFailed with every field message, so nothing is written."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from finbridge.core.errors import ValidationFailed
from finbridge.core.money import AMOUNT_MAX, quantize_amount, to_decimal

MSG_REQUIRED = _("This field is required.")
MSG_AMOUNT = _("Enter an amount in CNY to the fen, such as 1,250,000.00.")
MSG_AMOUNT_POSITIVE = _("The amount must be more than zero.")
MSG_RATE = _("Enter a fraction from 0 to 1 with at most six decimals, such as 0.05 for 5%.")
MSG_DATE = _("Enter a date as YYYY-MM-DD, such as 2026-03-31.")
MSG_NUMBER = _("Enter a number above zero.")
MSG_WHOLE = _("Enter a whole number above zero.")
MSG_BOOLEAN = _("Answer yes or no.")
MSG_TEXT_LENGTH = _("At most %(limit)d characters.")


class Errors:
    """Field messages collected while parsing input."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, name: str, message: Any, **params: Any) -> None:
        self.fields.setdefault(name, []).append(str(message) % params if params else str(message))

    def raise_if_any(self, code: str = "validation_failed") -> None:
        if self.fields:
            first = next(iter(self.fields.values()))[0]
            raise ValidationFailed(first, code=code, fields=self.fields)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_amount(
    errors: Errors, name: str, value: Any, *, required: bool = True, positive: bool = True
) -> Decimal | None:
    """A CNY amount to the fen (not above the largest storable amount); None when blank and optional."""
    if _blank(value):
        if required:
            errors.add(name, MSG_REQUIRED)
        return None
    try:
        amount = to_decimal(value) if not isinstance(value, bool) else None
    except ValueError:
        amount = None
    if amount is None or abs(amount) > AMOUNT_MAX or amount != quantize_amount(amount):
        errors.add(name, MSG_AMOUNT)
        return None
    if amount < 0 or (positive and amount == 0):
        errors.add(name, MSG_AMOUNT_POSITIVE)
        return None
    return amount


def parse_rate(errors: Errors, name: str, value: Any, *, required: bool = True) -> Decimal | None:
    """A fraction from 0 to 1 with at most six decimals."""
    if _blank(value):
        if required:
            errors.add(name, MSG_REQUIRED)
        return None
    try:
        rate = to_decimal(value) if not isinstance(value, bool) else None
    except ValueError:
        rate = None
    if rate is None or rate < 0 or rate > 1 or rate != rate.quantize(Decimal("0.000001")):
        errors.add(name, MSG_RATE)
        return None
    return rate


def parse_positive_decimal(
    errors: Errors, name: str, value: Any, *, places: int = 2, required: bool = True
) -> Decimal | None:
    """A number above zero with at most `places` decimals (a leverage multiple)."""
    if _blank(value):
        if required:
            errors.add(name, MSG_REQUIRED)
        return None
    try:
        number = to_decimal(value) if not isinstance(value, bool) else None
    except ValueError:
        number = None
    if number is None or number <= 0 or number > 10**5 or number != number.quantize(Decimal(1).scaleb(-places)):
        errors.add(name, MSG_NUMBER)
        return None
    return number


def parse_whole(errors: Errors, name: str, value: Any, *, required: bool = True, maximum: int = 32767) -> int | None:
    """A whole number from 1 to `maximum`."""
    if _blank(value):
        if required:
            errors.add(name, MSG_REQUIRED)
        return None
    try:
        number = int(str(value).strip()) if not isinstance(value, bool) else 0
    except ValueError:
        number = 0
    if number < 1 or number > maximum:
        errors.add(name, MSG_WHOLE)
        return None
    return number


def parse_date(errors: Errors, name: str, value: Any, *, required: bool = True) -> datetime.date | None:
    """A date object or an ISO date string."""
    if _blank(value):
        if required:
            errors.add(name, MSG_REQUIRED)
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        errors.add(name, MSG_DATE)
        return None


def parse_bool(errors: Errors, name: str, value: Any) -> bool | None:
    """A boolean (True/False only: forms and serializers parse words)."""
    if not isinstance(value, bool):
        errors.add(name, MSG_BOOLEAN)
        return None
    return value


def parse_text(errors: Errors, name: str, value: Any, *, limit: int, required: bool = False) -> str:
    """Trimmed text of at most `limit` characters."""
    text = "" if value is None else str(value).strip()
    if required and not text:
        errors.add(name, MSG_REQUIRED)
    elif len(text) > limit:
        errors.add(name, MSG_TEXT_LENGTH, limit=limit)
    return text
