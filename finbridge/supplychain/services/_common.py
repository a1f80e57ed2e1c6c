"""Helpers shared by the supply-chain services: the acting organisation, field parsing with per-field messages,
parameters of notifications and the organisations a party may be."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date as django_parse_date
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.choices import OrgType
from finbridge.accounts.models import Organization
from finbridge.accounts.roles import codes_for
from finbridge.core.errors import PermissionDenied, ValidationFailed
from finbridge.core.permissions import has_perm
from finbridge.financing.services.demands import amount_param, parse_amount, parse_rate

__all__ = [
    "FIRM_TYPES",
    "FUNDER_TYPES",
    "FieldErrors",
    "acting_organization",
    "amount_param",
    "member_organization",
    "new_number",
    "parse_amount",
    "parse_date",
    "parse_rate",
    "parse_text",
]

# Who may be a creditor, debtor or voucher holder; who may fund.
FIRM_TYPES = frozenset({OrgType.MSME, OrgType.CORE_ENTERPRISE})
FUNDER_TYPES = frozenset({OrgType.BANK})

MSG_ORGANIZATION_REQUIRED = _("Choose the organisation you act for.")
MSG_NOT_YOUR_ORGANIZATION = _("You cannot act for this organisation.")
MSG_REQUIRED = _("This field is required.")
MSG_BAD_DATE = _("Enter a date as YYYY-MM-DD, such as 2026-12-31.")
MSG_TOO_LONG = _("At most %(limit)d characters are allowed; this has %(count)d.")
MSG_NOT_TEXT = _("Enter text.")


class FieldError(ValueError):
    """One field's problem (a translated message)."""

    def __init__(self, message: Any, **params: Any) -> None:
        self.message = str(message) % params if params else str(message)
        super().__init__(self.message)


