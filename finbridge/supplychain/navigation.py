"""The supply-chain menu of the base layout (accounts/context_processors.py shows the links the user may follow)."""

from django.utils.translation import gettext_lazy as _

from finbridge.accounts.navigation import Link, Menu
from finbridge.supplychain import permissions as perms

MENU = Menu(
    _("Supply chain"),
    (
        Link("supplychain:overview", _("Overview"), perms.VIEW_OVERVIEW),
        Link("supplychain:receivables-list", _("Receivables"), perms.VIEW_SUPPLY_CHAIN),
        Link("supplychain:requests-list", _("Financing requests"), perms.TRADE),
        Link("supplychain:offers-list", _("Requests to answer"), perms.FUND),
        Link("supplychain:vouchers-list", _("Payment vouchers"), perms.VIEW_SUPPLY_CHAIN),
        Link("supplychain:registrations-list", _("Registrations"), perms.VIEW_SUPPLY_CHAIN),
        Link("supplychain:chain-list", _("Chain database"), perms.VIEW_SUPPLY_CHAIN),
        Link("supplychain:chain-recommendations", _("Financing recommendations"), perms.VIEW_SUPPLY_CHAIN),
        Link("supplychain:chain-summaries", _("Transaction summaries"), perms.VIEW_SUPPLY_CHAIN),
    ),
)
