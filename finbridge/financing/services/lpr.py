"""Writes of the dated Loan Prime Rate table, kept by the district financial authority.

The LPR is published monthly (on the 20th, or the next working day) for the one-year and five-year terms;
the authority records each publication that changes a rate, or corrects one entered wrongly. Products that
float on the one-year LPR follow it from the day it takes effect (rates.product_effective_rate).

Reads: finbridge.financing.rates.lpr_in_force(term, on) and selectors.products.lpr_list(actor=...).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.audit.services import log_event, snapshot
from finbridge.core.errors import ValidationFailed
from finbridge.core.money import quantize_rate, to_decimal
from finbridge.core.permissions import require_perm
from finbridge.enterprises.validation import MSG_BAD_DATE, FieldError, _is_blank, _parse_date
from finbridge.financing import permissions as perms
from finbridge.financing.choices import LprTerm, ProductStatus, RateType
from finbridge.financing.models import LprRate, Product
from finbridge.financing.rates import lpr_rate_on, percent
from finbridge.financing.services.products import MSG_BAD_CHOICE, MSG_NOT_A_RATE, MSG_RATE_RANGE

FIRST_LPR_DATE = datetime.date(2019, 8, 20)  # the reformed LPR was first published on this day
MAX_DAYS_AHEAD = 31  # a publication is entered at most a month before it takes effect
MIN_LPR = Decimal("0.0001")
MAX_LPR = Decimal("0.20")

MSG_LPR_DATE_RANGE = _("Enter a date from %(min)s to %(max)s (the reformed LPR starts on 2019-08-20).")


def _term(value: Any) -> str:
    text = "" if value is None else str(value).strip()
    if text not in LprTerm.values:
        raise FieldError(MSG_BAD_CHOICE, value=text[:40])
    return text


def _date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        day = value.date()
    elif isinstance(value, datetime.date):
        day = value
    elif isinstance(value, str) and not _is_blank(value):
        day = _parse_date(value.strip())
    else:
        raise FieldError(MSG_BAD_DATE)
    latest = timezone.localdate() + datetime.timedelta(days=MAX_DAYS_AHEAD)
    if not FIRST_LPR_DATE <= day <= latest:
        raise FieldError(MSG_LPR_DATE_RANGE, min=FIRST_LPR_DATE.isoformat(), max=latest.isoformat())
    return day


def _rate(value: Any) -> Decimal:
    if _is_blank(value) or isinstance(value, bool):
        raise FieldError(MSG_NOT_A_RATE)
    try:
        rate = to_decimal(value)
    except ValueError:
        raise FieldError(MSG_NOT_A_RATE) from None
    if not MIN_LPR <= rate <= MAX_LPR:
        raise FieldError(MSG_RATE_RANGE, min=percent(MIN_LPR), max=percent(MAX_LPR))
    return quantize_rate(rate)


def clean_lpr_input(*, term: Any, effective_on: Any, rate: Any) -> tuple[str, datetime.date, Decimal]:
    """(term, date, rate) from raw input; one ValidationFailed listing every bad field. Pure."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name, value, cleaner in (("term", term, _term), ("effective_on", effective_on, _date), ("rate", rate, _rate)):
        try:
            cleaned[name] = cleaner(value)
        except FieldError as error:
            errors[name] = [error.message]
    if errors:
        messages = [m for ms in errors.values() for m in ms]
        raise ValidationFailed(messages[0] if len(messages) == 1 else None, fields=errors)
    return cleaned["term"], cleaned["effective_on"], cleaned["rate"]


def _queue_floating_products() -> int:
    """Recompute the matches of every published product that floats on the one-year LPR (on commit);
    returns how many were queued."""
    from finbridge.financing import tasks_matching

    floating = Product.objects.filter(status=ProductStatus.PUBLISHED, rate_type=RateType.LPR_SPREAD)
    queued = 0
    for product_id in floating.values_list("pk", flat=True).iterator():
        tasks_matching.queue_product_matching(product_id)
        queued += 1
    return queued


def lpr_reprice_due(*, today: datetime.date | None = None) -> int:
    """Re-match the floating products when the one-year LPR in force changes today: a publication entered
    ahead of its date takes effect without anyone editing anything. Run daily just after midnight by the
    task `financing.reprice_on_new_lpr`; idempotent within the day (a second run re-queues the same
    products, which recompute the same matches). Returns how many products were queued (0 when the rate
    in force today is yesterday's). Called by the system, not by users.
    """
    today = today or timezone.localdate()
    in_force = lpr_rate_on(LprTerm.ONE_YEAR, today)
    if in_force is None or in_force == lpr_rate_on(LprTerm.ONE_YEAR, today - datetime.timedelta(days=1)):
        return 0
    return _queue_floating_products()


def lpr_set(*, actor: Any, term: Any, effective_on: Any, rate: Any) -> tuple[LprRate, bool]:
    """Record the LPR of `term` ("1y" or "5y") taking effect on `effective_on`, as a fraction (0.03 = 3%).
    A rate already recorded for that term and day is corrected. Returns (row, created).

    When the change alters the one-year rate in force today, the matches of published products floating on
    it are recomputed after commit. Who: holders of financing.manage_lpr (the district authority's
    admins). Raises PermissionDenied, ValidationFailed (term, date before 2019-08-20 or more than a month
    ahead, rate outside 0.01% to 20%); nothing is written then.
    """
    require_perm(actor, perms.MANAGE_LPR)
    term_value, day, rate_value = clean_lpr_input(term=term, effective_on=effective_on, rate=rate)
    with transaction.atomic():
        rate_before = lpr_rate_on(LprTerm.ONE_YEAR)
        existing = LprRate.objects.select_for_update().filter(term=term_value, effective_on=day).first()
        if existing is None:
            row = LprRate.objects.create(term=term_value, effective_on=day, rate=rate_value)
            log_event(actor=actor, action="lpr_set", obj=row, before=None, after=snapshot(row))
        elif existing.rate != rate_value:
            row, before = existing, snapshot(existing)
            row.rate = rate_value
            row.save(update_fields=["rate"])
            log_event(actor=actor, action="lpr_set", obj=row, before=before, after=snapshot(row))
        else:
            return existing, False
        if term_value == LprTerm.ONE_YEAR and lpr_rate_on(LprTerm.ONE_YEAR) != rate_before:
            transaction.on_commit(_queue_floating_products)
    return row, existing is None
