"""Serializers of the products and LPR API. They shape output and describe input for the schema: every write
goes through the services, which validate the raw request data themselves. Decimals are strings."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from finbridge.enterprises.choices import SizeClass, TechLabel
from finbridge.financing.choices import Collateral, LprTerm, ProductKind, RateType
from finbridge.financing.models import LprRate, Product
from finbridge.financing.rates import product_effective_rate, rate_description
from finbridge.financing.selectors.products import can_manage_product

AMOUNT_KWARGS: dict[str, Any] = {"max_digits": 18, "decimal_places": 2, "coerce_to_string": True}
RATE_KWARGS: dict[str, Any] = {"max_digits": 8, "decimal_places": 6, "coerce_to_string": True}


class ProductSerializer(serializers.ModelSerializer):
    """A product as the catalogue shows it. `effective_rate` is today's annual rate (fixed, or the one-year
    LPR in force plus the spread; null for guarantee products); `rate_description` says it in words in the
    caller's language. `can_manage`: whether the caller may edit, publish or withdraw it."""

    provider_name = serializers.SerializerMethodField()
    amount_min = serializers.DecimalField(**AMOUNT_KWARGS, read_only=True)
    amount_max = serializers.DecimalField(**AMOUNT_KWARGS, read_only=True)
    min_annual_revenue = serializers.DecimalField(**AMOUNT_KWARGS, read_only=True, allow_null=True)
    fixed_rate = serializers.DecimalField(**RATE_KWARGS, read_only=True, allow_null=True)
    lpr_spread = serializers.DecimalField(**RATE_KWARGS, read_only=True, allow_null=True)
    fee_rate = serializers.DecimalField(**RATE_KWARGS, read_only=True)
    effective_rate = serializers.SerializerMethodField()
    rate_description = serializers.SerializerMethodField()
    collateral_required = serializers.ListField(
        child=serializers.ChoiceField(choices=Collateral.choices), read_only=True
    )
    eligible_size_classes = serializers.ListField(
        child=serializers.ChoiceField(choices=SizeClass.choices), read_only=True
    )
    eligible_industries = serializers.ListField(child=serializers.CharField(), read_only=True)
    required_labels = serializers.ListField(child=serializers.ChoiceField(choices=TechLabel.choices), read_only=True)
    eligible_clusters = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    eligible_subdistricts = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    can_manage = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "id",
            "provider",
            "provider_name",
            "name",
            "name_en",
            "kind",
            "status",
            "suits_first_time_borrowers",
            "allows_renewal_without_repayment",
            "amount_min",
            "amount_max",
            "term_min_months",
            "term_max_months",
            "rate_type",
            "fixed_rate",
            "lpr_spread",
            "effective_rate",
            "rate_description",
            "fee_rate",
            "fees_note",
            "collateral_required",
            "guarantee_required",
            "eligible_size_classes",
            "eligible_industries",
            "eligible_clusters",
            "required_labels",
            "eligible_subdistricts",
            "min_years_in_operation",
            "min_annual_revenue",
            "msme_exclusive",
            "valid_from",
            "valid_until",
            "description",
            "description_en",
            "published_at",
            "withdrawn_at",
            "created_at",
            "updated_at",
            "can_manage",
        ]
        read_only_fields = fields

    def get_provider_name(self, product: Product) -> str:
        return product.provider.display_name

    @extend_schema_field(serializers.DecimalField(**RATE_KWARGS, allow_null=True))
    def get_effective_rate(self, product: Product) -> str | None:
        rates = self.context.get("effective_rates")
        rate = rates[product.pk] if rates is not None and product.pk in rates else product_effective_rate(product)
        return None if rate is None else f"{rate:.6f}"

    def get_rate_description(self, product: Product) -> str:
        if "lpr" in self.context:
            return rate_description(product, lpr=self.context["lpr"])
        return rate_description(product)

    def get_can_manage(self, product: Product) -> bool:
        request = self.context.get("request")
        return can_manage_product(getattr(request, "user", None), product)


class ProductInputSerializer(serializers.Serializer):
    """Input of create and PATCH (for the schema: the service validates). Rates are fractions (0.0385 is
    3.85%); amounts CNY yuan; industries GB/T 4754-2017 codes; clusters and subdistricts their codes."""

    provider = serializers.IntegerField(
        required=False, help_text="Organisation id; optional when you manage products for one organisation only."
    )
    name = serializers.CharField(max_length=200)
    name_en = serializers.CharField(max_length=200, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=ProductKind.choices)
    suits_first_time_borrowers = serializers.BooleanField(required=False)
    allows_renewal_without_repayment = serializers.BooleanField(required=False)
    amount_min = serializers.DecimalField(**AMOUNT_KWARGS, min_value=0)
    amount_max = serializers.DecimalField(**AMOUNT_KWARGS, min_value=0)
    term_min_months = serializers.IntegerField(min_value=1, max_value=360)
    term_max_months = serializers.IntegerField(min_value=1, max_value=360)
    rate_type = serializers.ChoiceField(choices=RateType.choices, required=False)
    fixed_rate = serializers.DecimalField(**RATE_KWARGS, required=False, allow_null=True)
    lpr_spread = serializers.DecimalField(**RATE_KWARGS, required=False, allow_null=True)
    fee_rate = serializers.DecimalField(**RATE_KWARGS, required=False, allow_null=True)
    fees_note = serializers.CharField(max_length=255, required=False, allow_blank=True)
    collateral_required = serializers.ListField(
        child=serializers.ChoiceField(choices=Collateral.choices), required=False
    )
    guarantee_required = serializers.BooleanField(required=False)
    eligible_size_classes = serializers.ListField(
        child=serializers.ChoiceField(choices=SizeClass.choices), required=False
    )
    eligible_industries = serializers.ListField(child=serializers.CharField(max_length=5), required=False)
    eligible_clusters = serializers.ListField(child=serializers.CharField(), required=False)
    required_labels = serializers.ListField(child=serializers.ChoiceField(choices=TechLabel.choices), required=False)
    eligible_subdistricts = serializers.ListField(child=serializers.CharField(), required=False)
    min_years_in_operation = serializers.IntegerField(min_value=0, max_value=100, required=False)
    min_annual_revenue = serializers.DecimalField(**AMOUNT_KWARGS, min_value=0, required=False, allow_null=True)
    msme_exclusive = serializers.BooleanField(required=False)
    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_until = serializers.DateField(required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True)
    description_en = serializers.CharField(required=False, allow_blank=True)


class ProductPatchSerializer(ProductInputSerializer):
    """Input of PATCH: every field optional; the provider cannot change."""

    provider = None  # type: ignore[assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class LprRateSerializer(serializers.ModelSerializer):
    rate = serializers.DecimalField(**RATE_KWARGS, read_only=True)

    class Meta:
        model = LprRate
        fields = ["id", "term", "effective_on", "rate", "created_at"]
        read_only_fields = fields


class LprRateInputSerializer(serializers.Serializer):
    term = serializers.ChoiceField(choices=LprTerm.choices)
    effective_on = serializers.DateField()
    rate = serializers.DecimalField(**RATE_KWARGS, help_text="A fraction: 0.030000 is 3%.")
