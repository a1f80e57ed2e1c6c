"""Payment vouchers: the debtor issues a confirmed payable as a transferable voucher to its creditor; the holder
splits it and passes parts to its own suppliers (tier 2, tier 3 ...), who may finance them or hold them to
maturity.

Conservation: splitting or passing on a part consumes it into children whose amounts add up exactly to it
(what is not passed on stays with the holder as a "kept" child), checked under select_for_update() of the
receivable and the part (the app's lock order). So the live parts of a voucher always add up to the issued
amount, never more, and every part points to its parent, its root and the confirmed receivable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.models import Organization
from finbridge.audit.services import log_event
from finbridge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from finbridge.supplychain import notices
from finbridge.supplychain import permissions as perms
from finbridge.supplychain.choices import ReceivableStatus, VoucherOrigin, VoucherStatus
from finbridge.supplychain.models import Voucher
from finbridge.supplychain.selectors._common import parse_pk
from finbridge.supplychain.selectors.vouchers import voucher_is_visible
from finbridge.supplychain.services._common import (
    FIRM_TYPES,
    VOUCHER_URL,
    FieldErrors,
    amount_param,
    blank,
    link_to,
    lock_receivable,
    member_organization,
    new_number,
)
from finbridge.supplychain.services._common import parse_money as _parse_money
from finbridge.supplychain.services.registration import lock_assets
from finbridge.supplychain.transitions import assert_transition

VOUCHER_PREFIX = "V"
MAX_PARTS = 50

MSG_OVERDUE = _("The payable is overdue or due before today; its voucher cannot be issued, split or passed on.")
MSG_NOT_HOLDER = _("Only the holder of this voucher part can split or pass it on.")
MSG_SPLIT_EXCEEDS = _("The parts add up to %(total)s, more than the %(amount)s this voucher part holds.")
MSG_NO_PARTS = _("Give at least one part: an amount and, to pass it on, the supplier that receives it.")
MSG_TOO_MANY_PARTS = _("At most %(limit)s parts at a time.")
MSG_NOTHING_TO_SPLIT = _("Keeping the whole amount changes nothing: pass on or split off part of it.")
MSG_BAD_RECIPIENT = _("The recipient must be an MSME or core enterprise registered on the platform.")
MSG_PART_NOT_HELD = _("This voucher part is “%(status)s”; only a part you hold can be split or passed on.")
MSG_INVARIANT = _("The voucher parts would not add up; nothing was changed.")


def voucher_issue(*, actor: Any, receivable_id: Any) -> Voucher:
    """Issue a confirmed payable as a transferable payment voucher to its creditor (tier 1, the whole amount);
    the receivable becomes "voucher issued" (its parts are financed or paid, not the receivable itself) and the
    holder is told.

    Who: a member with supplychain.trade of the debtor. Raises NotFound, PermissionDenied "not_debtor",
    Conflict ("invalid_transition" unless confirmed and not in a financing request, "overdue").
    """
    from finbridge.notifications.services import notify_organizations

    with transaction.atomic():
        receivable, debtor = lock_receivable(actor=actor, pk=receivable_id, side="debtor")
        assert_transition(ReceivableStatus, receivable.status, ReceivableStatus.VOUCHER_ISSUED)
        if receivable.is_overdue or receivable.due_on < timezone.localdate():
            raise Conflict(MSG_OVERDUE, code="overdue")
        now = timezone.now()
        voucher = Voucher.objects.create(
            number=new_number(VOUCHER_PREFIX),
            receivable=receivable,
            tier=1,
            holder_id=receivable.creditor_id,
            amount=receivable.amount,
            origin=VoucherOrigin.ISSUED,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        voucher.root = voucher
        voucher.save(update_fields=["root"])
        receivable.status = ReceivableStatus.VOUCHER_ISSUED
        receivable.updated_at = now
        receivable.save(update_fields=["status", "updated_at"])
        log_event(
            actor=actor,
            action="voucher_issue",
            obj=voucher,
            after={
                "receivable": receivable.pk,
                "holder": voucher.holder_id,
                "amount": voucher.amount,
                "number": voucher.number,
            },
        )
        notify_organizations(
            organizations=[receivable.creditor],
            kind=notices.VOUCHER_ISSUED,
            link=link_to(VOUCHER_URL, voucher.pk),
            params={
                "debtor": debtor.name,
                "number": voucher.number,
                "amount": amount_param(voucher.amount),
                "due": receivable.due_on.isoformat(),
            },
        )
    return voucher


def _parse_parts(parts: Any) -> list[tuple[Decimal, Organization | None]]:
    """[(amount, recipient or None)] from [{"amount", "recipient"}]; ValidationFailed with every problem."""
    errors = FieldErrors()
    if isinstance(parts, (str, bytes, Mapping)) or not isinstance(parts, Sequence) or not parts:
        raise ValidationFailed(MSG_NO_PARTS, fields={"parts": [str(MSG_NO_PARTS)]})
    if len(parts) > MAX_PARTS:
        message = str(MSG_TOO_MANY_PARTS) % {"limit": MAX_PARTS}
        raise ValidationFailed(message, fields={"parts": [message]})
    wanted: list[tuple[Any, Any]] = []
    for index, part in enumerate(parts):
        if not isinstance(part, Mapping):
            errors.add(f"parts.{index}", MSG_NO_PARTS)
            continue
        amount = errors.parse(f"parts.{index}.amount", _parse_money, part.get("amount"))
        wanted.append((amount, part.get("recipient")))
    recipient_ids = set()
    for index, (_amount, raw) in enumerate(wanted):
        if blank(raw):
            continue
        try:
            recipient_ids.add(int(raw.pk if isinstance(raw, Organization) else raw))
        except (TypeError, ValueError, AttributeError):
            errors.add(f"parts.{index}.recipient", MSG_BAD_RECIPIENT)
    found = Organization.objects.in_bulk(list(recipient_ids))
    result: list[tuple[Decimal, Organization | None]] = []
    for index, (amount, raw) in enumerate(wanted):
        recipient = None
        if not blank(raw):
            try:
                recipient = found.get(int(raw.pk if isinstance(raw, Organization) else raw))
            except (TypeError, ValueError, AttributeError):
                continue
            if recipient is None or not recipient.is_active or recipient.org_type not in FIRM_TYPES:
                errors.add(f"parts.{index}.recipient", MSG_BAD_RECIPIENT)
                continue
        result.append((amount, recipient))
    errors.raise_if_any()
    return result


def _lock_held_part(actor: Any, pk: Any) -> tuple[Voucher, Organization]:
    """Lock a voucher part (after its receivable) that the actor holds; NotFound / PermissionDenied / Conflict."""
    peek = Voucher.objects.filter(pk=parse_pk(pk)).first()
    if peek is None or not voucher_is_visible(actor=actor, voucher=peek):
        raise NotFound()
    receivables, vouchers = lock_assets(receivable_ids=[peek.receivable_id], voucher_ids=[peek.pk])
    voucher = vouchers[peek.pk]
    holder = member_organization(actor, perms.TRADE, [voucher.holder_id])
    if holder is None:
        raise PermissionDenied(MSG_NOT_HOLDER, code="not_holder")
    if voucher.status != VoucherStatus.HELD:
        codes = {
            VoucherStatus.SPLIT: "voucher_not_held",
            VoucherStatus.FINANCED: "already_financed",
            VoucherStatus.FINANCING_REQUESTED: "in_open_request",
        }
        raise Conflict(
            MSG_PART_NOT_HELD,
            code=codes.get(voucher.status, "invalid_transition"),
            params={"status": voucher.get_status_display()},
        )
    receivable = receivables[voucher.receivable_id]
    if receivable.is_overdue or receivable.due_on < timezone.localdate():
        raise Conflict(MSG_OVERDUE, code="overdue")
    voucher.receivable = receivable
    return voucher, holder


def voucher_split(*, actor: Any, pk: Any, parts: Any) -> list[Voucher]:
    """Split a held voucher part: each of `parts` ({"amount", "recipient": organisation id or None}) becomes a
    child part — passed to the recipient (tier + 1) or kept (same tier); what the parts leave over becomes a kept
    part. The split part is consumed ("split"); recipients are told. Returns the new parts (the remainder last).

    Who: a member with supplychain.trade of the holder. Raises NotFound, PermissionDenied "not_holder",
    Conflict ("voucher_not_held", "already_financed", "in_open_request", "overdue"), ValidationFailed
    ("split_exceeds_amount", "validation_failed").
    """
    wanted = _parse_parts(parts)
    with transaction.atomic():
        voucher, holder = _lock_held_part(actor, pk)
        total = sum((amount for amount, _r in wanted), Decimal("0"))
        if total > voucher.amount:
            message = str(MSG_SPLIT_EXCEEDS) % {"total": amount_param(total), "amount": amount_param(voucher.amount)}
            raise ValidationFailed(message, code="split_exceeds_amount", fields={"parts": [message]})
        recipients = [(a, r if r is not None and r.pk != holder.pk else None) for a, r in wanted]
        if all(r is None for _a, r in recipients) and len(recipients) == 1 and total == voucher.amount:
            raise ValidationFailed(MSG_NOTHING_TO_SPLIT, fields={"parts": [str(MSG_NOTHING_TO_SPLIT)]})
        if total < voucher.amount:
            recipients.append((voucher.amount - total, None))
        children = _create_children(voucher, holder, recipients, actor)
        _notify_recipients(voucher, holder, children)
    return children


def _create_children(
    voucher: Voucher, holder: Organization, parts: list[tuple[Decimal, Organization | None]], actor: Any
) -> list[Voucher]:
    now = timezone.now()
    children = [
        Voucher(
            number=new_number(VOUCHER_PREFIX),
            receivable_id=voucher.receivable_id,
            root_id=voucher.root_id,
            parent=voucher,
            tier=voucher.tier + (1 if recipient is not None else 0),
            holder=recipient or holder,
            amount=amount,
            origin=VoucherOrigin.TRANSFERRED if recipient is not None else VoucherOrigin.KEPT,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        for amount, recipient in parts
    ]
    if sum((c.amount for c in children), Decimal("0")) != voucher.amount:
        raise Conflict(MSG_INVARIANT, code="conservation")
    assert_transition(VoucherStatus, voucher.status, VoucherStatus.SPLIT)
    created = Voucher.objects.bulk_create(children)
    voucher.status = VoucherStatus.SPLIT
    voucher.updated_at = now
    voucher.save(update_fields=["status", "updated_at"])
    log_event(
        actor=actor,
        action="voucher_split",
        obj=voucher,
        before={"status": VoucherStatus.HELD, "amount": voucher.amount},
        after={
            "status": VoucherStatus.SPLIT,
            "children": [
                {"number": c.number, "holder": c.holder_id, "amount": c.amount, "tier": c.tier, "origin": c.origin}
                for c in created
            ],
        },
    )
    return created


def _notify_recipients(voucher: Voucher, holder: Organization, children: list[Voucher]) -> None:
    from finbridge.notifications.services import notify_organizations

    for child in children:
        if child.origin == VoucherOrigin.TRANSFERRED:
            notify_organizations(
                organizations=[child.holder],
                kind=notices.VOUCHER_RECEIVED,
                link=link_to(VOUCHER_URL, child.pk),
                params={
                    "holder": holder.name,
                    "number": child.number,
                    "amount": amount_param(child.amount),
                    "due": voucher.receivable.due_on.isoformat(),
                },
            )


def voucher_transfer(*, actor: Any, pk: Any, recipient: Any) -> Voucher:
    """Pass a whole held voucher part to a supplier (a new part of tier + 1 held by the recipient; the part passed
    on is consumed). Returns the recipient's part.

    Who: a member with supplychain.trade of the holder. Raises as voucher_split.
    """
    if blank(recipient):
        raise ValidationFailed(MSG_BAD_RECIPIENT, fields={"recipient": [str(MSG_BAD_RECIPIENT)]})
    peek = Voucher.objects.filter(pk=parse_pk(pk)).only("pk", "amount").first()
    if peek is None:
        raise NotFound()
    (child,) = voucher_split(actor=actor, pk=peek.pk, parts=[{"amount": peek.amount, "recipient": recipient}])
    return child
