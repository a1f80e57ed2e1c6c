"""Writes about people and organisations: organisations, invitations, memberships, passwords, API tokens.

Every service runs in one transaction, checks the actor's permission, records the change in the audit
trail and defers side effects (emails) to `transaction.on_commit`.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.models import Token

from finbridge.accounts import permissions as perms
from finbridge.accounts.choices import BankTier, InvitationStatus, OrgType, Role
from finbridge.accounts.models import Invitation, Membership, Organization, User
from finbridge.accounts.selectors import invitation_status
from finbridge.audit.services import log_event, snapshot
from finbridge.core.errors import Conflict, NotFound, ValidationFailed
from finbridge.core.permissions import require_perm
from finbridge.reference.industries import industry_get, normalize_industry_code
from finbridge.reference.models import District, Subdistrict

USER_AUDIT_FIELDS = ["username", "email", "display_name", "is_active"]
INVITATION_AUDIT_FIELDS = [
    "organization",
    "email",
    "role",
    "invited_by",
    "expires_at",
    "accepted_at",
    "accepted_by",
    "revoked_at",
]
DEFAULT_SITE_URL = "http://127.0.0.1:8000"


def _invalid(fields: Mapping[str, list[Any]]) -> ValidationFailed:
    """A ValidationFailed whose message is the first field message (pages show it as is)."""
    first = next(iter(fields.values()))[0]
    return ValidationFailed(first, fields=fields)


# --- organisations -------------------------------------------------------------------------------


def _lookup(model: type[models.Model], value: Any, field: str, errors: dict[str, list[Any]]) -> Any:
    """Resolve an id (or an instance) of `model`; record a field error when there is no such row."""
    if value in (None, ""):
        return None
    if isinstance(value, model):
        return value
    try:
        return model._default_manager.get(pk=int(value))
    except (ObjectDoesNotExist, ValueError, TypeError):
        errors[field].append(_("No such record."))
        return None


def _clean_sectors(raw: Any, errors: dict[str, list[Any]]) -> list[str]:
    """Normalise industry sector prefixes; every one must be a GB/T 4754-2017 code."""
    if raw in (None, ""):
        return []
    items = raw.replace("，", ",").split(",") if isinstance(raw, str) else list(raw)
    sectors: list[str] = []
    for item in items:
        code = normalize_industry_code(item)
        if not code:
            continue
        if industry_get(code) is None:
            errors["industry_sectors"].append(_("%(code)s is not a GB/T 4754-2017 industry code.") % {"code": code})
        elif code not in sectors:
            sectors.append(code)
    return sectors


def _validate_organization(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check the fields of a new organisation against the rules of its type; raise ValidationFailed."""
    errors: dict[str, list[Any]] = {
        k: []
        for k in ("name", "name_en", "org_type", "bank_tier", "parent", "district", "subdistrict", "industry_sectors")
    }
    name = str(data.get("name") or "").strip()
    name_en = str(data.get("name_en") or "").strip()
    org_type = str(data.get("org_type") or "")
    bank_tier = str(data.get("bank_tier") or "")
    if not name:
        errors["name"].append(_("Enter a name."))
    elif len(name) > 200:
        errors["name"].append(_("At most %(max)d characters.") % {"max": 200})
    if len(name_en) > 200:
        errors["name_en"].append(_("At most %(max)d characters.") % {"max": 200})
    if org_type not in OrgType.values:
        errors["org_type"].append(_("Choose a valid organisation type."))
    parent = _lookup(Organization, data.get("parent"), "parent", errors)
    district = _lookup(District, data.get("district"), "district", errors)
    subdistrict = _lookup(Subdistrict, data.get("subdistrict"), "subdistrict", errors)
    sectors = _clean_sectors(data.get("industry_sectors"), errors)

    is_bank = org_type == OrgType.BANK
    if is_bank and bank_tier not in BankTier.values:
        errors["bank_tier"].append(_("Choose the tier of the bank: head office, branch or sci-tech branch."))
    if not is_bank and bank_tier:
        errors["bank_tier"].append(_("Only banks have a tier."))
    is_branch = is_bank and bank_tier in (BankTier.BRANCH, BankTier.SCITECH_BRANCH)
    if is_branch and parent is None and not errors["parent"]:
        errors["parent"].append(_("Choose the head office this branch belongs to."))
    if parent is not None and not is_branch:
        errors["parent"].append(_("Only bank branches and sci-tech branches have a parent organisation."))
    if (
        parent is not None
        and is_branch
        and not (parent.org_type == OrgType.BANK and parent.bank_tier == BankTier.HEAD_OFFICE)
    ):
        errors["parent"].append(_("The parent of a branch must be a bank head office."))
    if org_type == OrgType.INDUSTRY_AUTHORITY and not sectors and not errors["industry_sectors"]:
        errors["industry_sectors"].append(_("Enter at least one industry code of the authority's sector."))
    if org_type != OrgType.INDUSTRY_AUTHORITY and sectors:
        errors["industry_sectors"].append(_("Only industry authorities have industry sectors."))
    if org_type == OrgType.SUBDISTRICT_OFFICE and subdistrict is None and not errors["subdistrict"]:
        errors["subdistrict"].append(_("Choose the subdistrict this office manages."))
    if org_type != OrgType.SUBDISTRICT_OFFICE and subdistrict is not None:
        errors["subdistrict"].append(_("Only subdistrict offices have a subdistrict."))
    if subdistrict is not None and district is not None and subdistrict.district_id != district.pk:
        errors["subdistrict"].append(_("The subdistrict does not belong to the chosen district."))

    errors = {k: v for k, v in errors.items() if v}
    if errors:
        raise _invalid(errors)
    return {
        "name": name,
        "name_en": name_en,
        "org_type": org_type,
        "bank_tier": bank_tier,
        "parent": parent,
        "district": district or (subdistrict.district if subdistrict else None),
        "subdistrict": subdistrict,
        "industry_sectors": sectors,
    }


