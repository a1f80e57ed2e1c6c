"""Object rules of the accounts app, registered with core.permissions in AccountsConfig.ready()."""

from __future__ import annotations

from typing import Any

from finbridge.accounts import permissions as perms
from finbridge.accounts.choices import Role


def is_admin_of(actor: Any, organization: Any) -> bool:
    """True when `actor` holds an active admin membership of `organization`."""
    return any(
        m.organization_id == organization.pk and m.role == Role.ADMIN for m in getattr(actor, "active_memberships", [])
    )


def organization_object_rule(actor: Any, code: str, organization: Any) -> bool:
    """Apply a permission code to one organisation.

    - manage_members: the actor is an admin of that very organisation, or administers every
      organisation (the district authority admin, who holds manage_organizations and must be able to
      invite the first admin of an organisation it created);
    - view_organization: the organisation is one of the actor's own, or the actor is the district authority;
    - any other code held by the actor applies to every organisation.
    """
    from finbridge.accounts.selectors import actor_scope
    from finbridge.core.permissions import has_perm

    if code == perms.MANAGE_MEMBERS:
        return is_admin_of(actor, organization) or has_perm(actor, perms.MANAGE_ORGANIZATIONS)
    if code == perms.VIEW_ORGANIZATION:
        scope = actor_scope(actor)
        return scope.is_district_authority or organization.pk in scope.organization_ids
    return True
