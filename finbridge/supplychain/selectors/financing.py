"""Reads of financing requests, offers and registrations, and the registration search a funder makes before
lending. Row visibility is enforced here.

With supplychain.view in the organisation that gives the access:
- the requester sees its requests with every offer;
- a funder sees the requests sent to it with its own offer only (not who else was asked or what they offered);
- registrations: the funder, the assignor (creditor or holder) and the debtor of the underlying receivable;
- the district authority sees everything.
Anything else answers NotFound, like a missing record.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from finbridge.core.errors import NotFound
from finbridge.supplychain.choices import FinancingRequestStatus, OfferStatus, RegistrationStatus
from finbridge.supplychain.models import FinancingOffer, FinancingRequest, Receivable, Registration, Voucher
from finbridge.supplychain.selectors._common import parse_pk, trade_scope
from finbridge.supplychain.selectors.receivables import receivable_is_visible
from finbridge.supplychain.selectors.vouchers import voucher_is_visible


def financing_request_queryset(*, actor: Any) -> QuerySet[FinancingRequest]:
    """Every financing request the actor may see."""
    scope = trade_scope(actor)
    if scope.sees_all:
        return FinancingRequest.objects.all()
    if scope.sees_nothing:
        return FinancingRequest.objects.none()
    asked = FinancingOffer.objects.filter(funder_id__in=scope.org_ids).values("request_id")
    return FinancingRequest.objects.filter(Q(requester_id__in=scope.org_ids) | Q(pk__in=asked))


def financing_request_list(*, actor: Any, status: str | None = None) -> QuerySet[FinancingRequest]:
    """Financing requests the actor may see, newest first. Raises nothing."""
    qs = financing_request_queryset(actor=actor)
    if status:
        if status not in FinancingRequestStatus.values:
            return FinancingRequest.objects.none()
        qs = qs.filter(status=status)
    return qs.select_related("requester").order_by("-created_at", "-id")


def financing_request_get(*, actor: Any, pk: Any) -> FinancingRequest:
    """One financing request the actor may see, with its items (receivables and voucher parts); NotFound
    otherwise. Its offers: financing_request_offers()."""
    qs = financing_request_queryset(actor=actor).select_related("requester")
    try:
        return qs.prefetch_related("items__receivable__debtor", "items__voucher__receivable__debtor").get(
            pk=parse_pk(pk)
        )
    except FinancingRequest.DoesNotExist:
        raise NotFound() from None


def financing_request_offers(*, actor: Any, request: FinancingRequest) -> list[FinancingOffer]:
    """The offers of a request the actor can see: all for the requester and the authority, else the actor's own."""
    scope = trade_scope(actor)
    qs = FinancingOffer.objects.filter(request=request).select_related("funder").order_by("pk")
    if scope.sees_all or request.requester_id in scope.org_ids:
        return list(qs)
    return list(qs.filter(funder_id__in=scope.org_ids))


def financing_offer_queryset(*, actor: Any) -> QuerySet[FinancingOffer]:
    """Offers the actor may see: its own as funder, those on its requests, all for the authority."""
    scope = trade_scope(actor)
    if scope.sees_all:
        return FinancingOffer.objects.all()
    if scope.sees_nothing:
        return FinancingOffer.objects.none()
    return FinancingOffer.objects.filter(Q(funder_id__in=scope.org_ids) | Q(request__requester_id__in=scope.org_ids))


def financing_offer_list(*, actor: Any, status: str | None = None, as_funder: bool = False) -> QuerySet[FinancingOffer]:
    """Offers the actor may see, newest first; `as_funder` keeps the funder's inbox (offers asked of the actor's
    organisations). Raises nothing."""
    qs = financing_offer_queryset(actor=actor)
    if as_funder:
        qs = qs.filter(funder_id__in=trade_scope(actor).org_ids)
    if status:
        if status not in OfferStatus.values:
            return FinancingOffer.objects.none()
        qs = qs.filter(status=status)
    return qs.select_related("request", "request__requester", "funder").order_by("-created_at", "-id")


def financing_offer_get(*, actor: Any, pk: Any) -> FinancingOffer:
    """One offer the actor may see; NotFound otherwise."""
    try:
        return (
            financing_offer_queryset(actor=actor)
            .select_related("request", "request__requester", "funder")
            .get(pk=parse_pk(pk))
        )
    except FinancingOffer.DoesNotExist:
        raise NotFound() from None