def _default_district(actor: Any) -> District | None:
    """The district of the actor's district-authority organisation, if any."""
    for membership in actor.active_memberships:
        if membership.organization.org_type == OrgType.DISTRICT_AUTHORITY and membership.organization.district_id:
            return membership.organization.district
    return None


def organization_create(*, actor: Any, data: Mapping[str, Any]) -> Organization:
    """Create an organisation.

    `data`: name, name_en, org_type, bank_tier (banks only), parent (head office, for bank branches),
    district, subdistrict (subdistrict offices), industry_sectors (industry authorities: GB/T 4754-2017
    code prefixes, a list or a comma-separated string). Callers: holders of accounts.manage_organizations
    (district authority admins). Raises PermissionDenied, ValidationFailed (field messages) or Conflict
    when an organisation of the same type and name exists.
    """
    require_perm(actor, perms.MANAGE_ORGANIZATIONS)
    values = _validate_organization(data)
    values["district"] = values["district"] or _default_district(actor)
    with transaction.atomic():
        if Organization.objects.filter(org_type=values["org_type"], name=values["name"]).exists():
            raise Conflict(
                _("An organisation of this type with this name already exists."),
                code="organization_exists",
                fields={"name": [_("An organisation of this type with this name already exists.")]},
            )
        organization = Organization.objects.create(**values)
        log_event(actor=actor, action="organization_create", obj=organization, after=snapshot(organization))
    return organization


# --- invitations ---------------------------------------------------------------------------------


def _validate_role(role: Any) -> str:
    if role not in Role.values:
        raise _invalid({"role": [_("Choose a valid role.")]})
    return str(role)


def _accept_link(token: str, site_url: str | None) -> str:
    base = (site_url or getattr(settings, "FINBRIDGE_SITE_URL", "") or DEFAULT_SITE_URL).rstrip("/")
    return base + reverse("accounts:invitation_accept", kwargs={"token": token})


def _send_invitation_email(invitation_id: int, link: str, language: str) -> None:
    """Email the invitation link, in the language the inviter was using."""
    invitation = Invitation.objects.select_related("organization", "invited_by").get(pk=invitation_id)
    with translation.override(language):
        context = {
            "invitation": invitation,
            "organization": invitation.organization.display_name,
            "role": invitation.get_role_display(),
            "inviter": str(invitation.invited_by) if invitation.invited_by else "",
            "link": link,
            "expires_at": timezone.localtime(invitation.expires_at),
        }
        subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
        body = render_to_string("accounts/email/invitation_body.txt", context)
    send_mail(subject, body, None, [invitation.email])


