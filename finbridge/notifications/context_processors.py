"""The navbar bell's unread count, for the base layout. The count is only queried when a template uses it."""

from __future__ import annotations

from typing import Any


def notifications(request: Any) -> dict[str, Any]:
    """`notifications_unread_count`: a callable the template evaluates (so pages without the bell pay nothing)."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}

    def count() -> int:
        from finbridge.notifications.views import unread_count

        if "_unread_notifications" not in request.__dict__:
            request.__dict__["_unread_notifications"] = unread_count(actor=user)
        return request.__dict__["_unread_notifications"]

    return {"notifications_unread_count": count}
