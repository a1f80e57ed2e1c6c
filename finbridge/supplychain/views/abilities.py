"""What the actor may do to one record, for the buttons of the pages and the `can_*` flags of the API.

These are read-only hints: each service checks the same rules again (and more) when the action is taken.
The organisations the actor acts for follow the memberships that grant supplychain.trade (firms) or
supplychain.fund (banks).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from finbridge.accounts.models import Organization
from finbridge.accounts.roles import codes_for
from finbridge.core.permissions import has_perm
from finbridge.supplychain import permissions as perms
from finbridge.supplychain.choices import FinancingRequestStatus, OfferStatus, ReceivableStatus, VoucherStatus
from finbridge.supplychain.services._common import FIRM_TYPES, FUNDER_TYPES

PAYABLE_STATUSES = frozenset(
    {
        ReceivableStatus.CONFIRMED,
        ReceivableStatus.FINANCING_REQUESTED,
        ReceivableStatus.FINANCED,
        ReceivableStatus.VOUCHER_ISSUED,
    }
)


def organizations_with(actor: Any, code: str, org_types: frozenset[str]) -> list[Organization]:
    """The actor's active organisations of `org_types` whose membership grants `code`, by name."""
    if not has_perm(actor, code):
        return []
    found = {
        m.organization.pk: m.organization
        for m in actor.active_memberships
        if m.organization.org_type in org_types and code in codes_for(m.organization.org_type, m.role)
    }
    return sorted(found.values(), key=lambda org: (org.name, org.pk))


def trade_organizations(actor: Any) -> list[Organization]:
    """Firms (MSMEs, core enterprises) the actor trades for: creditor, debtor, voucher holder."""
    return organizations_with(actor, perms.TRADE, FIRM_TYPES)


def funder_organizations(actor: Any) -> list[Organization]:
    """Banks the actor answers financing requests for."""
    return organizations_with(actor, perms.FUND, FUNDER_TYPES)


def _ids(organizations: list[Organization]) -> frozenset[int]:
    return frozenset(org.pk for org in organizations)


def trade_ids(actor: Any) -> frozenset[int]:
    cached = actor.__dict__.get("_sc_trade_ids") if actor is not None else None
    if cached is None:
        cached = _ids(trade_organizations(actor)) if actor is not None else frozenset()
        if actor is not None:
            actor.__dict__["_sc_trade_ids"] = cached
    return cached


def fund_ids(actor: Any) -> frozenset[int]:
    cached = actor.__dict__.get("_sc_fund_ids") if actor is not None else None
    if cached is None:
        cached = _ids(funder_organizations(actor)) if actor is not None else frozenset()
        if actor is not None:
            actor.__dict__["_sc_fund_ids"] = cached
    return cached


def receivable_abilities(actor: Any, receivable: Any) -> dict[str, bool]:
    """Which actions on the receivable the actor's buttons offer."""
    own = trade_ids(actor)
    creditor = receivable.creditor_id in own
    debtor = receivable.debtor_id in own
    status = receivable.status
    open_for_changes = status in (ReceivableStatus.PENDING, ReceivableStatus.DISPUTED)
    fresh = not receivable.is_overdue and receivable.due_on >= timezone.localdate()
    return {
        "is_creditor": creditor,
        "is_debtor": debtor,
        "can_edit": creditor and open_for_changes,
        "can_add_document": creditor and open_for_changes,
        "can_withdraw": creditor and open_for_changes,
        "can_confirm": debtor and status == ReceivableStatus.PENDING,
        "can_dispute": debtor and status == ReceivableStatus.PENDING,
        "can_request_financing": creditor and status == ReceivableStatus.CONFIRMED and fresh,
        "can_issue_voucher": debtor and status == ReceivableStatus.CONFIRMED and not receivable.is_overdue,
        "can_settle": debtor and status in PAYABLE_STATUSES,
    }


def voucher_abilities(actor: Any, voucher: Any) -> dict[str, bool]:
    """Which actions on the voucher part the actor's buttons offer."""
    holder = voucher.holder_id in trade_ids(actor)
    receivable = voucher.receivable
    live = voucher.status == VoucherStatus.HELD and not receivable.is_overdue
    return {
        "is_holder": holder,
        "can_split": holder and live,
        "can_transfer": holder and live,
        "can_request_financing": holder and live and receivable.due_on >= timezone.localdate(),
    }


def request_abilities(actor: Any, request: Any) -> dict[str, bool]:
    """Which actions on the financing request the actor's buttons offer."""
    requester = request.requester_id in trade_ids(actor)
    return {
        "is_requester": requester,
        "can_withdraw": requester and request.status == FinancingRequestStatus.OPEN,
    }


def offer_abilities(actor: Any, offer: Any) -> dict[str, bool]:
    """Which actions on the offer the actor's buttons offer (the funder answers, the requester accepts)."""
    funder = offer.funder_id in fund_ids(actor)
    requester = offer.request.requester_id in trade_ids(actor)
    request_open = offer.request.status == FinancingRequestStatus.OPEN
    return {
        "is_funder": funder,
        "is_requester": requester,
        "can_answer": funder and request_open and offer.status == OfferStatus.PENDING,
        "can_withdraw": funder and request_open and offer.status == OfferStatus.OFFERED,
        "can_accept": requester and request_open and offer.status == OfferStatus.OFFERED,
    }


def registration_abilities(actor: Any, registration: Any) -> dict[str, bool]:
    """Whether the actor's bank may release the registration (after the financing was repaid)."""
    return {"can_release": registration.funder_id in fund_ids(actor) and registration.status == "active"}
