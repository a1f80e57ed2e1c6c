"""Serializers of the pool API: pools and their summary, members and suspensions, alerts, rule versions and
presets, capital movements. They shape output and describe input; every rule lives in the services, which get
the parsed values and raise translated errors."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from finbridge.enterprises.choices import SizeClass
from finbridge.financing.choices import DemandPurpose
from finbridge.riskpool.choices import CapacityBasis, MemberRole
from finbridge.riskpool.models import JournalEntry, MemberSuspension, Pool, PoolAlert, PoolMember, RuleVersion

AMOUNT: dict[str, Any] = {"max_digits": 18, "decimal_places": 2, "coerce_to_string": True}
RATE: dict[str, Any] = {"max_digits": 8, "decimal_places": 6, "coerce_to_string": True}
MULTIPLE: dict[str, Any] = {"max_digits": 8, "decimal_places": 2, "coerce_to_string": True}

POOL_SETTINGS = (
    "name",
    "name_en",
    "description",
    "capacity_basis",
    "max_covered_amount",
    "leverage_multiple",
    "period_start",
    "period_end",
    "require_disbursed_in_period",
    "npl_suspension_threshold",
    "free_balance_alert_share",
    "require_sme",
    "eligible_size_classes",
    "require_district_operation",
    "excluded_industry_prefixes",
    "exclude_serious_bad_credit",
    "max_loan_amount",
    "max_term_months",
    "allowed_purposes",
)


class RiskPoolSerializer(serializers.ModelSerializer):
    """A pool: its settings, status, capacity and the balances kept by the ledger."""

    authority_name = serializers.CharField(source="authority.display_name", read_only=True)
    display_name = serializers.CharField(read_only=True)
    max_covered_amount = serializers.DecimalField(**AMOUNT, read_only=True, allow_null=True)
    leverage_multiple = serializers.DecimalField(**MULTIPLE, read_only=True, allow_null=True)
    npl_suspension_threshold = serializers.DecimalField(**RATE, read_only=True)
    free_balance_alert_share = serializers.DecimalField(**RATE, read_only=True)
    max_loan_amount = serializers.DecimalField(**AMOUNT, read_only=True, allow_null=True)
    eligible_size_classes = serializers.ListField(child=serializers.CharField(), read_only=True)
    excluded_industry_prefixes = serializers.ListField(child=serializers.CharField(), read_only=True)
    allowed_purposes = serializers.ListField(child=serializers.CharField(), read_only=True)
    max_covered_balance = serializers.DecimalField(**AMOUNT, read_only=True)
    free_capacity = serializers.DecimalField(**AMOUNT, read_only=True)
    covered_balance = serializers.DecimalField(**AMOUNT, read_only=True)
    cash_balance = serializers.DecimalField(**AMOUNT, read_only=True)
    capital_total = serializers.DecimalField(**AMOUNT, read_only=True)

    class Meta:
        model = Pool
        fields = [
            "id",
            *POOL_SETTINGS,
            "display_name",
            "authority",
            "authority_name",
            "status",
            "max_covered_balance",
            "free_capacity",
            "covered_balance",
            "cash_balance",
            "capital_total",
            "created_at",
            "activated_at",
            "closed_at",
        ]
        read_only_fields = fields


class RiskPoolSummarySerializer(serializers.Serializer):
    """The pool's money and capacity at a glance (CNY)."""

    capital = serializers.DecimalField(**AMOUNT)
    cash = serializers.DecimalField(**AMOUNT)
    owed = serializers.DecimalField(**AMOUNT)
    free_balance = serializers.DecimalField(**AMOUNT)
    payouts = serializers.DecimalField(**AMOUNT)
    recoveries = serializers.DecimalField(**AMOUNT)
    interest = serializers.DecimalField(**AMOUNT)
    covered_balance = serializers.DecimalField(**AMOUNT)
    max_covered_balance = serializers.DecimalField(**AMOUNT)
    free_capacity = serializers.DecimalField(**AMOUNT)
    open_owed_count = serializers.IntegerField()
    utilisation = serializers.DecimalField(max_digits=12, decimal_places=6, coerce_to_string=True)