def invitation_create(
    *, actor: Any, organization: Organization, email: str, role: str, site_url: str | None = None
) -> Invitation:
    """Invite `email` to join `organization` with `role`; the link is emailed after commit.

    `site_url` (scheme and host, e.g. from the request) prefixes the link; default FINBRIDGE_SITE_URL.
    Callers: admins of the organisation (accounts.manage_members on it) and district authority admins.
    Raises PermissionDenied, ValidationFailed (bad email or role), Conflict (already a member, or an
    open invitation for this email exists).
    """
    require_perm(actor, perms.MANAGE_MEMBERS, organization)
    email = str(email or "").strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError:
        raise _invalid({"email": [_("Enter a valid email address.")]}) from None
    role = _validate_role(role)
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        if organization.memberships.filter(user__email__iexact=email).exists():
            raise Conflict(
                _("A person with this email is already a member of the organisation."),
                code="already_member",
                fields={"email": [_("A person with this email is already a member of the organisation.")]},
            )
        open_invitations = organization.invitations.filter(
            email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        if open_invitations.exists():
            raise Conflict(
                _("This email already has an open invitation. Revoke it first to send a new one."),
                code="invitation_pending",
                fields={"email": [_("This email already has an open invitation.")]},
            )
        now = timezone.now()
        invitation = Invitation.objects.create(
            organization=organization,
            email=email,
            role=role,
            token=secrets.token_urlsafe(32),
            invited_by=actor,
            created_at=now,
            expires_at=now + timedelta(days=settings.FINBRIDGE_INVITATION_DAYS),
        )
        log_event(
            actor=actor,
            action="invitation_create",
            obj=invitation,
            after=snapshot(invitation, fields=INVITATION_AUDIT_FIELDS),
        )
        link = _accept_link(invitation.token, site_url)
        language = translation.get_language() or settings.LANGUAGE_CODE
        transaction.on_commit(lambda: _send_invitation_email(invitation.pk, link, language))
    return invitation


def invitation_revoke(*, actor: Any, invitation: Invitation) -> Invitation:
    """Revoke an open invitation so its link no longer works.

    Callers: admins of the invitation's organisation and district authority admins. Raises
    PermissionDenied, or Conflict when the invitation was already accepted, revoked or has expired.
    """
    require_perm(actor, perms.MANAGE_MEMBERS, invitation.organization)
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not invitation.is_open:
            raise Conflict(_("Only an open invitation can be revoked."), code="invitation_not_open")
        before = snapshot(invitation, fields=INVITATION_AUDIT_FIELDS)
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        log_event(
            actor=actor,
            action="invitation_revoke",
            obj=invitation,
            before=before,
            after=snapshot(invitation, fields=INVITATION_AUDIT_FIELDS),
        )
    return invitation


# Why a closed invitation cannot be used: error code and message, by InvitationStatus.
INVITATION_CLOSED = {
    InvitationStatus.ACCEPTED: ("invitation_used", _("This invitation has already been used.")),
    InvitationStatus.REVOKED: ("invitation_revoked", _("This invitation was revoked by the organisation.")),
    InvitationStatus.EXPIRED: (
        "invitation_expired",
        _("This invitation has expired. Ask the organisation for a new one."),
    ),
}


def _raise_unless_open(invitation: Invitation) -> None:
    status = invitation_status(invitation)
    if status in INVITATION_CLOSED:
        code, message = INVITATION_CLOSED[status]
        raise Conflict(message, code=code)


def _new_user(*, username: str, password: str, display_name: str, email: str) -> User:
    """Create a person from an invitation; ValidationFailed for a taken or invalid username or a weak password."""
    errors: dict[str, list[Any]] = {}
    username = str(username or "").strip()
    display_name = str(display_name or "").strip()
    if not username:
        errors["username"] = [_("Enter a username.")]
    else:
        try:
            User.username_validator(username)
            if len(username) > 150:
                raise DjangoValidationError(_("At most %(max)d characters.") % {"max": 150})
        except DjangoValidationError as exc:
            errors["username"] = list(exc.messages)
        else:
            if User.objects.filter(username__iexact=username).exists():
                errors["username"] = [_("This username is taken. Choose another or sign in first.")]
    if len(display_name) > 100:
        errors["display_name"] = [_("At most %(max)d characters.") % {"max": 100}]
    user = User(username=username, email=email, display_name=display_name)
    try:
        validate_password(str(password or ""), user=user)
    except DjangoValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise _invalid(errors)
    user.set_password(password)
    user.save()
    return user


def invitation_accept(
    *, actor: Any = None, token: str, username: str = "", password: str = "", display_name: str = ""
) -> Membership:
    """Accept an invitation: join its organisation with its role.

    When `actor` is signed in, the membership is added to that person; otherwise a new person is
    created from `username`, `password` (checked against the password rules) and `display_name`,
    with the invitation's email. Anyone holding the token may call it. Raises NotFound (unknown token),
    Conflict (used, revoked, expired, already a member) or ValidationFailed (username, password).
    """
    with transaction.atomic():
        try:
            invitation = Invitation.objects.select_for_update().get(token=str(token or ""))
        except Invitation.DoesNotExist:
            raise NotFound(_("This invitation link is not valid."), code="invitation_not_found") from None
        _raise_unless_open(invitation)
        before = snapshot(invitation, fields=INVITATION_AUDIT_FIELDS)
        if getattr(actor, "is_authenticated", False):
            user = actor
            if Membership.objects.filter(user=user, organization_id=invitation.organization_id).exists():
                raise Conflict(_("You are already a member of this organisation."), code="already_member")
        else:
            user = _new_user(username=username, password=password, display_name=display_name, email=invitation.email)
            log_event(actor=user, action="user_create", obj=user, after=snapshot(user, fields=USER_AUDIT_FIELDS))
        membership = Membership.objects.create(
            user=user, organization_id=invitation.organization_id, role=invitation.role
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        log_event(
            actor=user,
            action="invitation_accept",
            obj=invitation,
            before=before,
            after=snapshot(invitation, fields=INVITATION_AUDIT_FIELDS),
        )
        log_event(actor=user, action="membership_create", obj=membership, after=snapshot(membership))
    return membership


# --- memberships ---------------------------------------------------------------------------------


def _lock_membership(membership: Membership) -> Membership:
    """Re-read a membership for update, and lock the admin memberships of its organisation."""
    list(
        Membership.objects.select_for_update()
        .filter(organization_id=membership.organization_id, role=Role.ADMIN)
        .values_list("pk", flat=True)
    )
    try:
        return Membership.objects.select_for_update().select_related("user", "organization").get(pk=membership.pk)
    except Membership.DoesNotExist:
        raise NotFound() from None


def _raise_if_last_admin(membership: Membership) -> None:
    if membership.role != Role.ADMIN:
        return
    others = Membership.objects.filter(organization_id=membership.organization_id, role=Role.ADMIN).exclude(
        pk=membership.pk
    )
    if not others.exists():
        raise Conflict(
            _("The organisation needs at least one administrator. Make another member an administrator first."),
            code="last_admin",
        )


def membership_change_role(*, actor: Any, membership: Membership, role: str) -> Membership:
    """Give a member another role.

    Callers: admins of the membership's organisation and district authority admins. Raises
    PermissionDenied, ValidationFailed (unknown role) or Conflict (demoting the last admin).
    """
    require_perm(actor, perms.MANAGE_MEMBERS, membership.organization)
    role = _validate_role(role)
    with transaction.atomic():
        membership = _lock_membership(membership)
        if membership.role == role:
            return membership
        if role != Role.ADMIN:
            _raise_if_last_admin(membership)
        before = snapshot(membership)
        membership.role = role
        membership.save(update_fields=["role"])
        log_event(
            actor=actor, action="membership_change_role", obj=membership, before=before, after=snapshot(membership)
        )
    return membership


def membership_remove(*, actor: Any, membership: Membership) -> None:
    """Remove a member from an organisation; from their next request on they no longer see its data.

    Callers: admins of the membership's organisation and district authority admins. Raises
    PermissionDenied or Conflict (removing the last admin).
    """
    require_perm(actor, perms.MANAGE_MEMBERS, membership.organization)
    with transaction.atomic():
        membership = _lock_membership(membership)
        _raise_if_last_admin(membership)
        before = snapshot(membership)
        log_event(actor=actor, action="membership_remove", obj=membership, before=before, after=None)
        membership.delete()


# --- passwords and API tokens ----------------------------------------------------------------------


def user_password_change(*, actor: Any, old_password: str, new_password: str) -> None:
    """Change the actor's own password under the password rules of the settings; revokes their API token.

    Callers: any signed-in person. Raises ValidationFailed (wrong current password, weak new password).
    """
    if not actor.check_password(str(old_password or "")):
        raise _invalid({"old_password": [_("Your current password is not correct.")]})
    try:
        validate_password(str(new_password or ""), user=actor)
    except DjangoValidationError as exc:
        raise _invalid({"new_password": list(exc.messages)}) from None
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=actor.pk)
        user.set_password(new_password)
        user.save(update_fields=["password"])
        actor.password = user.password
        revoked = Token.objects.filter(user=user).delete()[0] > 0
        log_event(actor=actor, action="user_password_change", obj=user, after={"api_token_revoked": revoked})


def api_token_obtain(*, actor: Any) -> Token:
    """The actor's API token, created when they have none. Callers: a person who just authenticated."""
    with transaction.atomic():
        token, created = Token.objects.get_or_create(user=actor)
        if created:
            log_event(actor=actor, action="api_token_create", obj=actor, after={"api_token": "created"})
    return token


def api_token_rotate(*, actor: Any) -> Token:
    """Replace the actor's API token with a new one (the old one stops working at once)."""
    with transaction.atomic():
        had_token = Token.objects.filter(user=actor).delete()[0] > 0
        token = Token.objects.create(user=actor)
        log_event(
            actor=actor,
            action="api_token_rotate" if had_token else "api_token_create",
            obj=actor,
            before={"api_token": "active"} if had_token else None,
            after={"api_token": "created"},
        )
    return token


def api_token_revoke(*, actor: Any) -> bool:
    """Delete the actor's API token; False when they had none."""
    with transaction.atomic():
        revoked = Token.objects.filter(user=actor).delete()[0] > 0
        if revoked:
            log_event(actor=actor, action="api_token_revoke", obj=actor, before={"api_token": "active"}, after=None)
    return revoked


# --- first administrator -------------------------------------------------------------------------


def district_authority_bootstrap(
    *, name: str, name_en: str = "", district_code: str = "", username: str, email: str = "", password: str
) -> Membership:
    """Create the district financial authority (or find it by name) and its first administrator.

    For the operator of a new installation, from the command line (`create_authority_admin`); no
    actor, so the audit trail records "system". Raises ValidationFailed (name, unknown district,
    username, password rules) or Conflict (the person is already a member of the authority).
    """
    name = str(name or "").strip()
    if not name:
        raise _invalid({"name": [_("Enter a name.")]})
    district = None
    if district_code:
        district = District.objects.filter(code=district_code).first()
        if district is None:
            raise _invalid({"district": [_("No such record.")]})
    with transaction.atomic():
        authority = Organization.objects.filter(org_type=OrgType.DISTRICT_AUTHORITY, name=name).first()
        if authority is None:
            authority = Organization.objects.create(
                org_type=OrgType.DISTRICT_AUTHORITY, name=name, name_en=str(name_en or "").strip(), district=district
            )
            log_event(actor=None, action="organization_create", obj=authority, after=snapshot(authority))
        user = User.objects.filter(username=username).first()
        if user is None:
            user = _new_user(username=username, password=password, display_name="", email=str(email or "").strip())
            log_event(actor=None, action="user_create", obj=user, after=snapshot(user, fields=USER_AUDIT_FIELDS))
        if Membership.objects.filter(user=user, organization=authority).exists():
            raise Conflict(_("This person is already a member of the organisation."), code="already_member")
        membership = Membership.objects.create(user=user, organization=authority, role=Role.ADMIN)
        log_event(actor=None, action="membership_create", obj=membership, after=snapshot(membership))
    return membership
