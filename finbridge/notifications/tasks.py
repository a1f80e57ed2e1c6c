"""Background work of the notifications app."""

from __future__ import annotations

from celery import shared_task


@shared_task
def send_notification_emails(ids: list[int]) -> int:
    """E-mail the given notifications (runs eagerly in-process unless a Celery worker is configured)."""
    from finbridge.notifications.services import notification_emails_send

    return notification_emails_send(ids=ids)
