"""Home-page panels of the financing marketplace (listed in accounts/dashboard.py PANEL_BUILDERS).

Each builder returns a panel dict (template, title, data) or None when the panel is not for the actor; all
reads go through the financing selectors, so a panel never shows a row its reader may not see.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from finbridge.core import pagination
from finbridge.core.permissions import has_perm
from finbridge.financing import permissions as perms
from finbridge.financing.choices import DemandStatus
from finbridge.financing.selectors import demands as demand_selectors
from finbridge.financing.selectors import matching as matching_selectors
from finbridge.financing.views.products import products_home_panel

RECENT_ROWS = 5
OPEN_DEMAND_STATUSES = (
    DemandStatus.DRAFT,
    DemandStatus.PUBLISHED,
    DemandStatus.TAKEN_UP,
    DemandStatus.UNDER_REVIEW,
    DemandStatus.APPROVED,
)
TEMPLATE = "financing/partials/_home_panel.html"


def _capped(queryset: Any) -> tuple[int, bool]:
    count = queryset.order_by()[: pagination.COUNT_CAP + 1].count()
    return min(count, pagination.COUNT_CAP), count > pagination.COUNT_CAP


def own_demands_panel(actor: Any) -> dict[str, Any] | None:
    """MSMEs that post demands: their open demands by status, the newest ones, and a button to post one."""
    if not has_perm(actor, perms.POST_DEMAND):
        return None
    demands = demand_selectors.demand_list(actor=actor)
    counts = dict(demands.order_by().values("status").annotate(n=Count("id")).values_list("status", "n"))
    list_url = reverse("financing:demands-list")
    return {
        "template": TEMPLATE,
        "testid": "panel-own-demands",
        "title": _("Your financing demands"),
        "stats": [
            {"label": DemandStatus(status).label, "count": counts.get(status, 0), "url": f"{list_url}?status={status}"}
            for status in OPEN_DEMAND_STATUSES
        ],
        "demands": list(demands.filter(status__in=OPEN_DEMAND_STATUSES)[:RECENT_ROWS]),
        "actions": [
            {"label": _("Post a financing demand"), "url": reverse("financing:demands-create"), "primary": True},
            {"label": _("See all your demands"), "url": list_url},
        ],
    }


def inbox_panel(actor: Any) -> dict[str, Any] | None:
    """Banks and guarantors: demands that fit their products and await their answer, and those overdue."""
    if not has_perm(actor, perms.RESPOND_DEMAND) or not matching_selectors.inbox_institution_ids(actor=actor):
        return None
    waiting, waiting_capped = _capped(matching_selectors.institution_inbox(actor=actor))
    overdue_qs = demand_selectors.institution_overdue(actor=actor)
    overdue, overdue_capped = _capped(overdue_qs)
    inbox_url = reverse("financing:matching-inbox")
    return {
        "template": TEMPLATE,
        "testid": "panel-inbox",
        "title": _("Demands awaiting your answer"),
        "stats": [
            {"label": _("fit your products"), "count": waiting, "capped": waiting_capped, "url": inbox_url},
            {
                "label": _("answer overdue"),
                "count": overdue,
                "capped": overdue_capped,
                "url": f"{inbox_url}?overdue=true",
                "alert": overdue > 0,
            },
        ],
        "demands": list(overdue_qs[:RECENT_ROWS]),
        "demands_title": _("Overdue answers"),
        "actions": [{"label": _("Open the inbox"), "url": inbox_url, "primary": True}],
    }


def oversight_panel(actor: Any) -> dict[str, Any] | None:
    """District authority: demands with overdue answers and demands nobody took up in time."""
    if not has_perm(actor, perms.VIEW_OVERSIGHT):
        return None
    overdue, overdue_capped = _capped(demand_selectors.oversight_overdue(actor=actor))
    escalated_qs = demand_selectors.oversight_escalated(actor=actor)
    escalated, escalated_capped = _capped(escalated_qs)
    url = reverse("financing:demands-oversight")
    return {
        "template": TEMPLATE,
        "testid": "panel-oversight",
        "title": _("Bank response oversight"),
        "stats": [
            {"label": _("with an overdue answer"), "count": overdue, "capped": overdue_capped, "url": url},
            {
                "label": _("escalated: nobody took them up"),
                "count": escalated,
                "capped": escalated_capped,
                "url": url,
                "alert": escalated > 0,
            },
        ],
        "demands": list(escalated_qs[:RECENT_ROWS]),
        "demands_title": _("Latest escalations"),
        "actions": [
            {"label": _("Open the oversight page"), "url": url, "primary": True},
            {"label": _("Bank league table"), "url": reverse("analytics:league-table")},
        ],
    }


PANELS = (own_demands_panel, inbox_panel, oversight_panel, products_home_panel)