def registration_queryset(*, actor: Any) -> QuerySet[Registration]:
    """Registrations the actor may see: as funder, assignor or debtor of the receivable; all for the authority."""
    scope = trade_scope(actor)
    if scope.sees_all:
        return Registration.objects.all()
    if scope.sees_nothing:
        return Registration.objects.none()
    ids = scope.org_ids
    return Registration.objects.filter(
        Q(funder_id__in=ids) | Q(assignor_id__in=ids) | Q(root_receivable__debtor_id__in=ids)
    )


def registration_list(*, actor: Any, status: str | None = None) -> QuerySet[Registration]:
    """Registrations the actor may see, newest first. Raises nothing."""
    qs = registration_queryset(actor=actor)
    if status:
        if status not in RegistrationStatus.values:
            return Registration.objects.none()
        qs = qs.filter(status=status)
    return qs.select_related("funder", "assignor", "root_receivable", "voucher").order_by("-registered_at", "-id")


def registration_get(*, actor: Any, pk: Any) -> Registration:
    """One registration the actor may see; NotFound otherwise."""
    try:
        return registration_list(actor=actor).get(pk=parse_pk(pk))
    except Registration.DoesNotExist:
        raise NotFound() from None


def registration_search(
    *, actor: Any, receivable_ids: Iterable[Any] = (), voucher_ids: Iterable[Any] = ()
) -> list[Registration]:
    """Every registration, active or released, on the debts behind the given receivables and voucher parts —
    the receivable itself and any part of its voucher — oldest first: what a funder must check before lending.

    Who: anyone who may see each of the receivables and parts (the funder of a request sees what it offers).
    Raises NotFound when one of them is missing or hidden.
    """
    roots: set[int] = set()
    for pk in receivable_ids:
        receivable = Receivable.objects.filter(pk=parse_pk(pk)).first()
        if receivable is None or not receivable_is_visible(actor=actor, receivable=receivable):
            raise NotFound()
        roots.add(receivable.pk)
    for pk in voucher_ids:
        voucher = Voucher.objects.filter(pk=parse_pk(pk)).first()
        if voucher is None or not voucher_is_visible(actor=actor, voucher=voucher):
            raise NotFound()
        roots.add(voucher.receivable_id)
    return list(
        Registration.objects.filter(root_receivable_id__in=roots)
        .select_related("funder", "assignor", "root_receivable", "voucher")
        .order_by("registered_at", "pk")
    )


def financing_request_registration_search(*, actor: Any, pk: Any) -> list[Registration]:
    """registration_search over every item of a request the actor may see (the funder's check before it
    answers). NotFound when the request is hidden."""
    request = financing_request_get(actor=actor, pk=pk)
    roots = {i.receivable_id or i.voucher.receivable_id for i in request.items.all()}
    return list(
        Registration.objects.filter(root_receivable_id__in=roots)
        .select_related("funder", "assignor", "root_receivable", "voucher")
        .order_by("registered_at", "pk")
    )


def financing_offer_allowed_actions(*, actor: Any, offer: FinancingOffer) -> frozenset[str]:
    """What the actor may do to this offer now (read-only guard): "make" (or revise), "refuse", "withdraw" for
    the funder; "accept" for the requester — while the request is open and its answer date not passed."""
    from django.utils import timezone

    from finbridge.supplychain import permissions as perms
    from finbridge.supplychain.selectors.receivables import party_codes
    from finbridge.supplychain.transitions import OFFER_TRANSITIONS

    request = offer.request
    if request.status != FinancingRequestStatus.OPEN or request.respond_by < timezone.localdate():
        return frozenset()
    actions: set[str] = set()
    allowed = OFFER_TRANSITIONS.get(offer.status, frozenset())
    if perms.FUND in party_codes(actor, offer.funder_id):
        actions |= {
            name
            for name, target in (("make", "offered"), ("refuse", "refused"), ("withdraw", "withdrawn"))
            if target in allowed
        }
    if perms.TRADE in party_codes(actor, request.requester_id) and offer.status == OfferStatus.OFFERED:
        actions.add("accept")
    return frozenset(actions)
