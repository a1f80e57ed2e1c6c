"""Domain errors: a stable code, a translated message and optional per-field messages.

Services raise these; the API turns them into `{"code", "message", "fields"}` with the error's HTTP
status, and pages show the message. A 500 is a bug, never a way to report bad input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """Base class of every expected failure. `code` is stable and machine-readable."""

    status_code = 400
    default_code = "invalid"
    default_message = _("The request could not be processed.")

    def __init__(
        self,
        message: Any = None,
        *,
        code: str | None = None,
        fields: Mapping[str, Sequence[Any]] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        self.code = code or self.default_code
        raw = message if message is not None else self.default_message
        self.message = str(raw) % params if params else str(raw)
        self.fields = {name: [str(m) for m in msgs] for name, msgs in (fields or {}).items()}
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "fields": self.fields}


class ValidationFailed(DomainError):
    """Input that breaks a rule; nothing was changed."""

    status_code = 400
    default_code = "validation_failed"
    default_message = _("Some fields are not valid.")


class NotFound(DomainError):
    """The record does not exist or the actor may not see it (both answer alike)."""

    status_code = 404
    default_code = "not_found"
    default_message = _("Not found.")


class PermissionDenied(DomainError):
    """The actor may see the record but may not do this to it."""

    status_code = 403
    default_code = "permission_denied"
    default_message = _("You do not have permission to do this.")


class Conflict(DomainError):
    """The action clashes with the record's current state (duplicate, wrong status, already done)."""

    status_code = 409
    default_code = "conflict"
    default_message = _("This conflicts with the current state of the record.")


def from_django_validation_error(error: Any) -> ValidationFailed:
    """Turn a django.core.exceptions.ValidationError into a ValidationFailed with field messages."""
    if hasattr(error, "message_dict"):
        fields = {("non_field_errors" if k == "__all__" else k): v for k, v in error.message_dict.items()}
        first = next(iter(fields.values()))[0] if fields else None
        return ValidationFailed(first, fields=fields)
    messages = list(getattr(error, "messages", [str(error)]))
    return ValidationFailed(messages[0] if messages else None, fields={"non_field_errors": messages})
