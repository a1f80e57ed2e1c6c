"""Notification kinds of supply-chain finance (registered with finbridge.notifications.kinds at start-up)."""

from __future__ import annotations

import importlib
import importlib.util

from django.utils.translation import gettext_lazy as _

from finbridge.notifications.kinds import register_kind

RECEIVABLE_UPLOADED = "supplychain.receivable_uploaded"
PAYABLE_RECORDED = "supplychain.payable_recorded"
RECEIVABLE_CONFIRMED = "supplychain.receivable_confirmed"
RECEIVABLE_DISPUTED = "supplychain.receivable_disputed"
FINANCING_REQUESTED = "supplychain.financing_requested"
OFFER_MADE = "supplychain.offer_made"
OFFER_REFUSED = "supplychain.offer_refused"
OFFER_WITHDRAWN = "supplychain.offer_withdrawn"
OFFER_ACCEPTED = "supplychain.offer_accepted"
OFFER_CLOSED = "supplychain.offer_closed"
REQUEST_EXPIRED = "supplychain.request_expired"
RECEIVABLE_REGISTERED = "supplychain.receivable_registered"
REGISTRATION_RELEASED = "supplychain.registration_released"
VOUCHER_ISSUED = "supplychain.voucher_issued"
VOUCHER_RECEIVED = "supplychain.voucher_received"
PAYMENT_RECORDED = "supplychain.payment_recorded"
RECEIVABLE_OVERDUE = "supplychain.receivable_overdue"

KINDS = {
    RECEIVABLE_UPLOADED: _("%(creditor)s uploaded %(count)s receivable(s) on you (%(amount)s) for you to confirm."),
    PAYABLE_RECORDED: _("%(debtor)s recorded its payable to you on invoice %(invoice)s (%(amount)s) as confirmed."),
    RECEIVABLE_CONFIRMED: _("%(debtor)s confirmed %(count)s of your receivables (%(amount)s)."),
    RECEIVABLE_DISPUTED: _("%(debtor)s disputed your receivable on invoice %(invoice)s: %(reason)s"),
    FINANCING_REQUESTED: _("%(requester)s asks you to finance receivables of %(amount)s; please answer by %(due)s."),
    OFFER_MADE: _("%(funder)s offered %(amount)s on your financing request #%(request)s."),
    OFFER_REFUSED: _("%(funder)s declined your financing request #%(request)s."),
    OFFER_WITHDRAWN: _("%(funder)s withdrew its offer on your financing request #%(request)s."),
    OFFER_ACCEPTED: _("%(requester)s accepted your offer of %(amount)s; the receivables are registered to you."),
    OFFER_CLOSED: _("Financing request #%(request)s of %(requester)s is closed; your answer is no longer needed."),
    REQUEST_EXPIRED: _("Your financing request #%(request)s closed on %(due)s without an accepted offer."),
    RECEIVABLE_REGISTERED: _(
        "Your payable on invoice %(invoice)s (%(amount)s) is registered as a %(kind)s to %(funder)s: pay %(funder)s."
    ),
    REGISTRATION_RELEASED: _("Registration %(number)s of %(funder)s on invoice %(invoice)s was released."),
    VOUCHER_ISSUED: _("%(debtor)s issued you payment voucher %(number)s of %(amount)s, due on %(due)s."),
    VOUCHER_RECEIVED: _("%(holder)s passed you payment voucher part %(number)s of %(amount)s, due on %(due)s."),
    PAYMENT_RECORDED: _("%(debtor)s paid %(amount)s on invoice %(invoice)s on %(paid_on)s."),
    RECEIVABLE_OVERDUE: _(
        "The receivable on invoice %(invoice)s (%(amount)s) owed by %(debtor)s was due on %(due)s and is unpaid."
    ),
}

# Parameters stored as English msgids, translated for each reader.
TRANSLATED_PARAMS = {RECEIVABLE_REGISTERED: ("kind",)}


def register() -> None:
    """Register every supply-chain notification kind (and the chain database's, when that module exists)."""
    for kind, text in KINDS.items():
        register_kind(kind, text, translated_params=TRANSLATED_PARAMS.get(kind, ()))
    if importlib.util.find_spec("finbridge.supplychain.notices_chain") is not None:
        importlib.import_module("finbridge.supplychain.notices_chain").register()
