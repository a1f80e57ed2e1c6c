"""The kinds of notification and their translated texts. Apps register their kinds at import time.

A kind's text is a translatable msgid with named placeholders filled from the notification's params,
so every recipient reads it in the language of their page (and e-mails in the language they last used).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

_KINDS: dict[str, Any] = {}
_TRANSLATED_PARAMS: dict[str, tuple[str, ...]] = {}


def register_kind(kind: str, text: Any, *, translated_params: tuple[str, ...] = ()) -> None:
    """Register the lazily translated `text` (named placeholders) of notification `kind`.

    `translated_params` name parameters stored as English msgids (such as a choice's label) that are
    translated when the notification is read.
    """
    _KINDS[kind] = text
    _TRANSLATED_PARAMS[kind] = translated_params


def render(kind: str, params: dict[str, Any]) -> str:
    """The text of a notification in the active language; unknown kinds show a generic text."""
    text = _KINDS.get(kind)
    if text is None:
        return gettext("You have a new notification.")
    values = dict(params)
    for name in _TRANSLATED_PARAMS.get(kind, ()):
        if isinstance(values.get(name), str) and values[name]:
            values[name] = gettext(values[name])
    try:
        return str(text) % values
    except (KeyError, TypeError, ValueError):
        return str(text)


def known_kinds() -> dict[str, Any]:
    """Every registered kind and its (lazy) text."""
    return dict(_KINDS)


GENERIC = _("You have a new notification.")
