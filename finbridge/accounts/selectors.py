"""Reads about people and organisations, including what an actor's memberships cover."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from finbridge.accounts.choices import CONSENT_TYPES, OrgType
from finbridge.accounts.models import Invitation, Membership, Organization
from finbridge.core.errors import NotFound
from finbridge.core.permissions import has_perm


@dataclass(frozen=True)
class ActorScope:
    """What an actor's active memberships cover, for row-visibility filters in selectors."""

    organization_ids: frozenset[int]
    is_district_authority: bool
    industry_authority_ids: frozenset[int]
    subdistrict_ids: frozenset[int]
    consent_grantee_ids: frozenset[int]
    own_organization_ids: frozenset[int]

    @property
    def is_government(self) -> bool:
        return self.is_district_authority or bool(self.industry_authority_ids or self.subdistrict_ids)


def actor_scope(actor: Any) -> ActorScope:
    """The remit of `actor` (cached on the user object for the request). Anonymous: empty scope."""
    if not getattr(actor, "is_authenticated", False):
        return ActorScope(frozenset(), False, frozenset(), frozenset(), frozenset(), frozenset())
    cached = actor.__dict__.get("_actor_scope")
    if cached is not None:
        return cached
    orgs = [m.organization for m in actor.active_memberships]
    consent_ids: set[int] = set()
    for org in orgs:
        if org.org_type in CONSENT_TYPES:
            consent_ids.add(org.pk)
            if org.parent_id:
                consent_ids.add(org.parent_id)
    scope = ActorScope(
        organization_ids=frozenset(o.pk for o in orgs),
        is_district_authority=any(o.org_type == OrgType.DISTRICT_AUTHORITY for o in orgs),
        industry_authority_ids=frozenset(o.pk for o in orgs if o.org_type == OrgType.INDUSTRY_AUTHORITY),
        subdistrict_ids=frozenset(
            o.subdistrict_id for o in orgs if o.org_type == OrgType.SUBDISTRICT_OFFICE and o.subdistrict_id
        ),
        consent_grantee_ids=frozenset(consent_ids),
        own_organization_ids=frozenset(o.pk for o in orgs if o.org_type in (OrgType.MSME, OrgType.CORE_ENTERPRISE)),
    )
    actor.__dict__["_actor_scope"] = scope
    return scope


def organization_list(*, actor: Any) -> QuerySet[Organization]:
    """Organisations the actor may see: all for the district authority, else their own."""
    scope = actor_scope(actor)
    qs = Organization.objects.select_related("parent", "subdistrict").order_by("org_type", "name")
    if scope.is_district_authority:
        return qs
    return qs.filter(pk__in=scope.organization_ids)


def organization_get(*, actor: Any, pk: Any) -> Organization:
    """One organisation the actor may see; NotFound otherwise."""
    try:
        return organization_list(actor=actor).get(pk=int(pk))
    except (Organization.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def organizations_managed_by(*, actor: Any) -> list[Organization]:
    """Organisations whose members the actor may manage (they are admin there)."""
    return [
        m.organization
        for m in actor.active_memberships
        if has_perm(actor, "accounts.manage_members") and m.role == "admin"
    ]


def membership_list(*, actor: Any, organization: Organization) -> QuerySet[Membership]:
    """Members of an organisation the actor may see."""
    organization_get(actor=actor, pk=organization.pk)
    return organization.memberships.select_related("user").order_by("user__username")


def invitation_list(*, actor: Any, organization: Organization) -> QuerySet[Invitation]:
    """Open and past invitations of an organisation the actor manages."""
    organization_get(actor=actor, pk=organization.pk)
    return organization.invitations.select_related("invited_by", "accepted_by")


def organization_list_administered(*, actor: Any, org_type: str = "") -> QuerySet[Organization]:
    """Organisations whose members the actor manages, optionally of one type.

    Holders of accounts.manage_organizations (district authority admins): every organisation; other
    admins: the organisations where they are admin; everyone else: none.
    """
    from finbridge.accounts.choices import Role

    qs = Organization.objects.select_related("parent", "subdistrict").order_by("org_type", "name")
    if not has_perm(actor, "accounts.manage_organizations"):
        admin_of = [m.organization_id for m in actor.active_memberships if m.role == Role.ADMIN]
        qs = qs.filter(pk__in=admin_of) if has_perm(actor, "accounts.manage_members") else qs.none()
    return qs.filter(org_type=org_type) if org_type else qs


def organization_get_for_members(*, actor: Any, pk: Any) -> Organization:
    """An organisation whose members the actor manages.

    Raises NotFound when the actor may not see the organisation, PermissionDenied when they may see it
    but not manage its members.
    """
    from finbridge.core.permissions import require_perm

    organization = organization_get(actor=actor, pk=pk)
    require_perm(actor, "accounts.manage_members", organization)
    return organization


def membership_get(*, actor: Any, organization: Organization, pk: Any) -> Membership:
    """One membership of `organization` (which the caller already resolved for the actor); NotFound otherwise."""
    try:
        return membership_list(actor=actor, organization=organization).get(pk=int(pk))
    except (Membership.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def invitation_get(*, actor: Any, organization: Organization, pk: Any) -> Invitation:
    """One invitation of `organization` (which the caller already resolved for the actor); NotFound otherwise."""
    try:
        return invitation_list(actor=actor, organization=organization).get(pk=int(pk))
    except (Invitation.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def invitation_get_by_token(*, token: str) -> Invitation:
    """The invitation a token belongs to, whatever its state; anyone holding the token may read it.

    Raises NotFound for an unknown token.
    """
    try:
        return Invitation.objects.select_related("organization", "invited_by").get(token=str(token))
    except Invitation.DoesNotExist:
        raise NotFound() from None


def invitation_status(invitation: Invitation) -> str:
    """open, accepted, revoked or expired (an InvitationStatus value)."""
    from django.utils import timezone

    from finbridge.accounts.choices import InvitationStatus

    if invitation.accepted_at is not None:
        return InvitationStatus.ACCEPTED
    if invitation.revoked_at is not None:
        return InvitationStatus.REVOKED
    if invitation.expires_at <= timezone.now():
        return InvitationStatus.EXPIRED
    return InvitationStatus.OPEN
