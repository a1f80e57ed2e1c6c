"""Money: CNY amounts as Decimal with two places, rates as fractions with six, one rounding rule.

Never use float for money. `quantize_amount` is the single place where amounts are rounded
(ROUND_HALF_UP, the rounding Chinese banks and the tax authority use for fen).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")
RATE_PLACES = Decimal("0.000001")
TEN_THOUSAND = Decimal("10000")
AMOUNT_MAX_DIGITS = 18
AMOUNT_DECIMAL_PLACES = 2
# The largest amount a DecimalField(max_digits=18, decimal_places=2) can hold.
AMOUNT_MAX = Decimal("9999999999999999.99")


def to_decimal(value: Any) -> Decimal:
    """Parse a value into Decimal without going through float; raise ValueError when impossible."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, int):
        result = Decimal(value)
    else:
        text = str(value).strip().replace(",", "").replace("，", "")
        try:
            result = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(f"not a number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def quantize_amount(value: Any) -> Decimal:
    """Round an amount to the fen (0.01 CNY), half up."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def quantize_rate(value: Any) -> Decimal:
    """Round a rate (a fraction such as 0.035) to six places, half up."""
    return to_decimal(value).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def yuan_to_wan(amount: Decimal) -> Decimal:
    """Express CNY yuan in 万元 (ten thousand yuan), rounded to two places for display."""
    return (to_decimal(amount) / TEN_THOUSAND).quantize(CENT, rounding=ROUND_HALF_UP)


def wan_to_yuan(amount_wan: Any) -> Decimal:
    """Convert 万元 to CNY yuan, exactly."""
    return to_decimal(amount_wan) * TEN_THOUSAND
