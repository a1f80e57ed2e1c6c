"""Registrations: the pledge or transfer of a receivable or voucher part to the funder whose offer was accepted,
the search funders make before lending, and release when the debt ends.

The rule "a receivable is financed at most once" holds at three levels: the financed rows are locked with
select_for_update() in one global order (receivables by id, then voucher parts by id, then the request and its
offers), their status is checked under the lock, and the database allows one active registration per
receivable and per voucher part (conditional unique constraints) — so when two acceptances race, the first
registration wins and the other gets Conflict "already_financed" or "already_registered".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.audit.services import log_event
from finbridge.core.errors import Conflict, NotFound, PermissionDenied
from finbridge.supplychain import notices
from finbridge.supplychain import permissions as perms
from finbridge.supplychain.choices import (
    ReceivableStatus,
    RegistrationKind,
    RegistrationStatus,
    ReleaseReason,
    VoucherStatus,
)
from finbridge.supplychain.models import (
    FinancingOffer,
    FinancingRequest,
    FinancingRequestItem,
    Receivable,
    Registration,
    Voucher,
)
from finbridge.supplychain.selectors._common import parse_pk, trade_scope
from finbridge.supplychain.services._common import (
    RECEIVABLE_URL,
    amount_param,
    link_to,
    member_organization,
    new_number,
)
from finbridge.supplychain.transitions import assert_status, assert_transition

MSG_ALREADY_FINANCED = _("Receivable %(invoice)s is already financed: another funder's registration came first.")
MSG_PART_ALREADY_FINANCED = _("Voucher part %(number)s is already financed: another funder's registration came first.")
MSG_ALREADY_REGISTERED = _("%(what)s already has an active registration; it cannot be financed again.")
MSG_OVERDUE = _("Receivable %(invoice)s is overdue and cannot be financed.")
MSG_NOT_IN_REQUEST = _("%(what)s is no longer part of this financing request.")
MSG_ONLY_FUNDER = _("Only the funder of this registration can release it.")

REGISTRATION_PREFIX = "REG"


def lock_assets(
    *, receivable_ids: Iterable[int], voucher_ids: Iterable[int]
) -> tuple[dict[int, Receivable], dict[int, Voucher]]:
    """Lock receivables, then voucher parts, each in id order (the one lock order of the app; the receivables
    under the voucher parts are locked with the receivables). Returns {id: row} of what exists."""
    voucher_ids = sorted(set(voucher_ids))
    roots = set(Voucher.objects.filter(pk__in=voucher_ids).values_list("receivable_id", flat=True))
    wanted = sorted(set(receivable_ids) | roots)
    receivables = {r.pk: r for r in Receivable.objects.select_for_update().filter(pk__in=wanted).order_by("pk")}
    vouchers = {v.pk: v for v in Voucher.objects.select_for_update().filter(pk__in=voucher_ids).order_by("pk")}
    return receivables, vouchers


def lock_request(
    pk: Any,
) -> tuple[FinancingRequest, list[FinancingRequestItem], dict[int, Receivable], dict[int, Voucher]]:
    """Lock a financing request after its receivables and voucher parts (the app's lock order); NotFound when
    it does not exist. Items never change, so they are read before the locks."""
    request_id = parse_pk(pk)
    items = list(FinancingRequestItem.objects.filter(request_id=request_id).order_by("pk"))
    receivables, vouchers = lock_assets(
        receivable_ids=[i.receivable_id for i in items if i.receivable_id],
        voucher_ids=[i.voucher_id for i in items if i.voucher_id],
    )
    request = FinancingRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None:
        raise NotFound()
    return request, items, receivables, vouchers


def _invoice(receivable: Receivable) -> str:
    from finbridge.supplychain.services.confirmation import invoice_label

    return invoice_label(receivable)


def _check_receivable(receivable: Receivable, today: Any) -> None:
    if receivable.status == ReceivableStatus.FINANCED:
        raise Conflict(MSG_ALREADY_FINANCED, code="already_financed", params={"invoice": _invoice(receivable)})
    if receivable.is_overdue or receivable.due_on < today:
        raise Conflict(MSG_OVERDUE, code="overdue", params={"invoice": _invoice(receivable)})
    if receivable.status != ReceivableStatus.FINANCING_REQUESTED:
        assert_transition(ReceivableStatus, receivable.status, ReceivableStatus.FINANCED)
        raise Conflict(MSG_NOT_IN_REQUEST, code="request_closed", params={"what": _invoice(receivable)})


def _check_voucher(voucher: Voucher, root: Receivable, today: Any) -> None:
    if voucher.status == VoucherStatus.FINANCED:
        raise Conflict(MSG_PART_ALREADY_FINANCED, code="already_financed", params={"number": voucher.number})
    if root.is_overdue or root.due_on < today:
        raise Conflict(MSG_OVERDUE, code="overdue", params={"invoice": _invoice(root)})
    if voucher.status != VoucherStatus.FINANCING_REQUESTED:
        assert_transition(VoucherStatus, voucher.status, VoucherStatus.FINANCED)
        raise Conflict(MSG_NOT_IN_REQUEST, code="request_closed", params={"what": voucher.number})


def registrations_create(
    *,
    actor: Any,
    offer: FinancingOffer,
    request: FinancingRequest,
    items: Sequence[FinancingRequestItem],
    receivables: dict[int, Receivable],
    vouchers: dict[int, Voucher],
) -> list[Registration]:
    """Register the accepted offer's pledge or transfer on every item of the request and mark them financed.

    Internal: called by financing_offer_accept inside its transaction, after lock_request(). The advance is
    shared over the items in proportion to their face amounts (the last item takes the rounding rest). Raises
    Conflict "already_financed", "already_registered", "overdue", "request_closed", "invalid_transition".
    """
    from finbridge.core.money import quantize_amount

    today = timezone.localdate()
    now = timezone.now()
    for item in items:
        if item.receivable_id:
            _check_receivable(receivables[item.receivable_id], today)
        else:
            voucher = vouchers[item.voucher_id]
            _check_voucher(voucher, receivables[voucher.receivable_id], today)
    registrations: list[Registration] = []
    remaining = offer.advance_amount
    for index, item in enumerate(items):
        share = (
            remaining
            if index == len(items) - 1
            else quantize_amount(offer.advance_amount * item.amount / request.face_amount)
        )
        remaining -= share
        registrations.append(_register(actor, offer, request, item, receivables, vouchers, share, now))
    return registrations


def _register(
    actor: Any,
    offer: FinancingOffer,
    request: FinancingRequest,
    item: FinancingRequestItem,
    receivables: dict[int, Receivable],
    vouchers: dict[int, Voucher],
    advance: Any,
    now: Any,
) -> Registration:
    voucher = vouchers.get(item.voucher_id) if item.voucher_id else None
    receivable = receivables[voucher.receivable_id] if voucher else receivables[item.receivable_id]
    asset = voucher or receivable
    what = voucher.number if voucher else _invoice(receivable)
    active = Registration.objects.filter(status=RegistrationStatus.ACTIVE)
    if (active.filter(voucher=voucher) if voucher else active.filter(receivable=receivable)).exists():
        raise Conflict(MSG_ALREADY_REGISTERED, code="already_registered", params={"what": what})
    try:
        with transaction.atomic():
            registration = Registration.objects.create(
                number=new_number(REGISTRATION_PREFIX),
                receivable=None if voucher else receivable,
                voucher=voucher,
                root_receivable=receivable,
                funder_id=offer.funder_id,
                assignor_id=request.requester_id,
                kind=offer.registration_kind,
                face_amount=item.amount,
                advance_amount=advance,
                request=request,
                offer=offer,
                registered_by=actor,
                registered_at=now,
            )
    except IntegrityError:
        raise Conflict(MSG_ALREADY_REGISTERED, code="already_registered", params={"what": what}) from None
    before = asset.status
    asset.status = VoucherStatus.FINANCED if voucher else ReceivableStatus.FINANCED
    asset.updated_at = now
    asset.save(update_fields=["status", "updated_at"])
    log_event(
        actor=actor,
        action="registration_create",
        obj=registration,
        after={
            "receivable": registration.receivable_id,
            "voucher": registration.voucher_id,
            "funder": offer.funder_id,
            "kind": offer.registration_kind,
            "face_amount": item.amount,
            "advance_amount": advance,
            "asset_status": [before, asset.status],
        },
    )
    return registration


def notify_registered(registrations: Sequence[Registration]) -> None:
    """Tell each debtor that its payable is registered to the funder, whom it must now pay."""
    from finbridge.notifications.services import notify_organizations

    for registration in registrations:
        receivable = registration.root_receivable
        notify_organizations(
            organizations=[receivable.debtor],
            kind=notices.RECEIVABLE_REGISTERED,
            link=link_to(RECEIVABLE_URL, receivable.pk),
            params={
                "invoice": _invoice(receivable),
                "amount": amount_param(registration.face_amount),
                "kind": english_label(RegistrationKind, registration.kind),
                "funder": registration.funder.name,
            },
        )


def english_label(choices: Any, value: str) -> str:
    """A choice's label as its English msgid (stored in notification params, translated for each reader)."""
    from django.utils.translation import override

    with override("en"):
        return str(choices(value).label)


def release(registration: Registration, *, actor: Any, reason: str, at: Any) -> None:
    """Mark a locked active registration released (internal: settlement and registration_release)."""
    registration.status = RegistrationStatus.RELEASED
    registration.released_at = at
    registration.released_by = actor if getattr(actor, "is_authenticated", False) else None
    registration.release_reason = reason
    registration.save(update_fields=["status", "released_at", "released_by", "release_reason"])
    log_event(
        actor=actor,
        action="registration_release",
        obj=registration,
        before={"status": RegistrationStatus.ACTIVE},
        after={"status": RegistrationStatus.RELEASED, "reason": reason},
    )


def registration_release(*, actor: Any, pk: Any) -> Registration:
    """Release an active registration before maturity because the financing was repaid: the receivable goes back
    to confirmed (the voucher part to held) and may be financed again; the assignor and the debtor are told.

    Who: a member, with supplychain.fund, of the funder. Raises NotFound (cannot see it), PermissionDenied
    "not_funder", Conflict "invalid_transition" (already released).
    """
    from finbridge.notifications.services import notify_organizations

    registration_id = parse_pk(pk)
    peek = Registration.objects.filter(pk=registration_id).first()
    scope = trade_scope(actor)
    if peek is None or not (scope.sees_all or scope.org_ids & {peek.funder_id, peek.assignor_id}):
        raise NotFound()
    if member_organization(actor, perms.FUND, [peek.funder_id]) is None:
        raise PermissionDenied(MSG_ONLY_FUNDER, code="not_funder")
    with transaction.atomic():
        receivables, vouchers = lock_assets(
            receivable_ids=[peek.root_receivable_id], voucher_ids=[peek.voucher_id] if peek.voucher_id else []
        )
        registration = Registration.objects.select_for_update().get(pk=registration_id)
        if registration.status != RegistrationStatus.ACTIVE:
            raise Conflict(code="invalid_transition")
        receivable = receivables[registration.root_receivable_id]
        asset = vouchers[registration.voucher_id] if registration.voucher_id else receivable
        choices = VoucherStatus if registration.voucher_id else ReceivableStatus
        target = VoucherStatus.HELD if registration.voucher_id else ReceivableStatus.CONFIRMED
        assert_status(choices, asset.status, {VoucherStatus.FINANCED, ReceivableStatus.FINANCED})
        assert_transition(choices, asset.status, target)
        now = timezone.now()
        release(registration, actor=actor, reason=ReleaseReason.REPAID, at=now)
        asset.status = target
        asset.updated_at = now
        asset.save(update_fields=["status", "updated_at"])
        notify_organizations(
            organizations=[registration.assignor, receivable.debtor],
            kind=notices.REGISTRATION_RELEASED,
            link=link_to(RECEIVABLE_URL, receivable.pk),
            params={"number": registration.number, "funder": registration.funder.name, "invoice": _invoice(receivable)},
        )
    return registration
