"""Writes of consents: an enterprise lets an institution (and its branches) see its profile, or its profile
and figures, until an optional date; it may revoke the consent at any time, with immediate effect.

Only the enterprise itself (its own organisation on the platform, holding enterprises.manage_consent) may
grant or revoke. Grantees are banks, guarantors, insurers, investors, securities firms and core
enterprises (accounts.choices.CONSENT_TYPES). One live (not revoked) consent per grantee: granting again
revokes the live one and creates a new one.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.choices import CONSENT_TYPES
from finbridge.accounts.models import Organization
from finbridge.audit.services import log_event, snapshot
from finbridge.core.errors import Conflict, NotFound, ValidationFailed
from finbridge.core.permissions import require_perm
from finbridge.enterprises import permissions as perms
from finbridge.enterprises.choices import ConsentScope
from finbridge.enterprises.models import Consent, Enterprise
from finbridge.enterprises.selectors import consent_list, enterprise_visible_queryset

MSG_BAD_GRANTEE = _(
    "Consent can be given only to a bank, guarantor, insurer, investor, securities firm or core enterprise."
)
MSG_BAD_SCOPE = _("Choose what the institution may see: %(choices)s.")
MSG_BAD_DATE = _("Enter a date as YYYY-MM-DD, such as 2026-12-31.")
MSG_PAST_DATE = _("The expiry date %(date)s is in the past.")
MSG_ALREADY_REVOKED = _("This consent was already revoked.")


def _field_error(name: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={name: [message]})


def _clean_grantee(grantee: Any) -> Organization:
    if not isinstance(grantee, Organization) or grantee.org_type not in CONSENT_TYPES or not grantee.is_active:
        raise _field_error("grantee", str(MSG_BAD_GRANTEE))
    return grantee


def _clean_scope(scope: Any) -> str:
    if scope not in ConsentScope.values:
        raise _field_error("scope", str(MSG_BAD_SCOPE) % {"choices": ", ".join(ConsentScope.values)})
    return str(scope)


def _clean_expiry(expires_on: Any) -> datetime.date | None:
    """None (no expiry), a date or `YYYY-MM-DD` text; today is allowed (the last day of validity)."""
    if expires_on is None or expires_on == "":
        return None
    if isinstance(expires_on, datetime.datetime):
        expires_on = expires_on.date()
    if not isinstance(expires_on, datetime.date):
        try:
            parsed = parse_date(str(expires_on).strip())
        except ValueError:
            parsed = None
        if parsed is None:
            raise _field_error("expires_on", str(MSG_BAD_DATE))
        expires_on = parsed
    if expires_on < timezone.localdate():
        raise _field_error("expires_on", str(MSG_PAST_DATE) % {"date": expires_on.isoformat()})
    return expires_on


def _require_own_enterprise(actor: Any, enterprise: Enterprise) -> None:
    if enterprise.pk is None or not enterprise_visible_queryset(actor=actor).filter(pk=enterprise.pk).exists():
        raise NotFound()
    require_perm(actor, perms.MANAGE_CONSENT, enterprise)


def _revoke(consent: Consent, *, actor: Any, when: datetime.datetime) -> None:
    before = snapshot(consent)
    consent.revoked_at = when
    consent.revoked_by = actor
    consent.save(update_fields=["revoked_at", "revoked_by"])
    log_event(actor=actor, action="consent_revoke", obj=consent, before=before, after=snapshot(consent))


def consent_grant(
    *, actor: Any, enterprise: Enterprise, grantee: Organization, scope: str, expires_on: Any = None
) -> Consent:
    """Let `grantee` (and its branches) see the enterprise's profile (scope "profile") or profile and
    figures ("financials") until `expires_on` (inclusive; None = until revoked).

    A live consent to the same grantee is revoked and replaced. Who: the enterprise's own organisation
    (enterprises.manage_consent). Raises NotFound (enterprise not visible), PermissionDenied,
    ValidationFailed (grantee type, scope, expiry date in the past).
    """
    _require_own_enterprise(actor, enterprise)
    grantee = _clean_grantee(grantee)
    scope = _clean_scope(scope)
    expiry = _clean_expiry(expires_on)
    with transaction.atomic():
        Enterprise.objects.select_for_update().filter(pk=enterprise.pk).first()
        now = timezone.now()
        live = Consent.objects.select_for_update().filter(
            enterprise=enterprise, grantee=grantee, revoked_at__isnull=True
        )
        for previous in live:
            _revoke(previous, actor=actor, when=now)
        consent = Consent.objects.create(
            enterprise=enterprise, grantee=grantee, scope=scope, expires_on=expiry, granted_at=now, granted_by=actor
        )
        log_event(actor=actor, action="consent_grant", obj=consent, before=None, after=snapshot(consent))
    return consent


def consent_revoke(*, actor: Any, consent: Consent) -> Consent:
    """Revoke a consent now: from the next request on, the grantee no longer sees the enterprise (unless
    another live consent covers it).

    Who: the enterprise's own organisation (enterprises.manage_consent). Raises NotFound (consent not
    visible to the actor), PermissionDenied, Conflict (code "consent_already_revoked").
    """
    if not consent_list(actor=actor).filter(pk=consent.pk).exists():
        raise NotFound()
    require_perm(actor, perms.MANAGE_CONSENT, consent.enterprise)
    with transaction.atomic():
        locked = Consent.objects.select_for_update().filter(pk=consent.pk).first()
        if locked is None:
            raise NotFound()
        if locked.revoked_at is not None:
            raise Conflict(MSG_ALREADY_REVOKED, code="consent_already_revoked")
        _revoke(locked, actor=actor, when=timezone.now())
    return locked


def consent_columns_refresh_expired() -> int:
    """Refresh the denormalised consent columns (migration 0005) of enterprises whose listed consents expired.

    Run daily by the task `refresh_expired_consent_columns`; until it runs, visibility stays exact through the
    EXISTS fallback (enterprises/search.py), only slower. PostgreSQL only (returns 0 elsewhere); returns how
    many enterprises were refreshed. Called by the system, not by users.
    """
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM enterprises_enterprise WHERE consent_expiry_min < %s", [timezone.localdate()])
        ids = [row[0] for row in cursor.fetchall()]
        if ids:
            cursor.execute("SELECT finbridge_refresh_consent_columns(%s::bigint[])", [ids])
    return len(ids)
