"""Reads of the MSME registry. Row visibility is enforced here and nowhere else.

Who sees an enterprise:
- district financial authority: every enterprise;
- industry authority: enterprises it manages (assigned from the industry code by its sectors);
- subdistrict office: enterprises in its subdistrict;
- bank, guarantor, insurer, investor, securities firm, core enterprise: enterprises that granted
  their organisation (or, for a branch, its head office) a consent that is neither revoked nor expired;
- MSME: its own record.
A record the actor may not see answers NotFound, exactly like a missing one.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from finbridge.accounts.selectors import actor_scope
from finbridge.core.errors import NotFound
from finbridge.enterprises import permissions as perms
from finbridge.enterprises.choices import ConsentScope
from finbridge.enterprises.models import Consent, Enterprise


def active_consents(*, grantee_ids: Any) -> QuerySet[Consent]:
    """Consents to the given organisations that are neither revoked nor expired today."""
    today = timezone.localdate()
    return Consent.objects.filter(grantee_id__in=grantee_ids, revoked_at__isnull=True).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=today)
    )


def _visibility_filter(actor: Any) -> Q | None:
    """A Q selecting the enterprises `actor` may see; None means every enterprise."""
    scope = actor_scope(actor)
    if scope.is_district_authority:
        return None
    condition = Q(pk__in=[])
    if scope.industry_authority_ids:
        condition |= Q(managing_authority_id__in=scope.industry_authority_ids)
    if scope.subdistrict_ids:
        condition |= Q(subdistrict_id__in=scope.subdistrict_ids)
    if scope.own_organization_ids:
        condition |= Q(organization_id__in=scope.own_organization_ids)
    if scope.consent_grantee_ids:
        consents = active_consents(grantee_ids=scope.consent_grantee_ids).filter(enterprise_id=OuterRef("pk"))
        condition |= Q(Exists(consents))
    return condition


def enterprise_visible_queryset(*, actor: Any) -> QuerySet[Enterprise]:
    """Every enterprise the actor may see (unordered, unfiltered otherwise)."""
    if not actor_scope(actor).organization_ids:
        return Enterprise.objects.none()
    condition = _visibility_filter(actor)
    qs = Enterprise.objects.all()
    return qs if condition is None else qs.filter(condition)


def enterprise_get(*, actor: Any, pk: Any) -> Enterprise:
    """One enterprise the actor may see, with its relations loaded; NotFound otherwise."""
    try:
        return (
            enterprise_visible_queryset(actor=actor)
            .select_related("subdistrict", "managing_authority", "organization", "last_verified_by")
            .prefetch_related("clusters", "contacts", "financials")
            .get(pk=int(pk))
        )
    except (Enterprise.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def can_see_financials(*, actor: Any, enterprise: Enterprise) -> bool:
    """Whether the actor may see the enterprise's figures (government, owner, or a financials consent)."""
    scope = actor_scope(actor)
    if scope.is_government or (enterprise.organization_id in scope.own_organization_ids):
        return True
    return (
        active_consents(grantee_ids=scope.consent_grantee_ids)
        .filter(enterprise=enterprise, scope=ConsentScope.FINANCIALS)
        .exists()
    )


def is_in_remit(*, actor: Any, enterprise: Enterprise) -> bool:
    """Whether the enterprise falls in the actor's government remit or is the actor's own."""
    scope = actor_scope(actor)
    return (
        scope.is_district_authority
        or enterprise.managing_authority_id in scope.industry_authority_ids
        or enterprise.subdistrict_id in scope.subdistrict_ids
        or (enterprise.organization_id is not None and enterprise.organization_id in scope.own_organization_ids)
    )


def enterprise_object_rule(actor: Any, code: str, obj: Enterprise) -> bool:
    """Object rule for has_perm: reading needs visibility, writing needs remit (or ownership)."""
    if code in (perms.VIEW_ENTERPRISE,):
        return enterprise_visible_queryset(actor=actor).filter(pk=obj.pk).exists()
    if code == perms.MANAGE_CONSENT:
        scope = actor_scope(actor)
        return obj.organization_id is not None and obj.organization_id in scope.own_organization_ids
    return is_in_remit(actor=actor, enterprise=obj)
