"""The risk-pool menu of the base layout (accounts/context_processors.py shows the links the user may follow)."""

from django.utils.translation import gettext_lazy as _

from finbridge.accounts.navigation import Link, Menu
from finbridge.riskpool import permissions as perms

MENU = Menu(
    _("Risk pool"),
    (
        Link("riskpool:pools-list", _("Risk-sharing pools"), perms.VIEW_POOL),
        Link("riskpool:claims-all", _("Claims"), perms.VIEW_POOL),
    ),
)
