"""Plumbing shared by the supply-chain API views: the permission class, field handling and schema pieces.

Views parse the request, call one service or selector of finbridge.supplychain and serialise the result; every
rule (who may act, which status allows it, what a valid amount is) lives in the services, which raise
DomainErrors rendered by core/api.py as {"code", "message", "fields"}.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request

from finbridge.core.api import HasPermCode
from finbridge.core.errors import ValidationFailed
from finbridge.enterprises.api.views import PARSERS, VisibleObjectFirstMixin, errors, request_fields

__all__ = [
    "ID_PATH",
    "PARSERS",
    "SupplyChainPerm",
    "VisibleObjectFirstMixin",
    "errors",
    "fields_of",
    "id_list",
    "request_fields",
]

ID_PATH = r"[^/]+"
MSG_UNKNOWN_FIELD = _("Unknown field.")
MSG_NOT_A_LIST = _("Give a list of ids.")
MSG_BAD_ID = _("%(value)s is not an id.")
MAX_ID = 2**63 - 1  # the largest id a database column holds
ORGANIZATION_PARAMETER = OpenApiParameter(
    "organization",
    OpenApiTypes.INT,
    description="The organisation you act for, when you belong to several that may act.",
)


class SupplyChainPerm(HasPermCode):
    """HasPermCode; on a viewset, a method the view does not offer answers 405 rather than 403."""

    def has_permission(self, request: Any, view: Any) -> bool:
        offers_nothing = hasattr(view, "action_map") and getattr(view, "action", None) is None
        if request.user and request.user.is_authenticated and offers_nothing:
            return True
        return super().has_permission(request, view)


def fields_of(request: Request, allowed: set[str] | frozenset[str]) -> dict[str, Any]:
    """The request body as a dict holding only `allowed` names; ValidationFailed naming every other field."""
    data = request_fields(request)
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationFailed(MSG_UNKNOWN_FIELD, fields={name: [str(MSG_UNKNOWN_FIELD)] for name in unknown})
    return data


def id_list(data: dict[str, Any], name: str) -> list[Any]:
    """A list of ids from a JSON list, a form's repeated key, one value or comma-separated text. Each must be a
    whole number the database can hold (the services check what it names); ValidationFailed otherwise."""
    value = data.get(name)
    if value in (None, ""):
        return []
    if isinstance(value, (list, tuple)):
        values = list(value)
    elif isinstance(value, str):
        values = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, (dict, bool)):
        raise ValidationFailed(MSG_NOT_A_LIST, fields={name: [str(MSG_NOT_A_LIST)]})
    else:
        values = [value]
    bad = [str(item)[:40] for item in values if not _is_id(item)]
    if bad:
        messages = [str(MSG_BAD_ID) % {"value": item} for item in bad[:20]]
        raise ValidationFailed(messages[0], fields={name: messages})
    return values


def _is_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return False
    return 0 < number <= MAX_ID
