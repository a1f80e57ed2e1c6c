"""Building blocks of the navigation: links and drop-down menus (apps declare their own menus with them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Link:
    """A link: url name, label, and the permission code it needs (None: every signed-in user)."""

    url_name: str
    label: Any
    code: str | None = None


@dataclass(frozen=True)
class Menu:
    """A drop-down menu of links, shown when the user may follow at least one of them."""

    label: Any
    links: tuple[Link, ...] = field(default_factory=tuple)
