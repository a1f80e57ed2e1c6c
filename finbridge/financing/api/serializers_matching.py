"""Serializers of the matching API: a demand's matches and the institution inbox (output only). Decimals are
strings; reasons and failures come in the caller's language as {code, message}."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from finbridge.enterprises.choices import SizeClass, TechLabel
from finbridge.financing.choices import DemandPurpose, ProductKind
from finbridge.financing.matching_rules import render_outcomes, years_in_operation
from finbridge.financing.models import DemandMatch

AMOUNT_KWARGS: dict[str, Any] = {"max_digits": 18, "decimal_places": 2, "coerce_to_string": True, "read_only": True}
RATE_KWARGS: dict[str, Any] = {"max_digits": 8, "decimal_places": 6, "coerce_to_string": True, "read_only": True}
SCORE_KWARGS: dict[str, Any] = {"max_digits": 5, "decimal_places": 2, "coerce_to_string": True, "read_only": True}
DATETIME = serializers.DateTimeField()


class OutcomeSerializer(serializers.Serializer):
    """One criterion: a stable code and a sentence in the caller's language."""

    code = serializers.CharField()
    message = serializers.CharField()


class MatchProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    kind = serializers.ChoiceField(choices=ProductKind.choices)


class OrganizationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    name_en = serializers.CharField()


class DemandMatchSerializer(serializers.ModelSerializer):
    """One product's match with the demand. `fits`: no criterion fails; otherwise a near miss with one or two
    `failures`. `score` (0–100) ranks the fits, and separately the near misses. `fast_track`: the firm holds a
    technology label."""

    product = MatchProductSerializer(read_only=True)
    provider = OrganizationRefSerializer(read_only=True)
    score = serializers.DecimalField(**SCORE_KWARGS)
    reasons = serializers.SerializerMethodField()
    failures = serializers.SerializerMethodField()

    class Meta:
        model = DemandMatch
        fields = ["product", "provider", "score", "fits", "fast_track", "reasons", "failures", "computed_at"]
        read_only_fields = fields

    def _show_figures(self) -> bool:
        return bool(self.context.get("show_figures", False))

    def to_representation(self, match: Any) -> dict[str, Any]:
        """The fields declared above, built directly from a row of selectors.demand_match_values (a dict) or
        from a DemandMatch: a page of matches renders about 150 sentences, and DRF's field-by-field machinery
        would double the time of the request."""
        row = match if isinstance(match, dict) else _match_values(match)
        show_figures = self._show_figures()
        return {
            "product": {
                "id": row["product_id"],
                "name": row["product__name"],
                "name_en": row["product__name_en"],
                "kind": row["product__kind"],
            },
            "provider": {"id": row["provider_id"], "name": row["provider__name"], "name_en": row["provider__name_en"]},
            "score": f"{row['score']:.2f}",
            "fits": row["fits"],
            "fast_track": row["fast_track"],
            "reasons": render_outcomes(row["reasons"], show_figures=show_figures),
            "failures": render_outcomes(row["failures"], show_figures=show_figures),
            "computed_at": DATETIME.to_representation(row["computed_at"]),
        }

    @extend_schema_field(OutcomeSerializer(many=True))
    def get_reasons(self, match: DemandMatch) -> list[dict[str, str]]:
        return render_outcomes(match.reasons, show_figures=self._show_figures())

    @extend_schema_field(OutcomeSerializer(many=True))
    def get_failures(self, match: DemandMatch) -> list[dict[str, str]]:
        return render_outcomes(match.failures, show_figures=self._show_figures())


def _match_values(match: DemandMatch) -> dict[str, Any]:
    return {
        "fits": match.fits,
        "score": match.score,
        "failed_count": match.failed_count,
        "reasons": match.reasons,
        "failures": match.failures,
        "fast_track": match.fast_track,
        "computed_at": match.computed_at,
        "product_id": match.product_id,
        "product__name": match.product.name,
        "product__name_en": match.product.name_en,
        "product__kind": match.product.kind,
        "provider_id": match.provider_id,
        "provider__name": match.provider.name,
        "provider__name_en": match.provider.name_en,
    }


class InboxEnterpriseSerializer(serializers.Serializer):
    """The summary of the firm an institution may see with the demand (no figures)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    size_class = serializers.ChoiceField(choices=SizeClass.choices, allow_blank=True)
    industry_code = serializers.CharField()
    subdistrict = serializers.SerializerMethodField()
    labels = serializers.SerializerMethodField()
    years_in_operation = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_subdistrict(self, enterprise: Any) -> str | None:
        return enterprise.subdistrict.code if enterprise.subdistrict_id else None

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=TechLabel.choices)))
    def get_labels(self, enterprise: Any) -> list[str]:
        return enterprise.tech_labels

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_years_in_operation(self, enterprise: Any) -> int | None:
        return years_in_operation(enterprise.established_on, timezone.localdate())


class InboxDemandSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.DecimalField(**AMOUNT_KWARGS)
    term_months = serializers.IntegerField()
    purpose = serializers.ChoiceField(choices=DemandPurpose.choices)
    max_annual_rate = serializers.DecimalField(**RATE_KWARGS, allow_null=True)
    needed_by = serializers.DateField(allow_null=True)
    status = serializers.CharField()
    published_at = serializers.DateTimeField()
    respond_by = serializers.DateField(allow_null=True, help_text="Last working day to take the demand up or pass.")
    enterprise = InboxEnterpriseSerializer()


class InboxItemSerializer(serializers.ModelSerializer):
    """One demand in the inbox with the institution's best-fitting product. `overdue`: the answer was due
    before today."""

    demand = InboxDemandSerializer(read_only=True)
    product = MatchProductSerializer(read_only=True)
    score = serializers.DecimalField(**SCORE_KWARGS)
    overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = DemandMatch
        fields = ["demand", "product", "score", "fast_track", "overdue"]
        read_only_fields = fields

    def to_representation(self, match: DemandMatch) -> dict[str, Any]:
        """The fields declared above, built directly (DRF's nested serializers would cost more than the query)."""
        demand, product = match.demand, match.product
        enterprise = demand.enterprise
        return {
            "demand": {
                "id": demand.pk,
                "amount": f"{demand.amount:.2f}",
                "term_months": demand.term_months,
                "purpose": demand.purpose,
                "max_annual_rate": f"{demand.max_annual_rate:.6f}" if demand.max_annual_rate is not None else None,
                "needed_by": demand.needed_by.isoformat() if demand.needed_by else None,
                "status": demand.status,
                "published_at": DATETIME.to_representation(demand.published_at) if demand.published_at else None,
                "respond_by": demand.respond_by.isoformat() if demand.respond_by else None,
                "enterprise": {
                    "id": enterprise.pk,
                    "name": enterprise.name,
                    "name_en": enterprise.name_en,
                    "size_class": enterprise.size_class,
                    "industry_code": enterprise.industry_code,
                    "subdistrict": enterprise.subdistrict.code if enterprise.subdistrict_id else None,
                    "labels": enterprise.tech_labels,
                    "years_in_operation": years_in_operation(enterprise.established_on, timezone.localdate()),
                },
            },
            "product": {"id": product.pk, "name": product.name, "name_en": product.name_en, "kind": product.kind},
            "score": f"{match.score:.2f}",
            "fast_track": match.fast_track,
            "overdue": bool(getattr(match, "overdue", False)),
        }
