"""Settlement and overdue: the debtor's payment at (or before) maturity, recorded to whoever holds or has
financed each part, with the registrations released; and the daily flag of confirmed receivables unpaid after
their due date, told to every party.

Payment is recorded in full, once: one Payment for a receivable not issued as a voucher, one per live voucher
part (database-unique). The payee of each is the funder when a registration is active on it, else the
creditor or the part's holder.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.models import Organization
from finbridge.audit.services import log_event
from finbridge.core.errors import Conflict
from finbridge.supplychain import notices
from finbridge.supplychain.choices import (
    FinancingRequestStatus,
    PayeeRole,
    ReceivableStatus,
    RegistrationStatus,
    ReleaseReason,
    VoucherStatus,
)
from finbridge.supplychain.models import (
    FinancingRequest,
    FinancingRequestItem,
    Payment,
    Receivable,
    Registration,
    Voucher,
)
from finbridge.supplychain.selectors.vouchers import LIVE_STATUSES
from finbridge.supplychain.services._common import (
    RECEIVABLE_URL,
    FieldErrors,
    amount_param,
    blank,
    link_to,
    lock_receivable,
    parse_date,
    parse_text,
)
from finbridge.supplychain.services.confirmation import invoice_label
from finbridge.supplychain.services.registration import lock_assets, release
from finbridge.supplychain.transitions import RECEIVABLE_TRANSITIONS, assert_transition, sources_of

MSG_PAID_FUTURE = _("The payment date cannot be in the future.")
MSG_PAID_BEFORE_ISSUE = _("The payment date cannot be before the invoice date.")
MSG_NOT_CONFIRMED = _("Only a confirmed receivable can be paid on the platform.")
MSG_ALREADY_SETTLED = _("This receivable is already paid.")
OVERDUE_CHUNK = 1000
# Statuses of receivables that can become overdue: confirmed debts not yet paid.
OVERDUE_STATUSES = sources_of(RECEIVABLE_TRANSITIONS, ReceivableStatus.SETTLED)


def _payees(
    receivable: Receivable, parts: list[Voucher]
) -> list[tuple[Voucher | None, Organization | int, str, Registration | None]]:
    """(part or None, payee id, role, registration) for every payment to record."""
    active = {
        (r.voucher_id or None, r.receivable_id or None): r
        for r in Registration.objects.select_for_update()
        .filter(root_receivable=receivable, status=RegistrationStatus.ACTIVE)
        .order_by("pk")
    }
    if not parts:
        registration = active.get((None, receivable.pk))
        if registration is not None:
            return [(None, registration.funder_id, PayeeRole.FUNDER, registration)]
        return [(None, receivable.creditor_id, PayeeRole.HOLDER, None)]
    result = []
    for part in parts:
        registration = active.get((part.pk, None))
        if registration is not None:
            result.append((part, registration.funder_id, PayeeRole.FUNDER, registration))
        else:
            result.append((part, part.holder_id, PayeeRole.HOLDER, None))
    return result


def _open_items(receivable_id: int) -> list[FinancingRequestItem]:
    """Every item of the open financing requests that offer this receivable or one of its voucher parts."""
    part_ids = Voucher.objects.filter(receivable_id=receivable_id).values("pk")
    request_ids = FinancingRequestItem.objects.filter(request__status=FinancingRequestStatus.OPEN).filter(
        Q(receivable_id=receivable_id) | Q(voucher_id__in=part_ids)
    )
    return list(FinancingRequestItem.objects.filter(request_id__in=request_ids.values("request_id")).order_by("pk"))


def _lock_for_settlement(
    receivable_id: int,
) -> tuple[dict[int, Receivable], dict[int, Voucher], list[FinancingRequest], list[FinancingRequestItem]]:
    """Lock, in the app's order, the receivable, every receivable and part in the open requests offering it or its
    parts, its live parts, then those requests. Retries when a request appeared between the read and the locks."""
    for _attempt in range(3):
        items = _open_items(receivable_id)
        receivable_ids = {receivable_id} | {i.receivable_id for i in items if i.receivable_id}
        voucher_ids = {i.voucher_id for i in items if i.voucher_id}
        voucher_ids |= set(
            Voucher.objects.filter(receivable_id=receivable_id, status__in=LIVE_STATUSES).values_list("pk", flat=True)
        )
        receivables, vouchers = lock_assets(receivable_ids=receivable_ids, voucher_ids=voucher_ids)
        # With the receivable locked, its parts and requests cannot change any more: check that what was read
        # before the locks is still what there is (a split or a request may have committed in between).
        live = set(
            Voucher.objects.filter(receivable_id=receivable_id, status__in=LIVE_STATUSES).values_list("pk", flat=True)
        )
        if {i.pk for i in _open_items(receivable_id)} == {i.pk for i in items} and live <= set(vouchers):
            requests = list(
                FinancingRequest.objects.select_for_update().filter(pk__in={i.request_id for i in items}).order_by("pk")
            )
            return receivables, vouchers, requests, items
    raise Conflict(code="busy")


def _close_open_requests(
    requests: list[FinancingRequest],
    items: list[FinancingRequestItem],
    receivables: dict[int, Receivable],
    vouchers: dict[int, Voucher],
    actor: Any,
    now: Any,
) -> list[int]:
    """Close the open financing requests offering this receivable or its parts (they are being paid)."""
    from finbridge.supplychain.services.financing import close_request

    for request in requests:
        own = [i for i in items if i.request_id == request.pk]
        close_request(request, own, receivables, vouchers, status=FinancingRequestStatus.CLOSED, actor=actor, now=now)
    return [r.pk for r in requests]


def receivable_settle(*, actor: Any, pk: Any, paid_on: Any = None, reference: Any = "") -> list[Payment]:
    """Record the debtor's payment of a confirmed receivable in full: one payment per receivable, or per live part
    of its voucher, to the funder of a registered one or else to its creditor / holder; active registrations are
    released; open financing requests on it close; the receivable and its parts become settled (the overdue
    flag stays as history); every payee and the creditor are told.

    Who: a member with supplychain.trade of the debtor. Raises NotFound, PermissionDenied "not_debtor",
    Conflict ("not_confirmed", "already_settled", "invalid_transition"), ValidationFailed (dates, reference).
    """
    errors = FieldErrors()
    today = timezone.localdate()
    paid = today if blank(paid_on) else errors.parse("paid_on", parse_date, paid_on)
    ref = errors.parse("reference", parse_text(64), reference)
    with transaction.atomic():
        peek, debtor = lock_receivable(actor=actor, pk=pk, side="debtor", lock=False)
        receivables, vouchers, requests, items = _lock_for_settlement(peek.pk)
        receivable = receivables[peek.pk]
        status_before = receivable.status
        if receivable.status == ReceivableStatus.SETTLED:
            raise Conflict(MSG_ALREADY_SETTLED, code="already_settled")
        if receivable.status in (ReceivableStatus.PENDING, ReceivableStatus.DISPUTED):
            raise Conflict(MSG_NOT_CONFIRMED, code="not_confirmed")
        assert_transition(ReceivableStatus, receivable.status, ReceivableStatus.SETTLED)
        if paid is not None and paid > today:
            errors.add("paid_on", MSG_PAID_FUTURE)
        elif paid is not None and paid < receivable.issued_on:
            errors.add("paid_on", MSG_PAID_BEFORE_ISSUE)
        errors.raise_if_any()
        now = timezone.now()
        closed = _close_open_requests(requests, items, receivables, vouchers, actor, now)
        parts = [v for v in vouchers.values() if v.receivable_id == receivable.pk and v.status in LIVE_STATUSES]
        parts.sort(key=lambda v: v.pk)
        if (receivable.status == ReceivableStatus.VOUCHER_ISSUED) != bool(parts):
            raise Conflict(_("The voucher parts of this payable changed; try again."), code="busy")
        payments = _record_payments(receivable, parts, debtor, paid, ref or "", actor, now)
        log_event(
            actor=actor,
            action="receivable_settle",
            obj=receivable,
            before={"status": status_before},
            after={
                "status": ReceivableStatus.SETTLED,
                "paid_on": paid,
                "payments": [(p.payee_id, p.payee_role, str(p.amount)) for p in payments],
                "requests_closed": closed,
            },
        )
        receivable.status = ReceivableStatus.SETTLED
        receivable.settled_on = paid
        receivable.updated_at = now
        receivable.save(update_fields=["status", "settled_on", "updated_at"])
        _notify_paid(receivable, debtor, payments, paid)
    return payments


def _record_payments(
    receivable: Receivable,
    parts: list[Voucher],
    debtor: Organization,
    paid: datetime.date,
    ref: str,
    actor: Any,
    now: Any,
) -> list[Payment]:
    payments = []
    for part, payee_id, role, registration in _payees(receivable, parts):
        if registration is not None:
            release(registration, actor=actor, reason=ReleaseReason.SETTLED, at=now)
        if part is not None:
            assert_transition(VoucherStatus, part.status, VoucherStatus.SETTLED)
            part.status = VoucherStatus.SETTLED
            part.updated_at = now
            part.save(update_fields=["status", "updated_at"])
        payments.append(
            Payment(
                receivable=receivable,
                voucher=part,
                registration=registration,
                payer=debtor,
                payee_id=payee_id,
                payee_role=role,
                tier=part.tier if part is not None else 1,
                amount=part.amount if part is not None else receivable.amount,
                due_on=receivable.due_on,
                paid_on=paid,
                days_early=(receivable.due_on - paid).days,
                reference=ref,
                recorded_by=actor,
                recorded_at=now,
            )
        )
    created = Payment.objects.bulk_create(payments)
    if parts and sum(p.amount for p in created) != receivable.amount:
        raise Conflict(_("The voucher parts do not add up to the payable; nothing was paid."), code="conservation")
    return created


def _notify_paid(receivable: Receivable, debtor: Organization, payments: list[Payment], paid: datetime.date) -> None:
    from finbridge.notifications.services import notify_organizations

    by_payee: dict[int, Any] = {}
    for payment in payments:
        by_payee[payment.payee_id] = by_payee.get(payment.payee_id, 0) + payment.amount
    recipients = Organization.objects.in_bulk(list(by_payee | {receivable.creditor_id: 0}))
    for org_id, organization in recipients.items():
        amount = by_payee.get(org_id) or receivable.amount
        notify_organizations(
            organizations=[organization],
            kind=notices.PAYMENT_RECORDED,
            link=link_to(RECEIVABLE_URL, receivable.pk),
            params={
                "debtor": debtor.name,
                "amount": amount_param(amount),
                "invoice": invoice_label(receivable),
                "paid_on": paid.isoformat(),
            },
        )


def receivables_flag_overdue(*, today: datetime.date | None = None) -> int:
    """Flag every confirmed, unpaid receivable whose due date has passed (once) and tell all its parties: creditor,
    debtor, funders with an active registration, and holders of its live voucher parts. Returns how many were
    flagged. Rows are locked in id order, a chunk per transaction.

    Who: the daily task (the system). Raises nothing.
    """
    today = today or timezone.localdate()
    ids = list(
        Receivable.objects.filter(status__in=OVERDUE_STATUSES, due_on__lt=today, is_overdue=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    flagged = 0
    for start in range(0, len(ids), OVERDUE_CHUNK):
        chunk = ids[start : start + OVERDUE_CHUNK]
        with transaction.atomic():
            rows = list(
                Receivable.objects.select_for_update()
                .filter(pk__in=chunk, status__in=OVERDUE_STATUSES, due_on__lt=today, is_overdue=False)
                .order_by("pk")
            )
            for receivable in rows:
                receivable.is_overdue = True
                receivable.overdue_since = receivable.due_on + datetime.timedelta(days=1)
                receivable.updated_at = timezone.now()
            Receivable.objects.bulk_update(rows, ["is_overdue", "overdue_since", "updated_at"])
            for receivable in rows:
                log_event(
                    actor=None,
                    action="receivable_overdue",
                    obj=receivable,
                    before={"is_overdue": False},
                    after={"is_overdue": True, "overdue_since": receivable.overdue_since},
                )
                _notify_overdue(receivable)
            flagged += len(rows)
    return flagged


def _notify_overdue(receivable: Receivable) -> None:
    from finbridge.notifications.services import notify_organizations

    party_ids = {receivable.creditor_id, receivable.debtor_id}
    party_ids |= set(
        Registration.objects.filter(root_receivable=receivable, status=RegistrationStatus.ACTIVE).values_list(
            "funder_id", flat=True
        )
    )
    party_ids |= set(
        Voucher.objects.filter(receivable=receivable, status__in=LIVE_STATUSES).values_list("holder_id", flat=True)
    )
    notify_organizations(
        organizations=list(Organization.objects.filter(pk__in=party_ids).order_by("pk")),
        kind=notices.RECEIVABLE_OVERDUE,
        link=link_to(RECEIVABLE_URL, receivable.pk),
        params={
            "invoice": invoice_label(receivable),
            "amount": amount_param(receivable.amount),
            "debtor": receivable.debtor.name,
            "due": receivable.due_on.isoformat(),
        },
    )
