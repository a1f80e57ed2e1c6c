"""Navigation for the base layout: the links the current user may follow, some grouped in menus."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.navigation import Link, Menu
from finbridge.core.permissions import has_perm
from finbridge.riskpool.navigation import MENU as RISKPOOL_MENU
from finbridge.supplychain.navigation import MENU as SUPPLYCHAIN_MENU

NAVIGATION: tuple[Link | Menu, ...] = (
    Link("home", _("Home")),
    Link("enterprises:list", _("Enterprises"), "enterprises.view_enterprise"),
    Link("enterprises:import", _("Import"), "enterprises.import_enterprises"),
    Link("enterprises:consents", _("Consents"), "enterprises.manage_consent"),
    Menu(
        _("Financing"),
        (
            Link("financing:products-list", _("Products"), "financing.view_product"),
            Link("financing:demands-list", _("Demands"), "financing.view_demand"),
            Link("financing:matching-inbox", _("Demand inbox"), "financing.respond_demand"),
            Link("financing:demands-oversight", _("Response oversight"), "financing.view_oversight"),
            Link("financing:loans-list", _("Loans"), "financing.view_loan"),
            Link("analytics:league-table", _("Bank league table"), "financing.view_league_table"),
        ),
    ),
    RISKPOOL_MENU,
    SUPPLYCHAIN_MENU,
    Link("accounts:organizations", _("Members"), "accounts.manage_members"),
    Link("audit:list", _("Audit trail"), "audit.view_audit"),
)


def _active_url(path: str, urls: list[str]) -> str | None:
    """The url of the link a page belongs to: the longest url that the path starts with."""
    matches = [url for url in urls if path == url or (url != "/" and path.startswith(url))]
    return max(matches, key=len, default=None)


def _visible(user: Any, entry: Link | Menu) -> list[Link]:
    links = [entry] if isinstance(entry, Link) else list(entry.links)
    return [link for link in links if link.code is None or has_perm(user, link.code)]


def navigation(request: Any) -> dict[str, Any]:
    """`nav_items`: links and menus ({"label", "children"}) the user may follow; `current_memberships`."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {"nav_items": []}
    visible = [(entry, [(link, reverse(link.url_name)) for link in _visible(user, entry)]) for entry in NAVIGATION]
    active = _active_url(request.path, [url for _entry, links in visible for _link, url in links])
    items: list[dict[str, Any]] = []
    for entry, links in visible:
        children = [{"url": url, "label": link.label, "active": url == active} for link, url in links]
        if not children:
            continue
        if isinstance(entry, Link):
            items.append(children[0])
        else:
            items.append({"label": entry.label, "children": children, "active": any(c["active"] for c in children)})
    return {"nav_items": items, "current_memberships": user.active_memberships}
