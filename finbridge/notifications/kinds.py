"""The kinds of notification and their translated texts. Apps register their kinds at import time.

A kind's text is a translatable msgid with named placeholders filled from the notification's params,
so every recipient reads it in the language of their page (and e-mails in the language they last used).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

_KINDS: dict[str, Any] = {}


def register_kind(kind: str, text: Any) -> None:
    """Register the lazily translated `text` (named placeholders) of notification `kind`."""
    _KINDS[kind] = text


def render(kind: str, params: dict[str, Any]) -> str:
    """The text of a notification in the active language; unknown kinds show a generic text."""
    text = _KINDS.get(kind)
    if text is None:
        return gettext("You have a new notification.")
    try:
        return str(text) % params
    except (KeyError, TypeError, ValueError):
        return str(text)


def known_kinds() -> dict[str, Any]:
    """Every registered kind and its (lazy) text."""
    return dict(_KINDS)


GENERIC = _("You have a new notification.")