class PoolAlertSerializer(serializers.ModelSerializer):
    value = serializers.DecimalField(**AMOUNT, read_only=True)
    threshold = serializers.DecimalField(**AMOUNT, read_only=True)

    class Meta:
        model = PoolAlert
        fields = ["id", "kind", "value", "threshold", "raised_at", "cleared_at"]
        read_only_fields = fields


class RiskPoolDetailSerializer(RiskPoolSerializer):
    """A pool with its summary (government only; null for institutions) and its open alerts."""

    summary = serializers.SerializerMethodField()
    alerts = serializers.SerializerMethodField()

    class Meta(RiskPoolSerializer.Meta):
        fields = [*RiskPoolSerializer.Meta.fields, "summary", "alerts"]
        read_only_fields = fields

    @extend_schema_field(RiskPoolSummarySerializer(allow_null=True))
    def get_summary(self, pool: Pool) -> Any:
        summary = self.context.get("summary")
        return None if summary is None else RiskPoolSummarySerializer(summary).data

    @extend_schema_field(PoolAlertSerializer(many=True))
    def get_alerts(self, pool: Pool) -> Any:
        return PoolAlertSerializer(self.context.get("alerts", []), many=True).data


class RiskPoolInputSerializer(serializers.Serializer):
    """A pool's settings (create: name and policy period required; PATCH: any of them). Amounts in CNY as
    decimal strings; thresholds as fractions (0.05 is 5%)."""

    name = serializers.CharField(max_length=200)
    name_en = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    capacity_basis = serializers.ChoiceField(choices=CapacityBasis.choices, required=False)
    max_covered_amount = serializers.DecimalField(**AMOUNT, required=False, allow_null=True)
    leverage_multiple = serializers.DecimalField(**MULTIPLE, required=False, allow_null=True)
    period_start = serializers.DateField()
    period_end = serializers.DateField(help_text=_("The last day of the policy period."))
    require_disbursed_in_period = serializers.BooleanField(required=False)
    npl_suspension_threshold = serializers.DecimalField(**RATE, required=False)
    free_balance_alert_share = serializers.DecimalField(**RATE, required=False)
    require_sme = serializers.BooleanField(required=False)
    eligible_size_classes = serializers.ListField(
        child=serializers.ChoiceField(choices=SizeClass.choices), required=False, max_length=10
    )
    require_district_operation = serializers.BooleanField(required=False)
    excluded_industry_prefixes = serializers.ListField(
        child=serializers.CharField(max_length=5), required=False, max_length=50
    )
    exclude_serious_bad_credit = serializers.BooleanField(required=False)
    max_loan_amount = serializers.DecimalField(**AMOUNT, required=False, allow_null=True)
    max_term_months = serializers.IntegerField(min_value=1, max_value=360, required=False, allow_null=True)
    allowed_purposes = serializers.ListField(
        child=serializers.ChoiceField(choices=DemandPurpose.choices), required=False, max_length=20
    )


class PoolMoneyInputSerializer(serializers.Serializer):
    """Money paid into or out of the pool: an amount in CNY, the value date (default today) and a memo."""

    amount = serializers.DecimalField(**AMOUNT)
    value_date = serializers.DateField(required=False, allow_null=True)
    memo = serializers.CharField(max_length=255, required=False, allow_blank=True)


class JournalEntrySerializer(serializers.ModelSerializer):
    """A ledger entry with its lines."""

    lines = serializers.SerializerMethodField()
    counterparty_name = serializers.CharField(source="counterparty.display_name", read_only=True, default="")

    class Meta:
        model = JournalEntry
        fields = [
            "id",
            "pool",
            "number",
            "kind",
            "value_date",
            "posted_at",
            "memo",
            "counterparty",
            "counterparty_name",
            "claim",
            "reverses",
            "lines",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ListField(child=serializers.DictField(child=serializers.CharField(allow_null=True)))
    )
    def get_lines(self, entry: JournalEntry) -> list[dict[str, Any]]:
        return [
            {
                "account": line.account,
                "counterparty": str(line.counterparty_id) if line.counterparty_id else None,
                "debit": str(line.debit),
                "credit": str(line.credit),
            }
            for line in entry.lines.all()
        ]


