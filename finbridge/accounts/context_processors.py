"""Navigation for the base layout: the links the current user may follow."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from finbridge.core.permissions import has_perm

# (url name, label, permission code or None for every signed-in user)
NAV_ITEMS = [
    ("home", _("Home"), None),
    ("enterprises:list", _("Enterprises"), "enterprises.view_enterprise"),
    ("enterprises:import", _("Import"), "enterprises.import_enterprises"),
    ("enterprises:consents", _("Consents"), "enterprises.manage_consent"),
    ("accounts:organizations", _("Members"), "accounts.manage_members"),
    ("audit:list", _("Audit trail"), "audit.view_audit"),
]


def navigation(request: Any) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {"nav_items": []}
    items = [
        {"url": reverse(name), "label": label, "active": request.path == reverse(name)}
        for name, label, code in NAV_ITEMS
        if code is None or has_perm(user, code)
    ]
    return {"nav_items": items, "current_memberships": user.active_memberships}
