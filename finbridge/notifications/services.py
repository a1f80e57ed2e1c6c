"""Writing notifications: in the app at once, and by e-mail after the transaction commits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from finbridge.accounts.models import Organization, User
from finbridge.notifications.kinds import render
from finbridge.notifications.models import Notification


def _members(organizations: Iterable[Organization]) -> list[tuple[User, Organization]]:
    """Active users of the organisations, each once, with the organisation they are told for."""
    seen: set[int] = set()
    result: list[tuple[User, Organization]] = []
    for organization in organizations:
        for membership in organization.memberships.select_related("user").filter(user__is_active=True):
            if membership.user_id not in seen:
                seen.add(membership.user_id)
                result.append((membership.user, organization))
    return result


def notify_organizations(
    *, organizations: Iterable[Organization], kind: str, params: dict[str, Any], link: str = ""
) -> list[Notification]:
    """Notify every active member of the given organisations (in the app, and by e-mail on commit).

    Any service may call it inside its transaction; raises nothing.
    """
    recipients = _members(organizations)
    notifications = Notification.objects.bulk_create(
        [
            Notification(recipient=user, organization=organization, kind=kind, params=params, link=link)
            for user, organization in recipients
        ]
    )
    ids = [n.pk for n in notifications if n.pk]
    if ids:
        transaction.on_commit(lambda: _queue_emails(ids))
    return notifications


def notify_users(*, users: Iterable[User], kind: str, params: dict[str, Any], link: str = "") -> list[Notification]:
    """Notify the given users directly (in the app, and by e-mail on commit). Raises nothing."""
    notifications = Notification.objects.bulk_create(
        [Notification(recipient=user, kind=kind, params=params, link=link) for user in users if user.is_active]
    )
    ids = [n.pk for n in notifications if n.pk]
    if ids:
        transaction.on_commit(lambda: _queue_emails(ids))
    return notifications


def _queue_emails(ids: list[int]) -> None:
    from finbridge.notifications.tasks import send_notification_emails

    send_notification_emails.delay(ids)


def notification_emails_send(*, ids: list[int]) -> int:
    """E-mail the given notifications that have not been e-mailed yet; returns how many were sent.

    Called by the Celery task; each e-mail is in the recipient's preferred language.
    """
    sent = 0
    pending = Notification.objects.select_related("recipient").filter(pk__in=ids, emailed_at__isnull=True)
    for notification in pending:
        user = notification.recipient
        if not user.email:
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            body = render(notification.kind, notification.params)
            if notification.link:
                body = f"{body}\n\n{settings.SITE_URL.rstrip('/')}{notification.link}"
            send_mail(gettext("FinBridge notification"), body, None, [user.email])
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


def notification_mark_read(*, actor: User, ids: Iterable[int] | None = None) -> int:
    """Mark the actor's notifications read (the given ids, or all); returns how many changed."""
    qs = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
