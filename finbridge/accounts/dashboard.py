"""The panels of each person's home page, chosen by what their memberships allow."""

from __future__ import annotations

from typing import Any


def home_panels(*, actor: Any) -> list[dict[str, Any]]:
    """Panels for the home page of `actor`."""
    return []
