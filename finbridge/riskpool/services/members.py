"""Writes of pool members: admitting banks, guarantee agencies and insurers, their agreements, suspension.

Rules:
- The pool's authority (riskpool.manage_pool) admits members of an open pool (draft or active): a bank head
  office as a bank, a guarantee agency as a guarantor, an insurer as an insurer; each organisation once per
  pool. The agreement ends on or after the day it was signed.
- Ending a member's agreement stops its new enrolments; its enrolled loans stay covered.
- A suspended bank cannot enrol loans. Suspension and resumption are recorded as events (the member's
  history) and noticed to the bank and the authority. The authority suspends and resumes by hand (cause
  "manual"); risk control (services/risk_control.py) does it automatically on the non-performing ratio
  (causes "npl_threshold"/"npl_recovered", actor None allowed).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.choices import BankTier, OrgType
from finbridge.audit.services import log_event, snapshot
from finbridge.core.errors import Conflict, ValidationFailed
from finbridge.notifications.services import notify_organizations
from finbridge.riskpool import notices
from finbridge.riskpool import permissions as perms
from finbridge.riskpool.choices import (
    MemberRole,
    MemberStatus,
    PoolStatus,
    SuspensionAction,
    SuspensionCause,
)
from finbridge.riskpool.models import MemberSuspension, Pool, PoolMember
from finbridge.riskpool.services.alerts import require_pool_authority
from finbridge.riskpool.services.inputs import Errors, parse_date, parse_text

ACTION_ADMIT = "riskpool.member_admit"
ACTION_UPDATE = "riskpool.member_update"
ACTION_END = "riskpool.member_end"
ACTION_SUSPEND = "riskpool.member_suspend"
ACTION_RESUME = "riskpool.member_resume"

ROLE_ORG_TYPES = {
    MemberRole.BANK: OrgType.BANK,
    MemberRole.GUARANTOR: OrgType.GUARANTOR,
    MemberRole.INSURER: OrgType.INSURER,
}
AUTOMATIC_CAUSES = frozenset({SuspensionCause.NPL_THRESHOLD, SuspensionCause.NPL_RECOVERED})

MSG_ROLE = _("Choose the member's role: bank, guarantee agency or insurer.")
MSG_ORG_TYPE = _("%(organization)s is not a %(role)s.")
MSG_HEAD_OFFICE = _("Admit the bank's head office; its branches lend under its membership.")
MSG_INACTIVE = _("%(organization)s is not active on the platform.")
MSG_ALREADY = _("%(organization)s is already a member of this pool.")
MSG_CLOSED = _("The pool is closed.")
MSG_AGREEMENT_ORDER = _("The agreement must end on or after the day it was signed.")
MSG_ENDED = _("The member's agreement has ended.")
MSG_ALREADY_SUSPENDED = _("%(organization)s is already suspended.")
MSG_NOT_SUSPENDED = _("%(organization)s is not suspended.")
MSG_NOT_BANK = _("Only banks are suspended from enrolments.")
MSG_CAUSE = _("Unknown cause.")
MSG_NOTE_REQUIRED = _("Give the reason for the suspension.")


def _check_organization(errors: Errors, organization: Any, role: str) -> None:
    if role not in MemberRole.values:
        errors.add("role", MSG_ROLE)
        return
    if organization.org_type != ROLE_ORG_TYPES[role]:
        errors.add(
            "organization", MSG_ORG_TYPE, organization=str(organization), role=str(MemberRole(role).label).lower()
        )
    elif role == MemberRole.BANK and (
        organization.parent_id or organization.bank_tier not in ("", BankTier.HEAD_OFFICE)
    ):
        errors.add("organization", MSG_HEAD_OFFICE)
    if not organization.is_active:
        errors.add("organization", MSG_INACTIVE, organization=str(organization))


def member_admit(
    *,
    actor: Any,
    pool: Pool,
    organization: Any,
    role: str,
    agreement_signed_on: Any,
    agreement_ends_on: Any = None,
) -> PoolMember:
    """Admit an institution to a draft or active pool under a signed agreement (authority; see module rules).

    Notifies the institution. Raises PermissionDenied, ValidationFailed, Conflict ("pool_closed",
    "already_member"); nothing written on error."""
    require_pool_authority(actor, pool, perms.MANAGE_POOL)
    errors = Errors()
    _check_organization(errors, organization, role)
    signed = parse_date(errors, "agreement_signed_on", agreement_signed_on)
    ends = parse_date(errors, "agreement_ends_on", agreement_ends_on, required=False)
    if signed and ends and ends < signed:
        errors.add("agreement_ends_on", MSG_AGREEMENT_ORDER)
    errors.raise_if_any()
    with transaction.atomic():
        if Pool.objects.select_for_update().get(pk=pool.pk).status == PoolStatus.CLOSED:
            raise Conflict(MSG_CLOSED, code="pool_closed")
        if pool.members.filter(organization=organization).exists():
            raise Conflict(MSG_ALREADY, code="already_member", params={"organization": str(organization)})
        try:
            with transaction.atomic():
                member = PoolMember.objects.create(
                    pool=pool,
                    organization=organization,
                    role=role,
                    agreement_signed_on=signed,
                    agreement_ends_on=ends,
                    admitted_by=actor,
                )
        except IntegrityError:
            raise Conflict(MSG_ALREADY, code="already_member", params={"organization": str(organization)}) from None
        log_event(actor=actor, action=ACTION_ADMIT, obj=member, after=snapshot(member))
        notify_organizations(
            organizations=[organization],
            kind=notices.MEMBER_ADMITTED,
            params={"institution": organization.name, "pool": pool.name, "start": signed.isoformat()},
        )
    return member


def _locked_member(member: PoolMember) -> PoolMember:
    return PoolMember.objects.select_for_update().select_related("organization", "pool").get(pk=member.pk)


def member_update(*, actor: Any, member: PoolMember, **changes: Any) -> PoolMember:
    """Change the agreement dates of a member (authority): `agreement_signed_on`, `agreement_ends_on`.

    Raises PermissionDenied, ValidationFailed, Conflict (agreement ended); nothing written on error."""
    require_pool_authority(actor, member.pool, perms.MANAGE_POOL)
    errors = Errors()
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "agreement_signed_on":
            clean[name] = parse_date(errors, name, value)
        elif name == "agreement_ends_on":
            clean[name] = parse_date(errors, name, value, required=False)
        else:
            errors.add(name, _("This setting cannot be changed."))
    errors.raise_if_any()
    with transaction.atomic():
        locked = _locked_member(member)
        if locked.status == MemberStatus.ENDED:
            raise Conflict(MSG_ENDED, code="member_ended")
        before = snapshot(locked)
        for name, value in clean.items():
            setattr(locked, name, value)
        if locked.agreement_ends_on and locked.agreement_ends_on < locked.agreement_signed_on:
            raise ValidationFailed(MSG_AGREEMENT_ORDER, fields={"agreement_ends_on": [MSG_AGREEMENT_ORDER]})
        locked.save(update_fields=list(clean))
        log_event(actor=actor, action=ACTION_UPDATE, obj=locked, before=before, after=snapshot(locked))
    return locked


def member_end(*, actor: Any, member: PoolMember) -> PoolMember:
    """End a member's agreement now (authority): no new enrolments; enrolled loans stay covered.
    Raises PermissionDenied, Conflict (already ended)."""
    require_pool_authority(actor, member.pool, perms.MANAGE_POOL)
    with transaction.atomic():
        locked = _locked_member(member)
        if locked.status == MemberStatus.ENDED:
            raise Conflict(MSG_ENDED, code="member_ended")
        today = timezone.localdate()
        locked.status, locked.ended_at = MemberStatus.ENDED, timezone.now()
        if locked.agreement_ends_on is None or locked.agreement_ends_on > today:
            locked.agreement_ends_on = max(today, locked.agreement_signed_on)
        locked.save(update_fields=["status", "ended_at", "agreement_ends_on"])
        log_event(actor=actor, action=ACTION_END, obj=locked, after=snapshot(locked))
    return locked


def _check_cause(actor: Any, member: PoolMember, cause: str) -> None:
    if cause not in SuspensionCause.values:
        raise ValidationFailed(MSG_CAUSE, fields={"cause": [MSG_CAUSE]})
    if cause not in AUTOMATIC_CAUSES:
        require_pool_authority(actor, member.pool, perms.MANAGE_POOL)


def _notify_suspension(member: PoolMember, kind: str, params: dict[str, Any]) -> None:
    notify_organizations(
        organizations=[member.organization, member.pool.authority],
        kind=kind,
        params={"bank": member.organization.name, "pool": member.pool.name, **params},
    )


def _ratio_params(npl_ratio: Decimal | None, threshold: Decimal | None) -> dict[str, str]:
    return {"ratio": notices.ratio_param(npl_ratio), "threshold": notices.ratio_param(threshold)}


def member_suspend(
    *,
    actor: Any,
    member: PoolMember,
    cause: str = SuspensionCause.MANUAL,
    note: str = "",
    npl_ratio: Decimal | None = None,
    threshold: Decimal | None = None,
) -> PoolMember:
    """Suspend a bank from new enrolments; record the event; notify the bank and the authority.

    Manual suspension: the authority, with a note. Automatic (cause npl_threshold): risk control, actor may be
    None. Raises PermissionDenied, ValidationFailed, Conflict ("already_suspended", "not_a_bank")."""
    _check_cause(actor, member, cause)
    errors = Errors()
    text = parse_text(errors, "note", note, limit=2000, required=cause == SuspensionCause.MANUAL)
    errors.raise_if_any()
    with transaction.atomic():
        locked = _locked_member(member)
        if locked.role != MemberRole.BANK:
            raise Conflict(MSG_NOT_BANK, code="not_a_bank")
        if locked.is_suspended:
            raise Conflict(
                MSG_ALREADY_SUSPENDED, code="already_suspended", params={"organization": str(locked.organization)}
            )
        locked.is_suspended, locked.suspended_since, locked.suspension_cause = True, timezone.now(), cause
        locked.save(update_fields=["is_suspended", "suspended_since", "suspension_cause"])
        event = MemberSuspension.objects.create(
            member=locked,
            action=SuspensionAction.SUSPEND,
            cause=cause,
            npl_ratio=npl_ratio,
            threshold=threshold,
            note=text,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
        )
        log_event(actor=actor, action=ACTION_SUSPEND, obj=locked, after=snapshot(event))
        if cause == SuspensionCause.MANUAL:
            _notify_suspension(locked, notices.MEMBER_SUSPENDED, {"note": text})
        else:
            _notify_suspension(locked, notices.MEMBER_SUSPENDED_NPL, _ratio_params(npl_ratio, threshold))
    member.is_suspended, member.suspended_since, member.suspension_cause = True, locked.suspended_since, cause
    return locked


def member_resume(
    *,
    actor: Any,
    member: PoolMember,
    cause: str = SuspensionCause.MANUAL,
    note: str = "",
    npl_ratio: Decimal | None = None,
    threshold: Decimal | None = None,
) -> PoolMember:
    """Lift a bank's suspension; record the event; notify the bank and the authority.

    Manual: the authority. Automatic (cause npl_recovered): risk control, actor may be None. Raises
    PermissionDenied, ValidationFailed, Conflict ("not_suspended")."""
    _check_cause(actor, member, cause)
    errors = Errors()
    text = parse_text(errors, "note", note, limit=2000)
    errors.raise_if_any()
    with transaction.atomic():
        locked = _locked_member(member)
        if not locked.is_suspended:
            raise Conflict(MSG_NOT_SUSPENDED, code="not_suspended", params={"organization": str(locked.organization)})
        locked.is_suspended, locked.suspended_since, locked.suspension_cause = False, None, ""
        locked.save(update_fields=["is_suspended", "suspended_since", "suspension_cause"])
        event = MemberSuspension.objects.create(
            member=locked,
            action=SuspensionAction.RESUME,
            cause=cause,
            npl_ratio=npl_ratio,
            threshold=threshold,
            note=text,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
        )
        log_event(actor=actor, action=ACTION_RESUME, obj=locked, after=snapshot(event))
        if cause == SuspensionCause.MANUAL:
            _notify_suspension(locked, notices.MEMBER_RESUMED, {})
        else:
            _notify_suspension(locked, notices.MEMBER_RESUMED_NPL, _ratio_params(npl_ratio, threshold))
    member.is_suspended, member.suspended_since, member.suspension_cause = False, None, ""
    return locked
