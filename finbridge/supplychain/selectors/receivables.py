"""Reads of receivables and their upload runs. Row visibility is enforced here.

With supplychain.view in the organisation that gives the access:
- the creditor and the debtor see their receivables;
- a funder sees the receivables in financing requests sent to it (directly, or under a voucher part) and those
  registered to it;
- a voucher holder sees the receivable its parts trace back to;
- the district authority sees everything (read-only).
Anything else answers NotFound, like a missing record.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from finbridge.core.errors import NotFound
from finbridge.supplychain.choices import ReceivableStatus
from finbridge.supplychain.models import (
    FinancingRequestItem,
    Receivable,
    ReceivableUploadRun,
    Registration,
    Voucher,
)
from finbridge.supplychain.selectors._common import TradeScope, parse_pk, trade_scope

SIDES = ("creditor", "debtor")


def _visibility(scope: TradeScope) -> Q:
    ids = scope.org_ids
    requested = FinancingRequestItem.objects.filter(request__offers__funder_id__in=ids)
    return (
        Q(creditor_id__in=ids)
        | Q(debtor_id__in=ids)
        | Q(pk__in=requested.filter(receivable__isnull=False).values("receivable_id"))
        | Q(pk__in=requested.filter(voucher__isnull=False).values("voucher__receivable_id"))
        | Q(pk__in=Registration.objects.filter(funder_id__in=ids).values("root_receivable_id"))
        | Q(pk__in=Voucher.objects.filter(holder_id__in=ids).values("receivable_id"))
    )


def receivable_queryset(*, actor: Any) -> QuerySet[Receivable]:
    """Every receivable the actor may see (no ordering or joins added)."""
    scope = trade_scope(actor)
    if scope.sees_all:
        return Receivable.objects.all()
    if scope.sees_nothing:
        return Receivable.objects.none()
    return Receivable.objects.filter(_visibility(scope))


def receivable_list(
    *,
    actor: Any,
    side: str | None = None,
    status: str | None = None,
    overdue: bool | None = None,
    search: str | None = None,
) -> QuerySet[Receivable]:
    """Receivables the actor may see, newest first. `side` "creditor" or "debtor" keeps those where one of the
    actor's organisations is that party; `search` matches invoice number, contract reference or a party's
    name. Unknown filter values give an empty list. Raises nothing."""
    scope = trade_scope(actor)
    qs = receivable_queryset(actor=actor)
    if side is not None:
        if side not in SIDES:
            return Receivable.objects.none()
        qs = qs.filter(**{f"{side}_id__in": scope.org_ids})
    if status:
        if status not in ReceivableStatus.values:
            return Receivable.objects.none()
        qs = qs.filter(status=status)
    if overdue is not None:
        qs = qs.filter(is_overdue=bool(overdue))
    if search and search.strip():
        term = search.strip()[:100]
        qs = qs.filter(
            Q(invoice_number__icontains=term)
            | Q(contract_reference__icontains=term)
            | Q(creditor__name__icontains=term)
            | Q(debtor__name__icontains=term)
        )
    return qs.select_related("creditor", "debtor").order_by("-created_at", "-id")


def receivable_get(*, actor: Any, pk: Any) -> Receivable:
    """One receivable the actor may see, with its parties, confirmation and documents; NotFound otherwise."""
    qs = receivable_queryset(actor=actor).select_related("creditor", "debtor", "confirmation")
    try:
        return qs.prefetch_related("documents").get(pk=parse_pk(pk))
    except Receivable.DoesNotExist:
        raise NotFound() from None


def receivable_is_visible(*, actor: Any, receivable: Receivable) -> bool:
    """Whether the actor may see this receivable (one query at most)."""
    scope = trade_scope(actor)
    if scope.sees_all:
        return True
    if scope.sees_nothing:
        return False
    if receivable.creditor_id in scope.org_ids or receivable.debtor_id in scope.org_ids:
        return True
    return receivable_queryset(actor=actor).filter(pk=receivable.pk).exists()


def upload_run_list(*, actor: Any) -> QuerySet[ReceivableUploadRun]:
    """Upload runs of the actor's organisations (the district authority: all), newest first."""
    scope = trade_scope(actor)
    if scope.sees_all:
        return ReceivableUploadRun.objects.select_related("organization", "created_by")
    return ReceivableUploadRun.objects.filter(organization_id__in=scope.org_ids).select_related(
        "organization", "created_by"
    )


def upload_run_get(*, actor: Any, pk: Any) -> ReceivableUploadRun:
    """One upload run the actor may see; NotFound otherwise."""
    try:
        return upload_run_list(actor=actor).get(pk=parse_pk(pk))
    except ReceivableUploadRun.DoesNotExist:
        raise NotFound() from None


def party_codes(actor: Any, org_id: int) -> frozenset[str]:
    """The supply-chain codes the actor's membership in organisation `org_id` grants (none without one)."""
    from finbridge.accounts.roles import codes_for

    if not getattr(actor, "is_authenticated", False):
        return frozenset()
    for membership in actor.active_memberships:
        if membership.organization_id == org_id:
            return codes_for(membership.organization.org_type, membership.role)
    return frozenset()


def receivable_allowed_actions(*, actor: Any, receivable: Receivable) -> frozenset[str]:
    """What the actor may do to this receivable now (read-only guard for pages and the API): any of "confirm",
    "dispute", "correct", "add_document", "withdraw", "request_financing", "issue_voucher", "settle". The
    services check again under their locks."""
    from finbridge.supplychain import permissions as perms

    s = ReceivableStatus
    actions: set[str] = set()
    today = timezone.localdate()
    if perms.TRADE in party_codes(actor, receivable.debtor_id):
        if receivable.status == s.PENDING:
            actions |= {"confirm", "dispute"}
        if receivable.status == s.CONFIRMED and not receivable.is_overdue and receivable.due_on >= today:
            actions.add("issue_voucher")
        if receivable.status in (s.CONFIRMED, s.FINANCING_REQUESTED, s.FINANCED, s.VOUCHER_ISSUED):
            actions.add("settle")
    if perms.TRADE in party_codes(actor, receivable.creditor_id):
        if receivable.status in (s.PENDING, s.DISPUTED):
            actions |= {"correct", "add_document", "withdraw"}
        if receivable.status == s.CONFIRMED and not receivable.is_overdue and receivable.due_on >= today:
            actions.add("request_financing")
    return frozenset(actions)
