"""The panels of each person's home page, chosen by what their memberships allow.

Each panel is a dict with the template that draws it (accounts/partials/_panel_*.html), a title and the
data it shows, read through selectors so that a panel never shows a row its reader may not see. A person
with several memberships gets the panels of each, most urgent first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from finbridge.accounts import permissions as accounts_perms
from finbridge.accounts.selectors import actor_scope, membership_list, organizations_managed_by
from finbridge.core import pagination
from finbridge.core.permissions import has_perm
from finbridge.enterprises import permissions as enterprise_perms
from finbridge.enterprises import selectors as enterprise_selectors
from finbridge.enterprises.choices import VerificationState
from finbridge.enterprises.models import Enterprise
from finbridge.enterprises.selectors_import import import_run_list
from finbridge.financing import dashboard as financing_dashboard
from finbridge.riskpool import dashboard as riskpool_dashboard
from finbridge.supplychain import dashboard as supplychain_dashboard

RECENT_ROWS = 5

# The parts of a profile that make it complete, with the label shown when one is missing.
PROFILE_PARTS: tuple[tuple[str, Any], ...] = (
    ("legal_representative", _("legal representative")),
    ("established_on", _("date established")),
    ("registered_capital", _("registered capital")),
    ("address", _("address")),
    ("subdistrict_id", _("subdistrict")),
    ("industry_code", _("industry")),
    ("employees", _("employees")),
    ("annual_revenue", _("annual revenue")),
    ("total_assets", _("total assets")),
    ("clusters", _("industrial clusters")),
    ("contacts", _("contacts")),
    ("financials", _("yearly figures")),
)
RELATED_PARTS = ("clusters", "contacts", "financials")


def profile_completeness(enterprise: Enterprise) -> tuple[int, list[Any]]:
    """(percent complete, labels of the missing parts) of an enterprise profile."""
    missing = []
    for name, label in PROFILE_PARTS:
        value = getattr(enterprise, name)
        present = value.exists() if name in RELATED_PARTS else value not in (None, "")
        if not present:
            missing.append(label)
    done = len(PROFILE_PARTS) - len(missing)
    return round(100 * done / len(PROFILE_PARTS)), missing


def _capped_count(queryset: Any) -> tuple[int, bool]:
    """(count up to COUNT_CAP, whether there are more), without counting a million rows."""
    count = queryset.order_by()[: pagination.COUNT_CAP + 1].count()
    return min(count, pagination.COUNT_CAP), count > pagination.COUNT_CAP


def _list_url(**filters: str) -> str:
    url = reverse("enterprises:list")
    return f"{url}?{urlencode(filters)}" if filters else url


def _registry_panel(actor: Any) -> dict[str, Any] | None:
    """Government: how many enterprises are in the remit and how many need re-verification."""
    scope = actor_scope(actor)
    if not (scope.is_government and has_perm(actor, enterprise_perms.VIEW_ENTERPRISE)):
        return None
    total, total_capped = _capped_count(enterprise_selectors.enterprise_list(actor=actor))
    never, never_capped = _capped_count(
        enterprise_selectors.enterprise_list(actor=actor, filters={"verification": VerificationState.NEVER})
    )
    return {
        "template": "accounts/partials/_panel_registry.html",
        "title": _("Enterprises in your remit"),
        "total": total,
        "total_capped": total_capped,
        "overdue": enterprise_selectors.verification_overdue_count(actor=actor),
        "never": never,
        "never_capped": never_capped,
        "list_url": _list_url(),
        "overdue_url": _list_url(verification=VerificationState.DUE),
        "never_url": _list_url(verification=VerificationState.NEVER),
        "can_add": has_perm(actor, enterprise_perms.ADD_ENTERPRISE),
    }


def _imports_panel(actor: Any) -> dict[str, Any] | None:
    """Government importers: their organisations' latest import runs."""
    if not has_perm(actor, enterprise_perms.IMPORT_ENTERPRISES):
        return None
    return {
        "template": "accounts/partials/_panel_imports.html",
        "title": _("Recent imports"),
        "runs": list(import_run_list(actor=actor)[:RECENT_ROWS]),
    }


