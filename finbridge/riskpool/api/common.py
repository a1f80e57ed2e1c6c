"""Plumbing shared by the risk-pool API views: error responses for the schema, id parsing, the request body.

Views only parse the request, call a selector or service, and serialise. A record the caller may not see answers
404 for every verb: detail routes resolve it through the selectors before the permission code is checked
(VisibleObjectFirstMixin), so a hidden record never answers 403.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from finbridge.accounts.models import Organization
from finbridge.core.errors import NotFound, ValidationFailed
from finbridge.enterprises.api.views import PARSERS, VisibleObjectFirstMixin, errors, request_fields
from finbridge.financing.models import Loan
from finbridge.financing.selectors.loans import MAX_ID, parse_id
from finbridge.riskpool.selectors.pools import own_institution_ids, pool_get

__all__ = [
    "organization_or_error",
    "own_loan_or_error",
    "visible_pool_or_error",
    "MSG_NO_ORGANIZATION",
    "MSG_RULES_OR_PRESET",
    "object_id",
    "MAX_ID",
    "PARSERS",
    "VisibleObjectFirstMixin",
    "errors",
    "field_error",
    "parse_id",
    "request_fields",
    "require_id",
    "validated",
]

MSG_ID = _("Give the id of a record.")
MSG_NO_ORGANIZATION = _("There is no organisation with this id.")
MSG_RULES_OR_PRESET = _("Give the rules, or the preset to copy them from.")
MSG_NO_LOAN = _("There is no loan of your bank with this id or contract number.")
MSG_NO_POOL = _("There is no pool of yours with this id.")


def field_error(name: str, message: Any) -> ValidationFailed:
    """A ValidationFailed with one message on one field."""
    return ValidationFailed(message, fields={name: [str(message)]})


def require_id(value: Any, name: str) -> int:
    """A record id from the request; ValidationFailed on the field when it cannot be one."""
    number = parse_id(value)
    if number is None:
        raise field_error(name, MSG_ID)
    return number


def object_id(value: Any) -> int:
    """A record id from the URL; NotFound when it cannot be one (a malformed id is a missing record)."""
    number = parse_id(value)
    if number is None:
        raise NotFound()
    return number


def validated(serializer_class: type[serializers.Serializer], data: Any, **kwargs: Any) -> dict[str, Any]:
    """The validated data of an input serializer (DRF's ValidationError answers 400 with field messages)."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def organization_or_error(pk: Any, name: str) -> Any:
    """The organisation with id `pk` (None when blank); ValidationFailed on the field when there is none."""
    if pk in (None, ""):
        return None
    number = parse_id(pk)
    found = Organization.objects.filter(pk=number).first() if number else None
    if found is None:
        raise field_error(name, MSG_NO_ORGANIZATION)
    return found


def own_loan_or_error(actor: Any, *, loan: Any = None, reference: Any = None, name: str = "loan") -> Any:
    """A loan the actor's bank offices made (by id or contract number); ValidationFailed on the field when it
    has none such (a loan of another bank answers alike, so nothing leaks)."""
    own = own_institution_ids(actor)
    visible = Loan.objects.filter(Q(bank_id__in=own) | Q(lender_id__in=own)).select_related("borrower", "bank")
    found = None
    if loan not in (None, ""):
        number = parse_id(loan)
        found = visible.filter(pk=number).first() if number else None
    elif reference not in (None, ""):
        found = visible.filter(reference=str(reference).strip()).order_by("id").first()
    if found is None:
        raise field_error(name, MSG_NO_LOAN)
    return found


def visible_pool_or_error(actor: Any, pk: Any, name: str = "pool") -> Any:
    """A pool the actor may see, named in a request body; ValidationFailed on the field otherwise."""
    try:
        return pool_get(actor=actor, pk=require_id(pk, name))
    except NotFound:
        raise field_error(name, MSG_NO_POOL) from None
