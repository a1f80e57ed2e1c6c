"""Forms of the pool pages: a pool's settings, money paid in or out, members and their agreements, suspension.
Values go raw to the services (percentages turned into fractions); their errors come back onto the fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.choices import BankTier, OrgType
from finbridge.accounts.models import Organization
from finbridge.enterprises.choices import SizeClass
from finbridge.financing.choices import DemandPurpose
from finbridge.riskpool.choices import CapacityBasis, MemberRole
from finbridge.riskpool.forms_common import DATE_WIDGET, BootstrapForm, fraction, percent
from finbridge.riskpool.models import Pool

# Service field → form field, where they differ.
POOL_FIELD_NAMES = {
    "npl_suspension_threshold": "npl_suspension_threshold_percent",
    "free_balance_alert_share": "free_balance_alert_share_percent",
}
AMOUNT_HELP = _("In yuan, not ten-thousand yuan, e.g. 10,000,000.00.")
PERCENT_WIDGET = forms.TextInput(attrs={"inputmode": "decimal"})
MONEY_WIDGET = forms.TextInput(attrs={"inputmode": "decimal"})
ROLE_OF_TYPE = {
    OrgType.BANK: MemberRole.BANK,
    OrgType.GUARANTOR: MemberRole.GUARANTOR,
    OrgType.INSURER: MemberRole.INSURER,
}


class PoolForm(BootstrapForm):
    """A pool's settings (create and edit)."""

    name = forms.CharField(label=_("Name (Chinese)"), max_length=200, required=False)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    period_start = forms.CharField(label=_("Policy period from"), required=False, **DATE_WIDGET)
    period_end = forms.CharField(label=_("Policy period until"), required=False, **DATE_WIDGET)
    require_disbursed_in_period = forms.BooleanField(
        label=_("Only loans disbursed in the policy period"), required=False
    )
    capacity_basis = forms.ChoiceField(
        label=_("Maximum covered balance set as"), choices=CapacityBasis.choices, widget=forms.RadioSelect
    )
    max_covered_amount = forms.CharField(
        label=_("Maximum covered balance (CNY)"), required=False, help_text=AMOUNT_HELP, widget=MONEY_WIDGET
    )
    leverage_multiple = forms.CharField(
        label=_("Leverage multiple"),
        required=False,
        help_text=_("Maximum covered balance = multiple × capital contributed, e.g. 10."),
        widget=PERCENT_WIDGET,
    )
    npl_suspension_threshold_percent = forms.CharField(
        label=_("Non-performing ratio that suspends a bank (%)"), required=False, widget=PERCENT_WIDGET
    )
    free_balance_alert_share_percent = forms.CharField(
        label=_("Alert when the free balance falls below (per cent of capital)"),
        required=False,
        widget=PERCENT_WIDGET,
    )
    require_sme = forms.BooleanField(label=_("Borrower must be an SME (2011 MIIT standard)"), required=False)
    eligible_size_classes = forms.MultipleChoiceField(
        label=_("Eligible size classes"),
        choices=SizeClass.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    require_district_operation = forms.BooleanField(label=_("Borrower must operate in the district"), required=False)
    excluded_industry_prefixes = forms.CharField(
        label=_("Excluded industries"),
        required=False,
        help_text=_("GB/T 4754-2017 codes separated by commas; J (finance) and K7010 (real-estate development)."),
    )
    exclude_serious_bad_credit = forms.BooleanField(
        label=_("Exclude borrowers with serious bad credit"), required=False
    )
    max_loan_amount = forms.CharField(
        label=_("Maximum loan amount (CNY)"), required=False, help_text=_("Empty: no limit."), widget=MONEY_WIDGET
    )
    max_term_months = forms.CharField(label=_("Maximum term (months)"), required=False, help_text=_("Empty: no limit."))
    allowed_purposes = forms.MultipleChoiceField(
        label=_("Purposes covered"),
        choices=DemandPurpose.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any purpose."),
    )

    @classmethod
    def initial_for(cls, pool: Pool | None) -> dict[str, Any]:
        """The form's values for an existing pool, or the defaults of a new one."""
        if pool is None:
            pool = Pool()
        return {
            "name": pool.name,
            "name_en": pool.name_en,
            "description": pool.description,
            "period_start": pool.period_start.isoformat() if pool.period_start else "",
            "period_end": pool.period_end.isoformat() if pool.period_end else "",
            "require_disbursed_in_period": pool.require_disbursed_in_period,
            "capacity_basis": pool.capacity_basis,
            "max_covered_amount": pool.max_covered_amount if pool.max_covered_amount is not None else "",
            "leverage_multiple": pool.leverage_multiple if pool.leverage_multiple is not None else "",
            "npl_suspension_threshold_percent": percent(pool.npl_suspension_threshold),
            "free_balance_alert_share_percent": percent(pool.free_balance_alert_share),
            "require_sme": pool.require_sme,
            "eligible_size_classes": list(pool.eligible_size_classes or []),
            "require_district_operation": pool.require_district_operation,
            "excluded_industry_prefixes": ", ".join(pool.excluded_industry_prefixes or []),
            "exclude_serious_bad_credit": pool.exclude_serious_bad_credit,
            "max_loan_amount": pool.max_loan_amount if pool.max_loan_amount is not None else "",
            "max_term_months": pool.max_term_months or "",
            "allowed_purposes": list(pool.allowed_purposes or []),
        }

    def service_arguments(self) -> dict[str, Any]:
        """The settings as pool_create / pool_update take them; call after is_valid()."""
        data = self.cleaned_data
        prefixes = [p for p in data["excluded_industry_prefixes"].replace("，", ",").replace(" ", ",").split(",") if p]
        return {
            "name": data["name"],
            "name_en": data["name_en"],
            "description": data["description"],
            "period_start": data["period_start"],
            "period_end": data["period_end"],
            "require_disbursed_in_period": data["require_disbursed_in_period"],
            "capacity_basis": data["capacity_basis"],
            "max_covered_amount": data["max_covered_amount"] or None,
            "leverage_multiple": data["leverage_multiple"] or None,
            "npl_suspension_threshold": fraction(data["npl_suspension_threshold_percent"]),
            "free_balance_alert_share": fraction(data["free_balance_alert_share_percent"]),
            "require_sme": data["require_sme"],
            "eligible_size_classes": data["eligible_size_classes"],
            "require_district_operation": data["require_district_operation"],
            "excluded_industry_prefixes": prefixes,
            "exclude_serious_bad_credit": data["exclude_serious_bad_credit"],
            "max_loan_amount": data["max_loan_amount"] or None,
            "max_term_months": data["max_term_months"] or None,
            "allowed_purposes": data["allowed_purposes"],
        }


class MoneyForm(BootstrapForm):
    """Money paid into or out of the pool: capital (or a top-up), interest earned, or capital returned."""

    CAPITAL, INTEREST, WITHDRAWAL = "capital", "interest", "withdrawal"
    KINDS = (
        (CAPITAL, _("Capital or top-up paid in")),
        (INTEREST, _("Interest earned")),
        (WITHDRAWAL, _("Capital returned to the funder")),
    )

    kind = forms.ChoiceField(label=_("Movement"), choices=KINDS)
    amount = forms.CharField(label=_("Amount (CNY)"), required=False, help_text=AMOUNT_HELP, widget=MONEY_WIDGET)
    value_date = forms.CharField(label=_("Value date"), required=False, help_text=_("Empty: today."), **DATE_WIDGET)
    memo = forms.CharField(label=_("Memo"), max_length=255, required=False)


def admissible_organizations(pool: Pool) -> list[Organization]:
    """Active bank head offices, guarantee agencies and insurers that are not yet members of the pool."""
    taken = pool.members.values_list("organization_id", flat=True)
    candidates = (
        Organization.objects.filter(is_active=True, org_type__in=list(ROLE_OF_TYPE))
        .exclude(pk__in=taken)
        .exclude(org_type=OrgType.BANK, parent__isnull=False)
        .order_by("org_type", "name")
    )
    return [o for o in candidates if o.org_type != OrgType.BANK or o.bank_tier in ("", BankTier.HEAD_OFFICE)]


class MemberForm(BootstrapForm):
    """Admit an institution: its role follows from its type."""

    organization = forms.TypedChoiceField(label=_("Institution"), coerce=int, empty_value=None)
    agreement_signed_on = forms.CharField(label=_("Agreement signed on"), required=False, **DATE_WIDGET)
    agreement_ends_on = forms.CharField(
        label=_("Agreement ends on"), required=False, help_text=_("Empty: open-ended."), **DATE_WIDGET
    )

    def __init__(self, *args: Any, organizations: list[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organizations = {o.pk: o for o in organizations}
        groups: dict[str, list[tuple[int, str]]] = {}
        for o in organizations:
            groups.setdefault(str(OrgType(o.org_type).label), []).append((o.pk, o.display_name))
        self.fields["organization"].choices = [("", _("Choose an institution"))] + list(groups.items())

    def selected(self) -> tuple[Organization, str]:
        organization = self.organizations[self.cleaned_data["organization"]]
        return organization, ROLE_OF_TYPE[organization.org_type]


class MemberDatesForm(BootstrapForm):
    agreement_signed_on = forms.CharField(label=_("Agreement signed on"), required=False, **DATE_WIDGET)
    agreement_ends_on = forms.CharField(
        label=_("Agreement ends on"), required=False, help_text=_("Empty: open-ended."), **DATE_WIDGET
    )


class SuspensionForm(BootstrapForm):
    note = forms.CharField(label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
