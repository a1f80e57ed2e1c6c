"""Reads of pools, their members and rule versions.

Who sees which pool (row visibility lives here and in the other riskpool selectors):
- government (district authority, industry authorities, subdistrict offices) with riskpool.view_pool: every
  pool; drafts only the authority that runs them;
- a bank, guarantee agency or insurer: the pools it (or its head office) is a member of;
- everyone else: none. A pool the actor may not see answers NotFound, like a missing one.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum

from finbridge.accounts.choices import OrgType
from finbridge.accounts.selectors import actor_scope
from finbridge.core.errors import NotFound
from finbridge.core.permissions import has_perm
from finbridge.riskpool import permissions as perms
from finbridge.riskpool.choices import Account, OwedStatus, PoolStatus
from finbridge.riskpool.models import JournalLine, OwedAmount, Pool, PoolMember, RuleVersion
from finbridge.riskpool.sharing import RuleSet, rule_set_from_dict

ZERO = Decimal("0")
INSTITUTION_TYPES = frozenset({OrgType.BANK, OrgType.GUARANTOR, OrgType.INSURER})


def _memberships(actor: Any) -> list[Any]:
    if not getattr(actor, "is_authenticated", False):
        return []
    return list(actor.active_memberships)


def own_institution_ids(actor: Any) -> frozenset[int]:
    """The actor's own bank, guarantee-agency and insurer organisations (the rows they act for)."""
    return frozenset(m.organization_id for m in _memberships(actor) if m.organization.org_type in INSTITUTION_TYPES)


def visible_institution_ids(actor: Any) -> frozenset[int]:
    """The actor's institutions and their head offices (a branch sees its head office's pools)."""
    ids: set[int] = set()
    for membership in _memberships(actor):
        organization = membership.organization
        if organization.org_type in INSTITUTION_TYPES:
            ids.add(organization.pk)
            if organization.parent_id:
                ids.add(organization.parent_id)
    return frozenset(ids)


def authority_ids(actor: Any) -> frozenset[int]:
    """The district authorities the actor belongs to (the ones that can run pools)."""
    return frozenset(
        m.organization_id for m in _memberships(actor) if m.organization.org_type == OrgType.DISTRICT_AUTHORITY
    )


def pool_list(*, actor: Any) -> QuerySet[Pool]:
    """Pools the actor may see (see the module docstring); none without riskpool.view_pool."""
    qs = Pool.objects.select_related("authority").order_by("-period_start", "-id")
    if not has_perm(actor, perms.VIEW_POOL):
        return qs.none()
    if actor_scope(actor).is_government:
        return qs.filter(~Q(status=PoolStatus.DRAFT) | Q(authority_id__in=authority_ids(actor)))
    institutions = visible_institution_ids(actor)
    if not institutions:
        return qs.none()
    return qs.filter(members__organization_id__in=institutions).exclude(status=PoolStatus.DRAFT).distinct()


def pool_get(*, actor: Any, pk: Any) -> Pool:
    """One pool the actor may see; NotFound otherwise (also for a malformed pk)."""
    try:
        return pool_list(actor=actor).get(pk=int(pk))
    except (Pool.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def member_list(*, actor: Any, pool: Pool) -> QuerySet[PoolMember]:
    """The members of a pool the actor may see: government and members see them all."""
    pool_get(actor=actor, pk=pool.pk)
    return pool.members.select_related("organization").order_by("role", "organization__name")


def member_of(*, pool: Pool, organization: Any, role: str | None = None) -> PoolMember | None:
    """The membership of an organisation (or of its head office) in a pool, if any."""
    ids = [organization.pk] + ([organization.parent_id] if getattr(organization, "parent_id", None) else [])
    qs = pool.members.filter(organization_id__in=ids)
    if role:
        qs = qs.filter(role=role)
    return qs.select_related("organization").order_by("id").first()


def rule_version_list(*, actor: Any, pool: Pool) -> QuerySet[RuleVersion]:
    """The rule versions of a pool the actor may see, newest first."""
    pool_get(actor=actor, pk=pool.pk)
    return pool.rule_versions.order_by("-effective_from", "-number")


def rule_version_in_force(*, pool: Pool, on: datetime.date) -> RuleVersion | None:
    """The version with the latest effective date on or before `on` (None before the first)."""
    return pool.rule_versions.filter(effective_from__lte=on).order_by("-effective_from").first()


def rule_set_of(version: RuleVersion) -> RuleSet:
    """The sharing engine's RuleSet of a stored rule version (memoised on the instance)."""
    cached = version.__dict__.get("_rule_set")
    if cached is None:
        cached = rule_set_from_dict(version.rules)
        version.__dict__["_rule_set"] = cached
    return cached


@dataclass(frozen=True)
class PoolSummary:
    """A pool's money and capacity at a glance (CNY)."""

    capital: Decimal
    cash: Decimal
    owed: Decimal
    free_balance: Decimal
    payouts: Decimal
    recoveries: Decimal
    interest: Decimal
    covered_balance: Decimal
    max_covered_balance: Decimal
    free_capacity: Decimal
    open_owed_count: int

    @property
    def utilisation(self) -> Decimal:
        """Covered balance as a fraction of the maximum (0 when the pool has no capacity)."""
        if not self.max_covered_balance:
            return ZERO
        return self.covered_balance / self.max_covered_balance


def pool_summary(*, pool: Pool) -> PoolSummary:
    """Capital, cash, owed, free balance, payouts, recoveries, interest and capacity of a pool (no
    visibility check: call it on a pool from pool_get)."""
    sums = {
        row["account"]: (row["d"] or ZERO) - (row["c"] or ZERO)
        for row in JournalLine.objects.filter(pool=pool)
        .values("account")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .order_by()
    }
    owed = -sums.get(Account.OWED, ZERO)
    return PoolSummary(
        capital=pool.capital_total,
        cash=pool.cash_balance,
        owed=owed,
        free_balance=pool.cash_balance - owed,
        payouts=sums.get(Account.PAYOUTS, ZERO),
        recoveries=-sums.get(Account.RECOVERIES, ZERO),
        interest=-sums.get(Account.INTEREST, ZERO),
        covered_balance=pool.covered_balance,
        max_covered_balance=pool.max_covered_balance,
        free_capacity=pool.free_capacity,
        open_owed_count=OwedAmount.objects.filter(pool=pool, status=OwedStatus.OPEN).count(),
    )