class FieldErrors:
    """Collects per-field messages while parsing input; raise_if_any() raises one ValidationFailed with all."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}
        self.code = "validation_failed"

    def add(self, name: str, message: Any, *, code: str | None = None) -> None:
        """Record a message; `code` names the error when it is the first specific problem found."""
        self.fields.setdefault(name, []).append(str(message))
        if code and self.code == "validation_failed":
            self.code = code

    def parse(self, name: str, parser: Callable[[Any], Any], value: Any) -> Any:
        """parser(value), or None after recording the parser's message under `name`."""
        try:
            return parser(value)
        except ValueError as error:
            self.add(name, getattr(error, "message", str(error)))
            return None

    def raise_if_any(self, code: str | None = None) -> None:
        """Raise one ValidationFailed carrying every message, if any was recorded."""
        if self.fields:
            first = next(iter(self.fields.values()))[0]
            raise ValidationFailed(first, code=code or self.code, fields=self.fields)


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_date(value: Any) -> datetime.date:
    """A date from a date, a datetime or "YYYY-MM-DD"."""
    if isinstance(value, datetime.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            parsed = django_parse_date(value.strip())
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed
    raise FieldError(MSG_BAD_DATE)


def parse_text(limit: int) -> Callable[[Any], str]:
    """A parser of stripped text of at most `limit` characters (None is "")."""

    def parse(value: Any) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise FieldError(MSG_NOT_TEXT)
        text = value.strip()
        if len(text) > limit:
            raise FieldError(MSG_TOO_LONG, limit=limit, count=len(text))
        return text

    return parse


def parse_money(value: Any) -> Decimal:
    """parse_amount of the financing demands, re-raised as FieldError (a positive amount in yuan, to the fen)."""
    try:
        return parse_amount(value)
    except ValueError as error:
        raise FieldError(getattr(error, "message", str(error))) from None


def member_organization(actor: Any, code: str, candidates: Iterable[int | None]) -> Organization | None:
    """The first of the candidate organisations (ids) in which the actor's membership grants `code`, or None."""
    if not has_perm(actor, code):
        return None
    wanted = [c for c in candidates if c is not None]
    for org_id in wanted:
        for membership in actor.active_memberships:
            org = membership.organization
            if org.pk == org_id and code in codes_for(org.org_type, membership.role):
                return org
    return None


def acting_organization(
    *, actor: Any, code: str, org_types: Iterable[str], organization: Organization | int | str | None = None
) -> Organization:
    """The organisation the actor acts for: `organization` if given (the actor's membership there must grant
    `code`), else the only one of the actor's organisations of `org_types` that grants it.

    Raises PermissionDenied when no organisation qualifies, ValidationFailed("organization_required") when
    several do and none was chosen.
    """
    types = frozenset(org_types)
    eligible = [
        m.organization
        for m in (actor.active_memberships if has_perm(actor, code) else [])
        if m.organization.org_type in types and code in codes_for(m.organization.org_type, m.role)
    ]
    if organization is not None:
        wanted = organization.pk if isinstance(organization, Organization) else organization
        for org in eligible:
            if str(org.pk) == str(wanted):
                return org
        raise PermissionDenied(MSG_NOT_YOUR_ORGANIZATION)
    if not eligible:
        raise PermissionDenied()
    if len(eligible) > 1:
        raise ValidationFailed(
            MSG_ORGANIZATION_REQUIRED,
            code="organization_required",
            fields={"organization": [str(MSG_ORGANIZATION_REQUIRED)]},
        )
    return eligible[0]


def new_number(prefix: str) -> str:
    """A public reference such as REG20260315-9F3A61C0B2 (date and 10 random hex digits; unique in practice,
    and the column is unique)."""
    return f"{prefix}{timezone.localdate():%Y%m%d}-{secrets.token_hex(5).upper()}"


def org_ids(values: Iterable[Any]) -> list[int]:
    """Organisation ids from ids, numeric strings or organisations; ValueError on anything else."""
    result: list[int] = []
    for value in values:
        if isinstance(value, Organization):
            result.append(value.pk)
        elif isinstance(value, bool):
            raise ValueError(value)
        else:
            result.append(int(value))
    return result


def params_of(mapping: Mapping[str, Any]) -> dict[str, str]:
    """Notification parameters as strings."""
    return {key: str(value) for key, value in mapping.items()}


MSG_ONLY_CREDITOR = _("Only the creditor of this receivable can do this.")
MSG_ONLY_DEBTOR = _("Only the debtor of this receivable can do this.")


def lock_receivable(*, actor: Any, pk: Any, side: str, lock: bool = True) -> tuple[Any, Organization]:
    """Re-read the receivable with select_for_update() and return it with the organisation the actor acts for
    as its `side` ("creditor" or "debtor"); `lock` False reads it without a lock (to check before locking more).

    Raises NotFound when the actor may not see it, PermissionDenied ("not_creditor" / "not_debtor") when they
    see it but are not that party (with supplychain.trade there)."""
    from finbridge.core.errors import NotFound
    from finbridge.supplychain import permissions as perms
    from finbridge.supplychain.models import Receivable
    from finbridge.supplychain.selectors._common import parse_pk
    from finbridge.supplychain.selectors.receivables import receivable_is_visible

    qs = Receivable.objects.select_for_update() if lock else Receivable.objects.all()
    receivable = qs.filter(pk=parse_pk(pk)).first()
    if receivable is None or not receivable_is_visible(actor=actor, receivable=receivable):
        raise NotFound()
    party_id = receivable.creditor_id if side == "creditor" else receivable.debtor_id
    organization = member_organization(actor, perms.TRADE, [party_id])
    if organization is None:
        message = MSG_ONLY_CREDITOR if side == "creditor" else MSG_ONLY_DEBTOR
        raise PermissionDenied(message, code=f"not_{side}")
    return receivable, organization


# URL names the pages use for the records notifications link to (NoReverseMatch → no link, so the services
# work before the pages exist).
RECEIVABLE_URL = "supplychain:receivables-detail"
REQUEST_URL = "supplychain:requests-detail"
VOUCHER_URL = "supplychain:vouchers-detail"


def link_to(url_name: str, pk: Any) -> str:
    """The page of a record for a notification's link, or "" when the page does not exist (yet)."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(url_name, args=[pk])
    except NoReverseMatch:
        return ""
