"""Readable, translated names for audit actions, record types and fields (the trail stores codes)."""

from __future__ import annotations

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "enterprise_create": _("Added to the registry"),
    "enterprise_update": _("Edited"),
    "enterprise_verify": _("Verified"),
    "enterprise_import": _("Imported from a list"),
    "enterprise_import_run": _("Import applied"),
    "enterprise_import_dry_run": _("Import checked (dry run)"),
    "enterprise_import_queued": _("Import queued (large file)"),
    "enterprise_import_failed": _("Import failed"),
    "financials_upsert": _("Yearly figures saved"),
    "financials_delete": _("Yearly figures deleted"),
    "contact_add": _("Contact added"),
    "contact_remove": _("Contact removed"),
    "consent_grant": _("Consent granted"),
    "consent_revoke": _("Consent revoked"),
    "organization_create": _("Organisation created"),
    "invitation_create": _("Invitation sent"),
    "invitation_revoke": _("Invitation revoked"),
    "invitation_accept": _("Invitation accepted"),
    "membership_create": _("Member added"),
    "membership_change_role": _("Role changed"),
    "membership_remove": _("Member removed"),
    "user_create": _("Account created"),
    "user_password_change": _("Password changed"),
    "api_token_create": _("API token created"),
    "api_token_rotate": _("API token replaced"),
    "api_token_revoke": _("API token revoked"),
    "seed_demo": _("Demo data"),
    "product_create": _("Product created"),
    "product_update": _("Product edited"),
    "product_publish": _("Product published"),
    "product_withdraw": _("Product withdrawn"),
    "lpr_set": _("Loan Prime Rate recorded"),
    "demand_create": _("Financing demand created"),
    "demand_update": _("Financing demand edited"),
    "demand_publish": _("Financing demand published"),
    "demand_withdraw": _("Financing demand withdrawn"),
    "demand_expire": _("Financing demand expired"),
    "demand_republish": _("Financing demand published again"),
    "demand_escalate": _("Financing demand escalated"),
    "demand_overdue": _("Answer to a demand overdue"),
    "demand_take_up": _("Financing demand taken up"),
    "demand_pass": _("Financing demand passed"),
    "demand_matches_refresh": _("Matches recomputed"),
    "engagement_start_review": _("Review started"),
    "engagement_approve": _("Financing approved"),
    "engagement_decline": _("Financing declined"),
    "engagement_disburse": _("Loan disbursed"),
    "loan_record": _("Loan recorded"),
    "loan_status_report": _("Monthly loan status reported"),
    "loan_import_run": _("Loan import applied"),
    "loan_import_dry_run": _("Loan import checked (dry run)"),
}


def action_label(code: str) -> str:
    """The action in words, in the active language (the code itself when unknown)."""
    return str(ACTION_LABELS.get(code, code))


def object_type_label(object_type: str) -> str:
    """`app_label.model` as the model's verbose name, in the active language."""
    try:
        return str(capfirst(apps.get_model(object_type)._meta.verbose_name))
    except (LookupError, ValueError):
        return object_type


def field_label(object_type: str, field_name: str) -> str:
    """A field's verbose name for a record type, in the active language (the name itself when unknown)."""
    try:
        return str(capfirst(apps.get_model(object_type)._meta.get_field(field_name).verbose_name))
    except (LookupError, ValueError, FieldDoesNotExist, AttributeError):
        return field_name
