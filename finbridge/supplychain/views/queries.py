"""Reads shared by the pages and the API that the selectors do not offer, built on them so that visibility
stays the selectors' (a record the actor may not see is never reached here)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.models import Organization
from finbridge.core.errors import ValidationFailed
from finbridge.enterprises.models import Enterprise
from finbridge.enterprises.validation import InvalidUSCC, normalize_uscc
from finbridge.supplychain.choices import ReceivableStatus, VoucherStatus
from finbridge.supplychain.models import Payment, Receivable, Voucher
from finbridge.supplychain.selectors import receivables as receivables_selectors
from finbridge.supplychain.selectors import vouchers as voucher_selectors
from finbridge.supplychain.selectors._common import trade_scope
from finbridge.supplychain.services._common import FIRM_TYPES, FUNDER_TYPES
from finbridge.supplychain.views.abilities import trade_ids


def payments_of(*, actor: Any, receivable: Receivable) -> list[Payment]:
    """Payments of a receivable the actor already may see (receivable_get): every payment for its debtor, its
    creditor and the district authority; for anyone else (funder, holder down the chain) those paid to them."""
    scope = trade_scope(actor)
    rows = Payment.objects.filter(receivable=receivable).select_related("payer", "payee", "voucher")
    if not (scope.sees_all or {receivable.creditor_id, receivable.debtor_id} & scope.org_ids):
        rows = rows.filter(Q(payee_id__in=scope.org_ids))
    return list(rows.order_by("tier", "id"))


MSG_NO_ORGANIZATION = _("No MSME or core enterprise on the platform has this credit code.")


def organization_for_uscc(raw: Any, field: str) -> int:
    """The id of the active firm whose registry record has the credit code `raw` (a supplier to pass a voucher
    to); ValidationFailed on `field` for a malformed code or one no firm on the platform has."""
    try:
        code = normalize_uscc(str(raw or ""))
    except InvalidUSCC as error:
        raise ValidationFailed(error.message, code=error.code, fields={field: [error.message]}) from None
    found = (
        Enterprise.objects.filter(
            uscc=code, organization__isnull=False, organization__is_active=True, organization__org_type__in=FIRM_TYPES
        )
        .values_list("organization_id", flat=True)
        .first()
    )
    if found is None:
        raise ValidationFailed(MSG_NO_ORGANIZATION, fields={field: [str(MSG_NO_ORGANIZATION)]})
    return found


def funder_choices() -> list[Organization]:
    """Every active bank that can be asked for financing (head offices and branches), by name."""
    return list(Organization.objects.filter(org_type__in=FUNDER_TYPES, is_active=True).order_by("name", "pk"))


def financeable_receivables(*, actor: Any) -> list[Receivable]:
    """Confirmed receivables the actor's firms are the creditor of, not overdue and not due before today — what a
    financing request may offer (the service checks again, and also open requests and registrations)."""
    today = timezone.localdate()
    rows = receivables_selectors.receivable_list(
        actor=actor, side="creditor", status=ReceivableStatus.CONFIRMED, overdue=False
    )
    own = trade_ids(actor)
    return list(rows.filter(due_on__gte=today, creditor_id__in=own).order_by("due_on", "pk")[:500])


def financeable_vouchers(*, actor: Any) -> list[Voucher]:
    """Held voucher parts of the actor's firms whose payable is not overdue nor due before today."""
    today = timezone.localdate()
    rows = voucher_selectors.voucher_list(actor=actor, status=VoucherStatus.HELD).filter(
        holder_id__in=trade_ids(actor), receivable__is_overdue=False, receivable__due_on__gte=today
    )
    return list(rows.order_by("receivable__due_on", "pk")[:500])
