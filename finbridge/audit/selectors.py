"""Reads of the audit trail. Only the district authority (audit.view_audit) reads it, and it sees every change."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.audit.models import AuditEvent
from finbridge.audit.permissions import VIEW_AUDIT
from finbridge.core.errors import NotFound, ValidationFailed
from finbridge.core.permissions import require_perm

FILTER_KEYS = ("actor", "action", "object_type", "object_id", "date_from", "date_to")


def _as_date(value: Any, field: str) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        message = _("Enter a date as YYYY-MM-DD.")
        raise ValidationFailed(message, fields={field: [message]}) from None


def _start_of(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of `day` in the platform's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def audit_event_list(*, actor: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[AuditEvent]:
    """Audit events, newest first, narrowed by `filters`.

    Filters (all optional): actor (part of the username, any case), action, object_type and object_id
    (exact), date_from and date_to (dates, inclusive, China Standard Time). Callers: holders of
    audit.view_audit (the district authority), who see everyone's changes. Raises PermissionDenied, or
    ValidationFailed for a bad date or a range that ends before it starts.
    """
    require_perm(actor, VIEW_AUDIT)
    filters = filters or {}
    qs = AuditEvent.objects.all().order_by("-created_at", "-id")
    if username := str(filters.get("actor") or "").strip():
        qs = qs.filter(actor_name__icontains=username)
    for key in ("action", "object_type", "object_id"):
        if value := str(filters.get(key) or "").strip():
            qs = qs.filter(**{key: value})
    date_from = _as_date(filters.get("date_from"), "date_from")
    date_to = _as_date(filters.get("date_to"), "date_to")
    if date_from and date_to and date_to < date_from:
        message = _("The end date is before the start date.")
        raise ValidationFailed(message, fields={"date_to": [message]})
    if date_from:
        qs = qs.filter(created_at__gte=_start_of(date_from))
    if date_to:
        qs = qs.filter(created_at__lt=_start_of(date_to + datetime.timedelta(days=1)))
    return qs


def audit_event_get(*, actor: Any, pk: Any) -> AuditEvent:
    """One audit event. Callers: holders of audit.view_audit. Raises PermissionDenied or NotFound."""
    try:
        return audit_event_list(actor=actor).get(pk=int(pk))
    except (AuditEvent.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def audit_event_facets(*, actor: Any) -> dict[str, list[str]]:
    """The actions and object types that occur in the trail, for filter choices. Callers: as audit_event_list."""
    qs = audit_event_list(actor=actor).order_by()
    return {
        "action": sorted(qs.values_list("action", flat=True).distinct()),
        "object_type": sorted(qs.values_list("object_type", flat=True).distinct()),
    }
