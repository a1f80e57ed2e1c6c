"""Template filters of the league table: a figure formatted for its kind, in the active language."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from finbridge.analytics.selectors import Metric
from finbridge.core.templatetags.finbridge import money, number

register = template.Library()


def format_figure(value: Any, kind: str) -> str:
    """A figure as pages show it: money in 万元, ratios and rates in per cent, counts grouped, days to 0.1."""
    if value is None:
        return "—"
    if kind == "money":
        return money(value)
    if kind == "count":
        return number(value)
    if kind == "ratio":
        return f"{number(Decimal(value) * 100, 1)}%"
    if kind == "rate":
        return f"{number(Decimal(value) * 100, 2)}%"
    if kind == "days":
        return number(value, 1)
    return str(value)


@register.filter
def figure(row: Any, metric: Metric) -> str:
    """`{{ row|figure:metric }}`: the row's value of the metric, formatted."""
    return format_figure(row.value(metric.key), metric.kind)


@register.filter
def raw_figure(row: Any, metric: Metric) -> str:
    """The plain value (for sorting in the browser and data attributes): empty when there is none."""
    value = row.value(metric.key)
    return "" if value is None else str(value)