def _consented_panel(actor: Any) -> dict[str, Any] | None:
    """Banks and other institutions: enterprises that consented, and the newest consents."""
    scope = actor_scope(actor)
    if not (scope.consent_grantee_ids and has_perm(actor, enterprise_perms.VIEW_ENTERPRISE)):
        return None
    consents = enterprise_selectors.consent_list(actor=actor).filter(grantee_id__in=scope.consent_grantee_ids)
    total, total_capped = _capped_count(enterprise_selectors.enterprise_list(actor=actor))
    return {
        "template": "accounts/partials/_panel_consented.html",
        "title": _("Enterprises that consented"),
        "total": total,
        "total_capped": total_capped,
        "consents": list(consents[:RECENT_ROWS]),
        "list_url": _list_url(),
    }


def _own_profile_panels(actor: Any) -> list[dict[str, Any]]:
    """MSMEs: their profile's completeness and verification, and the consents they granted."""
    panels = []
    for enterprise in enterprise_selectors.own_enterprises(actor=actor):
        percent, missing = profile_completeness(enterprise)
        consents = enterprise_selectors.consent_list(actor=actor, enterprise=enterprise)
        active = [c for c in consents if c.is_active()]
        panels.append(
            {
                "template": "accounts/partials/_panel_profile.html",
                "title": _("Your enterprise profile"),
                "enterprise": enterprise,
                "completeness": percent,
                "missing": missing,
                "verification_state": enterprise.verification_state(),
                "active_consents": active[:RECENT_ROWS],
                "active_consent_count": len(active),
                "can_edit": has_perm(actor, enterprise_perms.CHANGE_ENTERPRISE, enterprise),
                "can_manage_consent": has_perm(actor, enterprise_perms.MANAGE_CONSENT, enterprise),
            }
        )
    return panels


def _members_panel(actor: Any) -> dict[str, Any] | None:
    """Organisation admins: the member count of each organisation they manage."""
    if not has_perm(actor, accounts_perms.MANAGE_MEMBERS):
        return None
    organizations = [
        {
            "organization": organization,
            "members": membership_list(actor=actor, organization=organization).count(),
            "url": reverse("accounts:members", args=[organization.pk]),
        }
        for organization in organizations_managed_by(actor=actor)
    ]
    if not organizations:
        return None
    return {
        "template": "accounts/partials/_panel_members.html",
        "title": _("Members"),
        "organizations": organizations,
    }


def _audit_panel(actor: Any) -> dict[str, Any] | None:
    """District authority: the latest events of the audit trail."""
    from finbridge.audit.selectors import audit_event_list

    if not has_perm(actor, "audit.view_audit"):
        return None
    return {
        "template": "accounts/partials/_panel_audit.html",
        "title": _("Latest changes"),
        "events": list(audit_event_list(actor=actor)[:RECENT_ROWS]),
    }


PANEL_BUILDERS: tuple[Callable[[Any], Any], ...] = (
    _registry_panel,
    _own_profile_panels,
    *financing_dashboard.PANELS,
    *riskpool_dashboard.PANELS,
    *supplychain_dashboard.PANELS,
    _consented_panel,
    _imports_panel,
    _audit_panel,
    _members_panel,
)


def home_panels(*, actor: Any) -> list[dict[str, Any]]:
    """Panels for the home page of `actor`, most urgent first.

    Someone without an active membership gets one panel that says how to join an organisation.
    """
    if not actor_scope(actor).organization_ids:
        return [{"template": "accounts/partials/_panel_no_membership.html", "title": _("No organisation yet")}]
    panels: list[dict[str, Any]] = []
    for build in PANEL_BUILDERS:
        result = build(actor)
        if isinstance(result, list):
            panels.extend(result)
        elif result:
            panels.append(result)
    return panels
