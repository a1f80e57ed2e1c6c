"""Who the actor is on the receivables side: the organisations whose records they see, and whether they see
everything (the district authority)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from finbridge.accounts.choices import OrgType
from finbridge.accounts.roles import codes_for
from finbridge.core.errors import NotFound
from finbridge.core.permissions import has_perm
from finbridge.supplychain import permissions as perms


@dataclass(frozen=True)
class TradeScope:
    """The actor's organisations whose memberships grant supplychain.view, and whether one of them is the
    district authority (which sees every record, read-only)."""

    org_ids: frozenset[int]
    sees_all: bool

    @property
    def sees_nothing(self) -> bool:
        return not self.sees_all and not self.org_ids


def trade_scope(actor: Any) -> TradeScope:
    """The actor's TradeScope (cached on the user object for the request)."""
    if not has_perm(actor, perms.VIEW_SUPPLY_CHAIN):
        return TradeScope(frozenset(), False)
    cached = actor.__dict__.get("_supplychain_scope")
    if cached is not None:
        return cached
    orgs = [
        m.organization
        for m in actor.active_memberships
        if perms.VIEW_SUPPLY_CHAIN in codes_for(m.organization.org_type, m.role)
    ]
    scope = TradeScope(
        org_ids=frozenset(o.pk for o in orgs),
        sees_all=any(o.org_type == OrgType.DISTRICT_AUTHORITY for o in orgs),
    )
    actor.__dict__["_supplychain_scope"] = scope
    return scope


def parse_pk(pk: Any) -> int:
    """An id from user input; NotFound for anything that is not a positive integer."""
    if isinstance(pk, bool):
        raise NotFound()
    try:
        value = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    if value <= 0:
        raise NotFound()
    return value
