"""Rates of products: the Loan Prime Rate in force on a date, a product's effective rate, and rates in words.

The LPR is dated data (LprRate rows, one per publication that changed a rate; the history since the LPR
reform of 2019-08-20 ships with migration 0002_lpr_history). A rate published on a date is in force from
that date until the next publication of the same term. A product's rate is either fixed, or the one-year
LPR in force on the day plus the product's spread (which may be negative).

Everything here is a read and may be called by anyone; nothing raises for missing data: a date before the
first recorded LPR has no rate in force (None), and so has a floating product on that date.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from finbridge.core.money import quantize_rate
from finbridge.financing.choices import GUARANTOR_KINDS, LprTerm, RateType
from finbridge.financing.models import LprRate, Product

HUNDRED = Decimal("100")
BASIS_POINTS = Decimal("10000")
_LOOKUP: Any = object()  # rate_description(lpr=...) not given: look the LPR up


def lpr_in_force(term: str = LprTerm.ONE_YEAR, on: datetime.date | None = None) -> LprRate | None:
    """The LPR row of `term` in force on `on` (default today): the latest publication on or before that
    date, or None when none was recorded by then."""
    day = on or timezone.localdate()
    return LprRate.objects.filter(term=term, effective_on__lte=day).order_by("-effective_on").first()


def lpr_rate_on(term: str = LprTerm.ONE_YEAR, on: datetime.date | None = None) -> Decimal | None:
    """The LPR of `term` in force on `on` (default today) as a fraction, or None."""
    row = lpr_in_force(term, on)
    return row.rate if row is not None else None


def lpr_schedule(term: str = LprTerm.ONE_YEAR) -> list[tuple[datetime.date, Decimal]]:
    """Every recorded (effective_on, rate) of `term`, oldest first: read once, look up many times with
    `rate_from_schedule` (matching many products against many dates)."""
    return list(LprRate.objects.filter(term=term).order_by("effective_on").values_list("effective_on", "rate"))


def rate_from_schedule(schedule: list[tuple[datetime.date, Decimal]], on: datetime.date) -> Decimal | None:
    """The rate of a `lpr_schedule()` in force on `on`, or None before its first date."""
    found = None
    for effective_on, rate in schedule:
        if effective_on > on:
            break
        found = rate
    return found


def effective_rate_with(
    *, rate_type: str, fixed_rate: Decimal | None, lpr_spread: Decimal | None, lpr: Decimal | None
) -> Decimal | None:
    """The annual rate of a product's rate terms given the one-year LPR `lpr` (None when not applicable)."""
    if rate_type == RateType.LPR_SPREAD:
        if lpr is None or lpr_spread is None:
            return None
        return quantize_rate(lpr + lpr_spread)
    return quantize_rate(fixed_rate) if fixed_rate is not None else None


def product_effective_rate(product: Product, on: datetime.date | None = None) -> Decimal | None:
    """The annual interest rate of `product` on `on` (default today), as a fraction with six places.

    A fixed rate is itself; a floating rate is the one-year LPR in force on that date plus the spread.
    None for a guarantee product (its price is the fee, `fee_rate`) and for a floating rate on a date
    before the first recorded LPR.
    """
    lpr = lpr_rate_on(LprTerm.ONE_YEAR, on) if product.rate_type == RateType.LPR_SPREAD else None
    return effective_rate_with(
        rate_type=product.rate_type, fixed_rate=product.fixed_rate, lpr_spread=product.lpr_spread, lpr=lpr
    )


def effective_rates(products: Iterable[Product], on: datetime.date | None = None) -> dict[int, Decimal | None]:
    """`product_effective_rate` of many products at once (one LPR query): {product id: rate or None}."""
    items = list(products)
    lpr = lpr_rate_on(LprTerm.ONE_YEAR, on) if any(p.rate_type == RateType.LPR_SPREAD for p in items) else None
    return {
        p.pk: effective_rate_with(rate_type=p.rate_type, fixed_rate=p.fixed_rate, lpr_spread=p.lpr_spread, lpr=lpr)
        for p in items
    }


# ---- in words ------------------------------------------------------------------------------------------


def _locale() -> str:
    return "zh_Hans_CN" if (get_language() or "zh-hans").startswith("zh") else "en"


def percent(rate: Any) -> str:
    """A fractional rate as a percentage for the active language, 2 to 4 decimals: 0.0345 -> "3.45%"."""
    if rate is None or rate == "":
        return "—"
    value = Decimal(str(rate)) * HUNDRED
    return format_decimal(value, format="#,##0.00##", locale=_locale()) + "%"


def basis_points(spread: Any) -> str:
    """A spread as signed basis points: 0.0045 -> "+45", -0.002 -> "−20" (fractions of a point kept)."""
    value = Decimal(str(spread)) * BASIS_POINTS
    sign = "+" if value >= 0 else "−"
    return sign + format_decimal(abs(value), format="#,##0.##", locale=_locale())


def rate_description(product: Product, on: datetime.date | None = None, *, lpr: Any = _LOOKUP) -> str:
    """The product's price in words, in the active language, e.g. "One-year LPR +45 bp (3.00% + 0.45% =
    3.45% a year)", "Fixed 3.85% a year" or, for a guarantee, "Guarantee fee 1.00% of the amount".

    Pass `lpr` (the one-year LPR in force on the date, or None) when describing many products, to read it
    once.
    """
    if product.kind in GUARANTOR_KINDS:
        return _("Guarantee fee %(fee)s of the amount") % {"fee": percent(product.fee_rate or 0)}
    if product.rate_type == RateType.LPR_SPREAD:
        if product.lpr_spread is None:
            return _("One-year LPR plus a spread (not set)")
        if lpr is _LOOKUP:
            lpr = lpr_rate_on(LprTerm.ONE_YEAR, on)
        spread = basis_points(product.lpr_spread)
        if lpr is None:
            return _("One-year LPR %(spread)s bp (no LPR recorded for the date)") % {"spread": spread}
        total = quantize_rate(lpr + product.lpr_spread)
        return _("One-year LPR %(spread)s bp (%(lpr)s %(sign)s %(abs_spread)s = %(rate)s a year)") % {
            "spread": spread,
            "lpr": percent(lpr),
            "sign": "+" if product.lpr_spread >= 0 else "−",
            "abs_spread": percent(abs(product.lpr_spread)),
            "rate": percent(total),
        }
    if product.fixed_rate is None:
        return _("Fixed rate (not set)")
    return _("Fixed %(rate)s a year") % {"rate": percent(product.fixed_rate)}
