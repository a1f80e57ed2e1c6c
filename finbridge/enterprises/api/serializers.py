"""Serializers of the registry API. They only shape output and describe input for the schema: every
write goes through the services, which validate the raw request data themselves."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from finbridge.enterprises.choices import ConsentScope, VerificationState
from finbridge.enterprises.models import Consent, Enterprise, EnterpriseContact, EnterpriseFinancials
from finbridge.enterprises.selectors import can_see_financials, consent_state
from finbridge.reference.industries import industry_get
from finbridge.reference.models import IndustrialCluster, Subdistrict

FINANCIAL_FIELDS = ("registered_capital", "annual_revenue", "total_assets")
AMOUNT_KWARGS: dict[str, Any] = {"max_digits": 18, "decimal_places": 2, "coerce_to_string": True}


class EnterpriseSerializer(serializers.ModelSerializer):
    """An enterprise as the caller may see it: figures are null, and financials_visible false, unless the
    caller may see them (government remit, the enterprise itself, or a consent with scope financials)."""

    subdistrict = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    clusters = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    industry_name = serializers.SerializerMethodField()
    managing_authority = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    verification_state = serializers.SerializerMethodField()
    financials_visible = serializers.SerializerMethodField()
    registered_capital = serializers.DecimalField(**AMOUNT_KWARGS, read_only=True, allow_null=True)
    annual_revenue = serializers.DecimalField(**AMOUNT_KWARGS, read_only=True, allow_null=True)
    total_assets = serializers.DecimalField(**AMOUNT_KWARGS, read_only=True, allow_null=True)

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "uscc",
            "name",
            "name_en",
            "legal_representative",
            "established_on",
            "registered_capital",
            "address",
            "subdistrict",
            "industry_code",
            "industry_name",
            "clusters",
            "employees",
            "annual_revenue",
            "total_assets",
            "size_class",
            "is_high_tech",
            "is_tech_sme",
            "is_srdi",
            "is_little_giant",
            "patents_held",
            "has_serious_bad_credit",
            "managing_authority",
            "last_verified_at",
            "verification_due_on",
            "verification_state",
            "financials_visible",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def _financials_visible(self, enterprise: Enterprise) -> bool:
        visible_ids = self.context.get("financials_visible_ids")
        if visible_ids is not None:
            return enterprise.pk in visible_ids
        request = self.context.get("request")
        return can_see_financials(actor=getattr(request, "user", None), enterprise=enterprise)

    def get_industry_name(self, enterprise: Enterprise) -> str:
        industry = industry_get(enterprise.industry_code)
        return industry.name if industry else ""

    @extend_schema_field(serializers.ChoiceField(choices=VerificationState.choices))
    def get_verification_state(self, enterprise: Enterprise) -> str:
        return enterprise.verification_state()

    def get_financials_visible(self, enterprise: Enterprise) -> bool:
        return self._financials_visible(enterprise)

    def to_representation(self, instance: Enterprise) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not data["financials_visible"]:
            for name in FINANCIAL_FIELDS:
                data[name] = None
        return data


class EnterpriseInputSerializer(serializers.Serializer):
    """The input of create, update and partial update (for the schema: the service validates the data)."""

    uscc = serializers.CharField(max_length=30, help_text="Unified social credit code, 18 characters.")
    name = serializers.CharField(max_length=200)
    name_en = serializers.CharField(max_length=200, required=False, allow_blank=True)
    legal_representative = serializers.CharField(max_length=100, required=False, allow_blank=True)
    established_on = serializers.DateField(required=False, allow_null=True)
    registered_capital = serializers.DecimalField(**AMOUNT_KWARGS, required=False, allow_null=True, min_value=0)
    address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    subdistrict = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text="Subdistrict code."
    )
    industry_code = serializers.CharField(max_length=5, help_text="GB/T 4754-2017 code at any level, e.g. C3670.")
    clusters = serializers.ListField(child=serializers.CharField(), required=False, help_text="Cluster codes.")
    employees = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=5_000_000)
    annual_revenue = serializers.DecimalField(**AMOUNT_KWARGS, required=False, allow_null=True, min_value=0)
    total_assets = serializers.DecimalField(**AMOUNT_KWARGS, required=False, allow_null=True, min_value=0)
    is_high_tech = serializers.BooleanField(required=False)
    is_tech_sme = serializers.BooleanField(required=False)
    is_srdi = serializers.BooleanField(required=False)
    is_little_giant = serializers.BooleanField(required=False)
    patents_held = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000)
    has_serious_bad_credit = serializers.BooleanField(required=False)


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    old = serializers.CharField(allow_blank=True)
    new = serializers.CharField(allow_blank=True)


class HistoryEntrySerializer(serializers.Serializer):
    """One version of a record: when, who (user id and name), created/changed/deleted, and the changes."""

    when = serializers.DateTimeField()
    user = serializers.SerializerMethodField()
    user_name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    reason = serializers.CharField(allow_blank=True, help_text="The service that made the change.")
    reason_label = serializers.CharField(allow_blank=True)
    changes = FieldChangeSerializer(many=True)

    def get_user(self, entry: Any) -> int | None:
        return entry.user.pk if entry.user is not None else None


class FinancialsSerializer(serializers.ModelSerializer):
    revenue = serializers.DecimalField(**AMOUNT_KWARGS, allow_null=True, required=False)
    total_assets = serializers.DecimalField(**AMOUNT_KWARGS, allow_null=True, required=False)
    net_profit = serializers.DecimalField(**AMOUNT_KWARGS, allow_null=True, required=False)
    rd_expense = serializers.DecimalField(**AMOUNT_KWARGS, allow_null=True, required=False)

    class Meta:
        model = EnterpriseFinancials
        fields = ["year", "revenue", "total_assets", "net_profit", "rd_expense", "employees"]


class FinancialsInputSerializer(serializers.Serializer):
    """Figures for one year; fields left out keep their value (for the schema: the service validates)."""

    year = serializers.IntegerField(min_value=1949)
    revenue = serializers.DecimalField(**AMOUNT_KWARGS, required=False, allow_null=True, min_value=0)
    total_assets = serializers.DecimalField(**AMOUNT_KWARGS, required=False, allow_null=True, min_value=0)
    net_profit = serializers.DecimalField(**AMOUNT_KWARGS, required=False, allow_null=True)
    rd_expense = serializers.DecimalField(**AMOUNT_KWARGS, required=False, allow_null=True, min_value=0)
    employees = serializers.IntegerField(required=False, allow_null=True, min_value=0)


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = EnterpriseContact
        fields = ["id", "name", "title", "phone", "email", "is_primary"]
        read_only_fields = ["id"]


class ConsentSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    enterprise_uscc = serializers.CharField(source="enterprise.uscc", read_only=True)
    grantee_name = serializers.CharField(source="grantee.display_name", read_only=True)
    grantee_type = serializers.CharField(source="grantee.org_type", read_only=True)
    state = serializers.SerializerMethodField()

    class Meta:
        model = Consent
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "enterprise_uscc",
            "grantee",
            "grantee_name",
            "grantee_type",
            "scope",
            "granted_at",
            "expires_on",
            "revoked_at",
            "state",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["active", "expired", "revoked"]))
    def get_state(self, consent: Consent) -> str:
        return consent_state(consent)


class ConsentGrantInputSerializer(serializers.Serializer):
    """Grant consent (for the schema: the service validates). `enterprise` may be left out when the
    caller's organisation has exactly one enterprise record."""

    enterprise = serializers.IntegerField(required=False)
    grantee = serializers.IntegerField(
        help_text="Id of a bank, guarantor, insurer, investor, securities firm or core enterprise."
    )
    scope = serializers.ChoiceField(choices=ConsentScope.choices, default=ConsentScope.PROFILE)
    expires_on = serializers.DateField(
        required=False, allow_null=True, help_text="Last day of validity; empty: until revoked."
    )


class SubdistrictSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Subdistrict
        fields = ["code", "name", "name_zh", "name_en"]


class ClusterSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = IndustrialCluster
        fields = ["code", "name", "name_zh", "name_en"]


class IndustrySerializer(serializers.Serializer):
    code = serializers.CharField()
    level = serializers.ChoiceField(choices=["section", "division", "group", "class"])
    parent = serializers.CharField(allow_blank=True)
    name = serializers.CharField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
