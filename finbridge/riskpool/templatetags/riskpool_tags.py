"""Template filters of the risk-pool pages: shares as percentages and the colour of a status badge."""

from __future__ import annotations

from typing import Any

from django import template

from finbridge.riskpool.sharing import format_share

register = template.Library()

BADGES = {
    # pools
    "draft": "text-bg-secondary",
    "active": "text-bg-success",
    "closed": "text-bg-dark",
    # claims
    "submitted": "text-bg-primary",
    "returned": "text-bg-warning",
    "approved": "text-bg-info",
    "paid": "text-bg-success",
    "rejected": "text-bg-danger",
    "withdrawn": "text-bg-light border",
    # enrolments
    "compensated": "text-bg-info",
    "released": "text-bg-light border",
    # members, owed amounts
    "ended": "text-bg-light border",
    "open": "text-bg-warning",
    "settled": "text-bg-success",
}


@register.filter
def share(value: Any) -> str:
    """A fraction as a percentage (0.35 → 35%); "—" when empty."""
    if value in (None, ""):
        return "—"
    return format_share(value)


@register.filter
def badge(status: Any) -> str:
    """Bootstrap classes of a status badge."""
    return BADGES.get(str(status), "text-bg-light border")


@register.filter
def plus(value: Any, other: Any) -> Any:
    """The sum of two amounts (Decimal; Django's `add` would drop the fen)."""
    from finbridge.core.money import to_decimal

    try:
        return to_decimal(value or 0) + to_decimal(other or 0)
    except ValueError:
        return value


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """mapping[key], or "" when missing."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""
