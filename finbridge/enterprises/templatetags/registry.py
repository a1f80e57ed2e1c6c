"""Template filters of the registry pages."""

from __future__ import annotations

from typing import Any

from django import template

from finbridge.core.money import yuan_to_wan
from finbridge.core.templatetags.finbridge import number

register = template.Library()


@register.filter
def wan(value: Any, places: int = 2) -> str:
    """An amount in CNY yuan as a number of 万元 WITHOUT the unit, for table columns whose header
    carries the unit ("Revenue (ten-thousand yuan)"). Elsewhere use `money`, which prints the unit."""
    if value is None or value == "":
        return "—"
    return number(yuan_to_wan(value), places)
