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
    # risk-sharing pool
    "riskpool.pool_create": _("Risk pool created"),
    "riskpool.pool_update": _("Risk pool edited"),
    "riskpool.pool_activate": _("Risk pool activated"),
    "riskpool.pool_close": _("Risk pool closed"),
    "riskpool.pool_capital_contribute": _("Capital paid into the pool"),
    "riskpool.pool_capital_withdraw": _("Capital returned from the pool"),
    "riskpool.pool_interest_record": _("Interest earned by the pool"),
    "riskpool.ledger_post": _("Pool ledger entry posted"),
    "riskpool.ledger_reverse": _("Pool ledger entry reversed"),
    "riskpool.member_admit": _("Institution admitted to the pool"),
    "riskpool.member_update": _("Pool agreement changed"),
    "riskpool.member_end": _("Pool membership ended"),
    "riskpool.member_suspend": _("Bank suspended from enrolment"),
    "riskpool.member_resume": _("Bank resumed for enrolment"),
    "riskpool.rule_version_create": _("Sharing rule version created"),
    "riskpool.enrolment_create": _("Loan enrolled in the pool"),
    "riskpool.enrolment_release": _("Loan released from the pool"),
    "riskpool.enrolment_compensate": _("Enrolled loan compensated"),
    "riskpool.claim_file": _("Compensation claim filed"),
    "riskpool.claim_document_add": _("Claim document added"),
    "riskpool.claim_resubmit": _("Compensation claim resubmitted"),
    "riskpool.claim_withdraw": _("Compensation claim withdrawn"),
    "riskpool.claim_return": _("Compensation claim returned for more information"),
    "riskpool.claim_reject": _("Compensation claim rejected"),
    "riskpool.claim_approve": _("Compensation claim approved"),
    "riskpool.owed_settle": _("Owed compensation settled"),
    "riskpool.recovery_report": _("Recovery reported"),
    "riskpool.stress_test_run": _("Stress test run"),
    "riskpool.stress_test_failed": _("Stress test failed"),
    # supply-chain finance
    "receivable_create": _("Receivable uploaded"),
    "payable_create": _("Payable recorded by the debtor"),
    "receivable_update": _("Receivable corrected"),
    "receivable_document_add": _("Receivable document added"),
    "receivable_withdraw": _("Receivable withdrawn"),
    "receivable_import": _("Receivables imported"),
    "receivable_import_dry_run": _("Receivable import checked (dry run)"),
    "receivable_confirm": _("Receivable confirmed by the debtor"),
    "receivable_dispute": _("Receivable disputed by the debtor"),
    "receivable_settle": _("Receivable paid"),
    "receivable_overdue": _("Receivable overdue"),
    "financing_request_create": _("Financing requested on receivables"),
    "financing_request_withdrawn": _("Financing request withdrawn"),
    "financing_request_closed": _("Financing request closed"),
    "financing_request_accepted": _("Financing request accepted"),
    "financing_offer_make": _("Financing offer made"),
    "financing_offer_refuse": _("Financing refused"),
    "financing_offer_withdraw": _("Financing offer withdrawn"),
    "financing_offer_accept": _("Financing offer accepted"),
    "registration_create": _("Pledge or transfer registered"),
    "registration_release": _("Registration released"),
    "voucher_issue": _("Payment voucher issued"),
    "voucher_split": _("Payment voucher split"),
    "chain_partner_add": _("Chain partner listed"),
    "chain_partner_edit": _("Chain partner edited"),
    "chain_partner_end": _("Chain partner listing ended"),
    "chain_partner_relist": _("Chain partner listed again"),
    "chain_import_run": _("Chain partners imported"),
    "chain_import_dry_run": _("Chain partner import checked (dry run)"),
    "chain_recommendation_send": _("Financing recommendation sent"),
    "chain_recommendation_view": _("Financing recommendation viewed"),
    "chain_recommendation_act": _("Financing recommendation acted on"),
    "chain_recommendation_decline": _("Financing recommendation declined"),
    "chain_recommendation_withdraw": _("Financing recommendation withdrawn"),
    "chain_summary_create": _("Transaction summary recorded"),
    "chain_summary_share": _("Transaction summary shared"),
    "chain_summary_unshare": _("Transaction summary no longer shared"),
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
