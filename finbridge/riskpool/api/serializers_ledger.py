"""Serializers of the ledger, risk and stress-test API: statements, entries, the per-bank risk table and
stress-test runs."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from finbridge.riskpool.api.serializers_pools import AMOUNT, RATE
from finbridge.riskpool.choices import LoanCategory
from finbridge.riskpool.models import StressRun

MONEY_MAP = serializers.DictField(child=serializers.DecimalField(**AMOUNT))


class PoolStatementRowSerializer(serializers.Serializer):
    entry = serializers.IntegerField(source="entry_id")
    number = serializers.IntegerField()
    value_date = serializers.DateField()
    kind = serializers.CharField()
    memo = serializers.CharField()
    counterparty = serializers.CharField()
    claim_reference = serializers.CharField()
    amounts = serializers.DictField(
        child=serializers.DecimalField(**AMOUNT),
        help_text=_("What the entry moved on each account, signed as the account's normal side grows."),
    )
    cash_after = serializers.DecimalField(**AMOUNT, allow_null=True)


class PoolStatementSerializer(serializers.Serializer):
    """A statement of a pool (or one bank in it) over a period: opening and closing balances per account, the
    movements, cash movements per kind of entry, and the entries."""

    pool = serializers.IntegerField(source="pool.pk")
    bank = serializers.IntegerField(source="bank.pk", allow_null=True, default=None)
    date_from = serializers.DateField(allow_null=True)
    date_to = serializers.DateField(allow_null=True)
    opening = MONEY_MAP
    closing = serializers.DictField(child=serializers.DecimalField(**AMOUNT))
    movements = serializers.DictField(child=serializers.DecimalField(**AMOUNT))
    by_kind = serializers.DictField(child=serializers.DecimalField(**AMOUNT))
    rows = PoolStatementRowSerializer(many=True)
    truncated = serializers.BooleanField()


class PoolStatementQuerySerializer(serializers.Serializer):
    bank = serializers.IntegerField(min_value=1, required=False, help_text=_("One bank's statement (id)."))
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


class BankRiskRowSerializer(serializers.Serializer):
    """One bank's line of the risk table."""

    bank = serializers.IntegerField(source="bank.pk")
    bank_name = serializers.CharField(source="bank.display_name")
    is_member = serializers.BooleanField()
    is_suspended = serializers.BooleanField()
    loans = serializers.IntegerField()
    covered_balance = serializers.DecimalField(**AMOUNT)
    outstanding = serializers.DecimalField(**AMOUNT)
    npl_loans = serializers.IntegerField()
    npl_outstanding = serializers.DecimalField(**AMOUNT)
    npl_ratio = serializers.DecimalField(**RATE)
    above_threshold = serializers.BooleanField()
    enrolled_total = serializers.DecimalField(**AMOUNT)
    claims = serializers.IntegerField()
    open_claims = serializers.IntegerField()
    loss_claimed = serializers.DecimalField(**AMOUNT)
    compensation = serializers.DecimalField(**AMOUNT)
    compensation_paid = serializers.DecimalField(**AMOUNT)
    compensation_owed = serializers.DecimalField(**AMOUNT)
    recovered = serializers.DecimalField(**AMOUNT)
    compensation_ratio = serializers.DecimalField(**RATE)
    loss_share_compensated = serializers.DecimalField(**RATE)


class StressRunSerializer(serializers.ModelSerializer):
    """A stored stress test: its parameters and results (see the API guide for their fields)."""

    parameters = serializers.JSONField(read_only=True)
    results = serializers.JSONField(read_only=True)
    error = serializers.SerializerMethodField()

    class Meta:
        model = StressRun
        fields = [
            "id",
            "pool",
            "status",
            "scenarios",
            "seed",
            "parameters",
            "results",
            "error",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_error(self, run: StressRun) -> str:
        """Why the run failed, in the reader's language where the platform wrote it ("" otherwise)."""
        return gettext(run.error) if run.error else ""


class StressCategoryRiskInputSerializer(serializers.Serializer):
    probability_of_default = serializers.DecimalField(max_digits=8, decimal_places=6, required=False, allow_null=True)
    loss_rate = serializers.DecimalField(max_digits=8, decimal_places=6, required=False, allow_null=True)


class StressTestInputSerializer(serializers.Serializer):
    """A stress test: per loan category the probability of default over the policy year and the loss rate (or
    `use_history` to take missing values from the pool's own record), scenarios, seed, correlation, the scales
    of the pool share to compare, and months of interest lost on a default."""

    risks = serializers.DictField(child=StressCategoryRiskInputSerializer(), required=False)
    use_history = serializers.BooleanField(required=False, default=False)
    scenarios = serializers.IntegerField(min_value=1, max_value=100_000, required=False, default=10_000)
    seed = serializers.IntegerField(min_value=0, max_value=2**63 - 1, required=False, allow_null=True)
    correlation = serializers.DecimalField(max_digits=8, decimal_places=6, required=False)
    share_scales = serializers.ListField(
        child=serializers.DecimalField(max_digits=8, decimal_places=6), required=False, max_length=8
    )
    interest_months = serializers.IntegerField(min_value=0, max_value=12, required=False, default=3)

    def validate_risks(self, value: dict[str, Any]) -> dict[str, Any]:
        unknown = [key for key in value if key not in LoanCategory.values]
        if unknown:
            raise serializers.ValidationError(
                _("Unknown loan category: %(category)s.") % {"category": ", ".join(unknown)}
            )
        return value
