"""Writing the audit trail."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.forms.models import model_to_dict

from finbridge.audit.models import AuditEvent


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """A JSON-safe dict of a model instance's concrete and many-to-many field values."""
    data = model_to_dict(instance, fields=fields)
    for field in instance._meta.concrete_fields:
        if (fields is None or field.name in fields) and field.name not in data:
            data[field.name] = getattr(instance, field.attname)
    return {k: _jsonable(v) for k, v in data.items()}


def build_event(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """An unsaved audit event, as log_event records it; for services that write many records in bulk and
    insert their events together (the enterprise import)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent(
        actor=user,
        actor_name=(user.get_username() if user else "system"),
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
    )


def log_event(**event: Any) -> AuditEvent:
    """Record one write in the audit trail (same keyword arguments as build_event). Call it inside the
    service's transaction."""
    record = build_event(**event)
    record.save()
    return record
