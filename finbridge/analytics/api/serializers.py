"""Serializers of the league-table API: a row's figures (amounts as decimal strings, ratios as fractions)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from finbridge.analytics.selectors import METRICS, LeagueRow

AMOUNT: dict[str, Any] = {"max_digits": 18, "decimal_places": 2, "coerce_to_string": True, "allow_null": True}
FIELD_BY_KIND = {
    "money": lambda: serializers.DecimalField(**AMOUNT),
    "count": lambda: serializers.IntegerField(allow_null=True),
    "ratio": lambda: serializers.DecimalField(max_digits=12, decimal_places=4, coerce_to_string=True, allow_null=True),
    "rate": lambda: serializers.DecimalField(max_digits=10, decimal_places=6, coerce_to_string=True, allow_null=True),
    "days": lambda: serializers.DecimalField(max_digits=8, decimal_places=1, coerce_to_string=True, allow_null=True),
}
# Components of the ratios, published too so that a client can add banks up itself.
EXTRA_MONEY = ("inclusive_balance_start", "balance_end", "npl_balance_end", "loans_amount", "credit_amount")
EXTRA_COUNTS = (
    "loans_count",
    "renewal_without_repayment_count",
    "responses",
    "responses_on_time",
    "taken_up",
    "take_up_denominator",
    "approved",
    "decided",
)


class _FiguresSerializer(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for metric in METRICS:
            fields[metric.key] = FIELD_BY_KIND[metric.kind]()
        for name in EXTRA_MONEY:
            fields[name] = FIELD_BY_KIND["money"]()
        for name in EXTRA_COUNTS:
            fields[name] = FIELD_BY_KIND["count"]()
        return fields

    def to_representation(self, row: LeagueRow) -> dict[str, Any]:
        data = {}
        for name, field in self.fields.items():
            value = field.get_attribute(row)
            data[name] = None if value is None else field.to_representation(value)
        return data


class LeagueRowSerializer(_FiguresSerializer):
    """One bank or bank office: who it is, its rank by the chosen figure, and every figure."""

    rank = serializers.IntegerField(help_text="1 is best; 0 when the row has no value of the ranking figure.")
    id = serializers.IntegerField(source="unit.pk")
    name = serializers.CharField(source="unit.name")
    name_en = serializers.CharField(source="unit.name_en")
    bank_id = serializers.IntegerField(source="bank.pk")
    bank_name = serializers.CharField(source="bank.name")
    tier = serializers.CharField(help_text="head_office, branch or scitech_branch")
    is_scitech = serializers.BooleanField()


class LeagueTotalsSerializer(_FiguresSerializer):
    """Every row added up; msme_borrowers and median_days_to_money are null (not additive)."""


class LeagueTableSerializer(serializers.Serializer):
    start = serializers.DateField(source="period.start")
    end = serializers.DateField(source="period.end")
    opening = serializers.DateField(source="period.opening", help_text="Growth is measured from this day's balances.")
    as_of = serializers.DateField(source="period.as_of", help_text="Answer deadlines are judged on this day.")
    level = serializers.CharField()
    sort = serializers.CharField()
    rows = LeagueRowSerializer(many=True)
    totals = LeagueTotalsSerializer()
