"""Reads of payment vouchers. Row visibility is enforced here.

With supplychain.view in the organisation that gives the access:
- a holder sees the parts it holds, the parts it split off or passed on (their direct children), and the
  chain of parts above its own up to the issued voucher (to trace a part back to the confirmation);
- the debtor (issuer) sees every part of its vouchers;
- a funder sees the parts in financing requests sent to it and the parts registered to it;
- the district authority sees everything.
Siblings passed to other firms further down are not shown to a holder. Anything else answers NotFound.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from finbridge.core.errors import NotFound
from finbridge.supplychain.choices import VoucherStatus
from finbridge.supplychain.models import FinancingRequestItem, Registration, Voucher
from finbridge.supplychain.selectors._common import TradeScope, parse_pk, trade_scope

# Parts that hold value (not split): their amounts add up to the issued voucher's.
LIVE_STATUSES = (
    VoucherStatus.HELD,
    VoucherStatus.FINANCING_REQUESTED,
    VoucherStatus.FINANCED,
    VoucherStatus.SETTLED,
)


def _visibility(scope: TradeScope) -> Q:
    ids = scope.org_ids
    return (
        Q(holder_id__in=ids)
        | Q(parent__holder_id__in=ids)
        | Q(receivable__debtor_id__in=ids)
        | Q(pk__in=FinancingRequestItem.objects.filter(request__offers__funder_id__in=ids).values("voucher_id"))
        | Q(pk__in=Registration.objects.filter(funder_id__in=ids, voucher__isnull=False).values("voucher_id"))
    )


def voucher_queryset(*, actor: Any) -> QuerySet[Voucher]:
    """Every voucher part the actor may list (their own side; ancestors are reached through voucher_trace)."""
    scope = trade_scope(actor)
    if scope.sees_all:
        return Voucher.objects.all()
    if scope.sees_nothing:
        return Voucher.objects.none()
    return Voucher.objects.filter(_visibility(scope))


def voucher_list(*, actor: Any, status: str | None = None, live: bool | None = None) -> QuerySet[Voucher]:
    """Voucher parts the actor may see, newest first; `live` True keeps parts not split. Raises nothing."""
    qs = voucher_queryset(actor=actor)
    if status:
        if status not in VoucherStatus.values:
            return Voucher.objects.none()
        qs = qs.filter(status=status)
    if live is not None:
        qs = qs.filter(status__in=LIVE_STATUSES) if live else qs.exclude(status__in=LIVE_STATUSES)
    return qs.select_related("holder", "receivable", "receivable__debtor", "parent").order_by("-created_at", "-id")


def _ancestor_ids(voucher: Voucher) -> list[int]:
    """Ids of the parts above `voucher`, nearest first (one query for the whole tree)."""
    parents = dict(Voucher.objects.filter(receivable_id=voucher.receivable_id).values_list("pk", "parent_id"))
    chain: list[int] = []
    current = parents.get(voucher.pk)
    while current is not None:
        chain.append(current)
        current = parents.get(current)
    return chain


def voucher_is_visible(*, actor: Any, voucher: Voucher) -> bool:
    """Whether the actor may see this part: listed for them, or an ancestor of a part they hold."""
    scope = trade_scope(actor)
    if scope.sees_all:
        return True
    if scope.sees_nothing:
        return False
    if voucher.holder_id in scope.org_ids or voucher_queryset(actor=actor).filter(pk=voucher.pk).exists():
        return True
    tree = Voucher.objects.filter(receivable_id=voucher.receivable_id).values_list("pk", "parent_id", "holder_id")
    parents = {pk: parent for pk, parent, _holder in tree}
    for pk, _parent, holder in tree:
        if holder in scope.org_ids:
            current = parents.get(pk)
            while current is not None:
                if current == voucher.pk:
                    return True
                current = parents.get(current)
    return False


def voucher_get(*, actor: Any, pk: Any) -> Voucher:
    """One voucher part the actor may see, with its holder and underlying receivable; NotFound otherwise."""
    voucher = (
        Voucher.objects.select_related("holder", "receivable", "receivable__creditor", "receivable__debtor", "parent")
        .filter(pk=parse_pk(pk))
        .first()
    )
    if voucher is None or not voucher_is_visible(actor=actor, voucher=voucher):
        raise NotFound()
    return voucher


def voucher_trace(*, actor: Any, pk: Any) -> list[Voucher]:
    """The part and every part above it up to the issued voucher (root last); the root's receivable carries the
    debtor's confirmation (receivable.confirmation). NotFound when the actor may not see the part."""
    voucher = voucher_get(actor=actor, pk=pk)
    ancestors = Voucher.objects.select_related("holder").in_bulk(_ancestor_ids(voucher))
    return [voucher, *(ancestors[i] for i in _ancestor_ids(voucher))]


def voucher_tree(*, actor: Any, pk: Any) -> list[Voucher]:
    """Every part of the voucher tree `pk` belongs to, in creation order — for the debtor that issued it and the
    district authority (others: NotFound)."""
    voucher = voucher_get(actor=actor, pk=pk)
    scope = trade_scope(actor)
    if not (scope.sees_all or voucher.receivable.debtor_id in scope.org_ids):
        raise NotFound()
    return list(Voucher.objects.filter(receivable_id=voucher.receivable_id).select_related("holder").order_by("pk"))


def voucher_allowed_actions(*, actor: Any, voucher: Voucher) -> frozenset[str]:
    """What the actor may do to this voucher part now (read-only guard): "split", "transfer" and
    "request_financing" for its holder while it is held and its payable is not overdue or past due."""
    from django.utils import timezone

    from finbridge.supplychain import permissions as perms
    from finbridge.supplychain.selectors.receivables import party_codes

    receivable = voucher.receivable
    if voucher.status != VoucherStatus.HELD or receivable.is_overdue or receivable.due_on < timezone.localdate():
        return frozenset()
    if perms.TRADE not in party_codes(actor, voucher.holder_id):
        return frozenset()
    return frozenset({"split", "transfer", "request_financing"})
