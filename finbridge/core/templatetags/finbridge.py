"""Template filters for money and numbers, formatted for the active language with Babel."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from finbridge.core.money import to_decimal, yuan_to_wan

register = template.Library()


def _babel_locale() -> str:
    return "zh_Hans_CN" if (get_language() or "zh-hans").startswith("zh") else "en"


@register.filter
def number(value: Any, places: int = 0) -> str:
    """A number with grouping for the active language; empty for None."""
    if value is None or value == "":
        return ""
    fmt = "#,##0" + ("." + "0" * int(places) if int(places) else "")
    return format_decimal(to_decimal(value), format=fmt, locale=_babel_locale())


@register.filter
def money(value: Any) -> str:
    """An amount in CNY yuan shown in 万元 (ten thousand yuan), unit always printed."""
    if value is None or value == "":
        return "—"
    wan: Decimal = yuan_to_wan(value)
    return _("%(amount)s ten-thousand yuan") % {"amount": number(wan, 2)}


@register.filter
def yuan(value: Any) -> str:
    """An amount in CNY yuan, to the fen, unit always printed."""
    if value is None or value == "":
        return "—"
    return _("CNY %(amount)s") % {"amount": number(value, 2)}


@register.simple_tag(takes_context=True)
def url_with(context: Any, **changes: Any) -> str:
    """The current query string with some parameters replaced (for pagination and sorting links)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    return "?" + query.urlencode() if query else "?"
