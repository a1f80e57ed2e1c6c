"""Notification kinds of the chain databases (registered by notices.register() when this module exists)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from finbridge.notifications.kinds import register_kind

CHAIN_RECOMMENDED = "supplychain.chain_recommended"
CHAIN_RECOMMENDATION_ANSWERED = "supplychain.chain_recommendation_answered"
CHAIN_SUMMARY_SHARED = "supplychain.chain_summary_shared"

KINDS = {
    CHAIN_RECOMMENDED: _("%(core)s recommends %(enterprise)s (%(direction)s) to you for financing."),
    CHAIN_RECOMMENDATION_ANSWERED: _("%(funder)s answered your recommendation of %(enterprise)s: %(status)s."),
    CHAIN_SUMMARY_SHARED: _("%(core)s shared a transaction summary of %(enterprise)s (%(period)s) with you."),
}

# Parameters stored as English msgids, translated for each reader.
TRANSLATED_PARAMS = {CHAIN_RECOMMENDED: ("direction",), CHAIN_RECOMMENDATION_ANSWERED: ("status",)}


def register() -> None:
    """Register every chain notification kind with the notifications app."""
    for kind, text in KINDS.items():
        register_kind(kind, text, translated_params=TRANSLATED_PARAMS.get(kind, ()))