class PoolMemberSerializer(serializers.ModelSerializer):
    """A bank, guarantee agency or insurer admitted to a pool."""

    organization_name = serializers.CharField(source="organization.display_name", read_only=True)

    class Meta:
        model = PoolMember
        fields = [
            "id",
            "pool",
            "organization",
            "organization_name",
            "role",
            "status",
            "agreement_signed_on",
            "agreement_ends_on",
            "is_suspended",
            "suspended_since",
            "suspension_cause",
            "admitted_at",
            "ended_at",
        ]
        read_only_fields = fields


class PoolMemberInputSerializer(serializers.Serializer):
    """Admit an institution: its id, its role and the agreement's dates."""

    organization = serializers.IntegerField(
        min_value=1, help_text=_("The institution (id): a bank head office, guarantee agency or insurer.")
    )
    role = serializers.ChoiceField(choices=MemberRole.choices)
    agreement_signed_on = serializers.DateField()
    agreement_ends_on = serializers.DateField(required=False, allow_null=True)


class PoolMemberUpdateSerializer(serializers.Serializer):
    """Change the agreement's dates."""

    agreement_signed_on = serializers.DateField(required=False)
    agreement_ends_on = serializers.DateField(required=False, allow_null=True)


class MemberSuspensionInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class MemberSuspensionSerializer(serializers.ModelSerializer):
    """One suspension or resumption of a member."""

    npl_ratio = serializers.DecimalField(**RATE, read_only=True, allow_null=True)
    threshold = serializers.DecimalField(**RATE, read_only=True, allow_null=True)
    organization = serializers.IntegerField(source="member.organization_id", read_only=True)
    organization_name = serializers.CharField(source="member.organization.display_name", read_only=True)

    class Meta:
        model = MemberSuspension
        fields = [
            "id",
            "member",
            "organization",
            "organization_name",
            "action",
            "cause",
            "npl_ratio",
            "threshold",
            "note",
            "created_at",
        ]
        read_only_fields = fields


class RuleVersionSerializer(serializers.ModelSerializer):
    """A rule version: its number, effective date and the rule set (shares as fractions, caps in CNY)."""

    rules = serializers.JSONField(read_only=True)

    class Meta:
        model = RuleVersion
        fields = ["id", "pool", "number", "effective_from", "label", "preset", "notes", "rules", "created_at"]
        read_only_fields = fields


class RuleVersionCreateInputSerializer(serializers.Serializer):
    """A new rule version: from a preset (`preset`) or by hand (`rules`, as GET returns them)."""

    effective_from = serializers.DateField()
    label = serializers.CharField(max_length=200, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    preset = serializers.CharField(max_length=32, required=False, allow_blank=True)
    rules = serializers.JSONField(
        required=False,
        help_text=_(
            'The rule set: {"categories": [{"category", "shares": {party: fraction}, "uplifts": {feature: points}, '
            '"uplift_max_points", "principal_cap_share", "per_loan_cap", "covers_interest"}], "per_bank_year_cap", '
            '"pool_cap", "cap_rate", "cap_guarantee_rate", "min_bank_share"}.'
        ),
    )


class SharingPresetSerializer(serializers.Serializer):
    """A preset sharing model a rule version can start from."""

    code = serializers.CharField()
    name = serializers.CharField()
    summary = serializers.CharField()
    source = serializers.CharField()
    rules = serializers.SerializerMethodField()

    @extend_schema_field(serializers.JSONField())
    def get_rules(self, preset: Any) -> dict[str, Any]:
        return preset.rules.to_dict()
