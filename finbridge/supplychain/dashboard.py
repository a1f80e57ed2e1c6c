"""Panels this app adds to the home page (accounts/dashboard.py calls each builder with the actor).

Each builder returns a panel dict (template, title, stats, rows, actions) or None when the panel is not for the
actor; every read goes through the supply-chain selectors, so a panel never shows a row its reader may not see.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from finbridge.core import pagination
from finbridge.core.templatetags.finbridge import money
from finbridge.supplychain.choices import OfferStatus, ReceivableStatus
from finbridge.supplychain.selectors import financing as financing_selectors
from finbridge.supplychain.selectors import receivables as receivable_selectors
from finbridge.supplychain.services.confirmation import invoice_label
from finbridge.supplychain.views.abilities import fund_ids, trade_ids

RECENT_ROWS = 5
TEMPLATE = "supplychain/partials/_home_panel.html"


def _capped(queryset: Any) -> tuple[int, bool]:
    count = queryset.order_by()[: pagination.COUNT_CAP + 1].count()
    return min(count, pagination.COUNT_CAP), count > pagination.COUNT_CAP


def _receivables_url(**filters: str) -> str:
    return f"{reverse('supplychain:receivables-list')}?{urlencode(filters)}"


def _receivable_row(receivable: Any, party: Any) -> dict[str, Any]:
    return {
        "label": f"{party.display_name} · {invoice_label(receivable)}",
        "detail": f"{money(receivable.amount)} · {receivable.due_on:%Y-%m-%d}",
        "url": reverse("supplychain:receivables-detail", args=[receivable.pk]),
    }


def debtor_panel(actor: Any) -> dict[str, Any] | None:
    """Debtors: receivables suppliers uploaded that wait for the debtor's confirmation."""
    if not trade_ids(actor):
        return None
    pending = receivable_selectors.receivable_list(actor=actor, side="debtor", status=ReceivableStatus.PENDING)
    count, capped = _capped(pending)
    if not count:
        return None
    url = _receivables_url(side="debtor", status=ReceivableStatus.PENDING)
    return {
        "template": TEMPLATE,
        "testid": "panel-sc-confirm",
        "title": _("Receivables to confirm"),
        "stats": [{"label": _("wait for your confirmation"), "count": count, "capped": capped, "url": url}],
        "rows": [_receivable_row(r, r.creditor) for r in pending[:RECENT_ROWS]],
        "actions": [{"label": _("Confirm or dispute"), "url": url, "primary": True}],
    }


def supplier_panel(actor: Any) -> dict[str, Any] | None:
    """Suppliers: offers to decide on, and their receivables that are overdue."""
    own = trade_ids(actor)
    if not own:
        return None
    offers = financing_selectors.financing_offer_list(actor=actor, status=OfferStatus.OFFERED).filter(
        request__requester_id__in=own, request__status="open"
    )
    offered, offered_capped = _capped(offers)
    overdue_qs = receivable_selectors.receivable_list(actor=actor, side="creditor", overdue=True).exclude(
        status=ReceivableStatus.SETTLED
    )
    overdue, overdue_capped = _capped(overdue_qs)
    if not (offered or overdue):
        return None
    rows = [
        {
            "label": offer.funder.display_name,
            "detail": _("offer on request #%(number)s") % {"number": offer.request_id},
            "url": reverse("supplychain:requests-detail", args=[offer.request_id]),
        }
        for offer in offers[:RECENT_ROWS]
    ]
    return {
        "template": TEMPLATE,
        "testid": "panel-sc-offers",
        "title": _("Supply-chain financing"),
        "stats": [
            {
                "label": _("offers to decide"),
                "count": offered,
                "capped": offered_capped,
                "url": reverse("supplychain:requests-list") + "?status=open",
            },
            {
                "label": _("receivables overdue"),
                "count": overdue,
                "capped": overdue_capped,
                "url": _receivables_url(side="creditor", overdue="true"),
                "alert": overdue > 0,
            },
        ],
        "rows": rows,
        "actions": [
            {"label": _("Your financing requests"), "url": reverse("supplychain:requests-list"), "primary": True}
        ],
    }


def funder_panel(actor: Any) -> dict[str, Any] | None:
    """Banks: financing requests sent to them that wait for an offer or a refusal."""
    if not fund_ids(actor):
        return None
    waiting = financing_selectors.financing_offer_list(actor=actor, status=OfferStatus.PENDING, as_funder=True).filter(
        request__status="open"
    )
    count, capped = _capped(waiting)
    url = reverse("supplychain:offers-list") + f"?status={OfferStatus.PENDING}"
    return {
        "template": TEMPLATE,
        "testid": "panel-sc-inbox",
        "title": _("Supply-chain financing requests"),
        "stats": [{"label": _("wait for your offer"), "count": count, "capped": capped, "url": url}],
        "rows": [
            {
                "label": offer.request.requester.display_name,
                "detail": f"{money(offer.request.amount_requested)} · {offer.request.respond_by:%Y-%m-%d}",
                "url": reverse("supplychain:offers-detail", args=[offer.pk]),
            }
            for offer in waiting[:RECENT_ROWS]
        ],
        "actions": [{"label": _("Answer the requests"), "url": url, "primary": True}],
    }


PANELS: tuple[Callable[[Any], Any], ...] = (debtor_panel, supplier_panel, funder_panel)
