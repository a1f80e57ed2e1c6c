"""Field helpers shared by the financing models: CNY amounts and rates as the house rules say."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from finbridge.core.money import AMOUNT_DECIMAL_PLACES, AMOUNT_MAX_DIGITS


def amount_field(verbose_name, *, minimum: Decimal = Decimal("0"), **kwargs) -> models.DecimalField:
    """A CNY amount in yuan: DecimalField(18, 2), never below `minimum` (0 by default)."""
    return models.DecimalField(
        verbose_name,
        max_digits=AMOUNT_MAX_DIGITS,
        decimal_places=AMOUNT_DECIMAL_PLACES,
        validators=[MinValueValidator(minimum)],
        **kwargs,
    )


def rate_field(verbose_name, *, allow_negative: bool = False, **kwargs) -> models.DecimalField:
    """An annual rate as a fraction with six places (0.035000 is 3.5%)."""
    validators = [MaxValueValidator(1)] + ([] if allow_negative else [MinValueValidator(0)])
    return models.DecimalField(verbose_name, max_digits=8, decimal_places=6, validators=validators, **kwargs)
