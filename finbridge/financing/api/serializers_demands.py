"""Serializers of the demands API. They shape output and describe input for the schema; every write goes
through the services (services/demands.py, services/responses.py), which validate the raw request data."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from finbridge.accounts.models import Organization
from finbridge.financing.choices import (
    Collateral,
    DeclineReason,
    DemandPurpose,
    DemandStatus,
    DemandVisibility,
    EngagementStatus,
    ResponseKind,
)
from finbridge.financing.models import Demand, DemandEvent, DemandResponse
from finbridge.financing.selectors import demands as selectors

AMOUNT_KWARGS: dict[str, Any] = {"max_digits": 18, "decimal_places": 2, "coerce_to_string": True}
RATE_KWARGS: dict[str, Any] = {"max_digits": 8, "decimal_places": 6, "coerce_to_string": True}


class OrganizationBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "name_en", "org_type", "bank_tier", "parent"]
        read_only_fields = fields


class SubdistrictBriefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class EnterpriseSummarySerializer(serializers.Serializer):
    """What an institution seeing the demand may know of the firm (posting the demand consents to it)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    size_class = serializers.CharField(help_text="large, medium, small, micro or empty when unclassified.")
    size_class_label = serializers.CharField()
    industry_code = serializers.CharField(help_text="GB/T 4754-2017.")
    industry_name = serializers.CharField()
    subdistrict = serializers.SerializerMethodField()
    labels = serializers.ListField(child=serializers.CharField(), help_text="Technology labels.")
    years_in_operation = serializers.IntegerField(allow_null=True)

    @extend_schema_field(SubdistrictBriefSerializer(allow_null=True))
    def get_subdistrict(self, summary: selectors.EnterpriseSummary) -> dict[str, str] | None:
        if not summary.subdistrict_code:
            return None
        return {"code": summary.subdistrict_code, "name": summary.subdistrict_name}


class ResponseSerializer(serializers.ModelSerializer):
    """One institution's answer to a demand and, for a take-up, its engagement."""

    institution = OrganizationBriefSerializer(read_only=True)
    approved_amount = serializers.DecimalField(**AMOUNT_KWARGS, read_only=True, allow_null=True)
    approved_rate = serializers.DecimalField(**RATE_KWARGS, read_only=True, allow_null=True)
    kind = serializers.ChoiceField(choices=ResponseKind.choices, read_only=True)
    status = serializers.ChoiceField(
        choices=[("", "")] + list(EngagementStatus.choices), read_only=True, help_text="Empty for a pass."
    )

    class Meta:
        model = DemandResponse
        fields = [
            "id",
            "institution",
            "kind",
            "status",
            "responded_at",
            "on_time",
            "note",
            "product",
            "approved_amount",
            "approved_rate",
            "decided_at",
            "decline_reason",
            "decline_note",
            "disbursed_at",
        ]
        read_only_fields = fields


class DemandSerializer(serializers.ModelSerializer):
    """A demand as the caller may see it. `responses`: every answer for the firm and government, the
    caller's own for an institution (detail only). `chosen_institutions`: for the firm and government only."""

    enterprise = serializers.SerializerMethodField()
    amount = serializers.DecimalField(**AMOUNT_KWARGS, read_only=True)
    max_annual_rate = serializers.DecimalField(**RATE_KWARGS, read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=DemandStatus.choices, read_only=True)
    status_label = serializers.SerializerMethodField()
    purpose = serializers.ChoiceField(choices=DemandPurpose.choices, read_only=True)
    visibility = serializers.ChoiceField(choices=DemandVisibility.choices, read_only=True)
    collateral_offered = serializers.ListField(child=serializers.ChoiceField(choices=Collateral.choices))
    chosen_institutions = serializers.SerializerMethodField()
    recorded_by_organization = OrganizationBriefSerializer(read_only=True, allow_null=True)
    responses = serializers.SerializerMethodField()
    can_manage = serializers.SerializerMethodField()

    class Meta:
        model = Demand
        fields = [
            "id",
            "enterprise",
            "amount",
            "term_months",
            "purpose",
            "collateral_offered",
            "collateral_note",
            "max_annual_rate",
            "needed_by",
            "description",
            "visibility",
            "chosen_institutions",
            "status",
            "status_label",
            "published_at",
            "respond_by",
            "expires_on",
            "escalated_at",
            "decline_reason",
            "decline_note",
            "closed_at",
            "recorded_on_behalf",
            "recorded_by_organization",
            "recorded_source",
            "created_at",
            "updated_at",
            "responses",
            "can_manage",
        ]
        read_only_fields = fields

    def _actor(self) -> Any:
        request = self.context.get("request")
        return getattr(request, "user", None)

    def _is_party(self, demand: Demand) -> bool:
        from finbridge.accounts.selectors import actor_scope

        scope = actor_scope(self._actor())
        firm = demand.enterprise.organization_id
        return scope.is_government or (firm is not None and firm in scope.own_organization_ids)

    @extend_schema_field(EnterpriseSummarySerializer)
    def get_enterprise(self, demand: Demand) -> dict[str, Any]:
        return EnterpriseSummarySerializer(selectors.enterprise_summary(demand.enterprise)).data

    def get_status_label(self, demand: Demand) -> str:
        return str(demand.get_status_display())

    @extend_schema_field(OrganizationBriefSerializer(many=True))
    def get_chosen_institutions(self, demand: Demand) -> list[dict[str, Any]]:
        if demand.visibility != DemandVisibility.CHOSEN or not self._is_party(demand):
            return []
        chosen = sorted(demand.chosen_institutions.all(), key=lambda o: (o.name, o.pk))
        return OrganizationBriefSerializer(chosen, many=True).data

    @extend_schema_field(ResponseSerializer(many=True, allow_null=True))
    def get_responses(self, demand: Demand) -> list[dict[str, Any]] | None:
        if not self.context.get("include_responses"):
            return None
        rows = selectors.responses_visible(actor=self._actor(), demand=demand)
        return ResponseSerializer(rows, many=True).data

    def get_can_manage(self, demand: Demand) -> bool:
        return selectors.can_manage_demand(actor=self._actor(), demand=demand)


class TimelineEventSerializer(serializers.ModelSerializer):
    organization = OrganizationBriefSerializer(read_only=True, allow_null=True)
    action_label = serializers.SerializerMethodField()

    class Meta:
        model = DemandEvent
        fields = ["id", "at", "action", "action_label", "organization", "from_status", "to_status", "note"]
        read_only_fields = fields

    def get_action_label(self, event: DemandEvent) -> str:
        return selectors.event_label(event.action)


class OverdueDemandSerializer(DemandSerializer):
    """A demand on the district authority's oversight list, with the institutions still overdue."""

    overdue_institutions = serializers.SerializerMethodField()

    class Meta(DemandSerializer.Meta):
        fields = [*DemandSerializer.Meta.fields, "overdue_institutions"]
        read_only_fields = fields

    @extend_schema_field(OrganizationBriefSerializer(many=True))
    def get_overdue_institutions(self, demand: Demand) -> list[dict[str, Any]]:
        flagged = self.context.get("overdue_institutions", {}).get(demand.pk, [])
        return OrganizationBriefSerializer(flagged, many=True).data


# ---- input (schema only: the services validate) -------------------------------------------------------------


class DemandInputSerializer(serializers.Serializer):
    enterprise = serializers.IntegerField(
        required=False,
        help_text="The enterprise's id. A firm with one enterprise may leave it out; government staff must give it.",
    )
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, help_text="CNY yuan, more than 0.")
    term_months = serializers.IntegerField(min_value=1, max_value=360)
    purpose = serializers.ChoiceField(choices=DemandPurpose.choices)
    collateral_offered = serializers.ListField(
        child=serializers.ChoiceField(choices=Collateral.choices), required=False
    )
    collateral_note = serializers.CharField(required=False, allow_blank=True, max_length=255)
    max_annual_rate = serializers.DecimalField(
        max_digits=8, decimal_places=6, required=False, allow_null=True, help_text="A fraction: 0.045 is 4.5%."
    )
    needed_by = serializers.DateField(required=False, allow_null=True, help_text="Not in the past.")
    description = serializers.CharField(required=False, allow_blank=True)
    visibility = serializers.ChoiceField(choices=DemandVisibility.choices, required=False)
    chosen_institutions = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Bank or guarantor ids, for visibility chosen."
    )
    recorded_source = serializers.CharField(
        required=False, allow_blank=True, help_text="Government staff: where the need was collected (required)."
    )


class DemandPatchSerializer(DemandInputSerializer):
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, required=False)
    term_months = serializers.IntegerField(min_value=1, max_value=360, required=False)
    purpose = serializers.ChoiceField(choices=DemandPurpose.choices, required=False)

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields.pop("enterprise", None)
        return fields


class NoteInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class AnswerInputSerializer(NoteInputSerializer):
    institution = serializers.IntegerField(
        required=False, help_text="The institution answered for, when the caller belongs to several."
    )


class ApproveInputSerializer(NoteInputSerializer):
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, help_text="At most the amount asked for.")
    annual_rate = serializers.DecimalField(
        max_digits=8, decimal_places=6, help_text="A fraction, at most 0.36 and the firm's highest rate."
    )
    product = serializers.IntegerField(required=False, allow_null=True, help_text="One of your published products.")


class DeclineInputSerializer(NoteInputSerializer):
    reason = serializers.ChoiceField(choices=DeclineReason.choices)


class DisburseInputSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=64, help_text="The bank's loan contract number.")
    disbursed_on = serializers.DateField()
    amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, required=False, help_text="Default: the approved amount."
    )
    term_months = serializers.IntegerField(required=False, help_text="Default: the demand's term.")
    annual_rate = serializers.DecimalField(
        max_digits=8, decimal_places=6, required=False, help_text="Default: the approved rate."
    )
    maturity_on = serializers.DateField(required=False, allow_null=True)
    is_first_time = serializers.BooleanField(required=False, allow_null=True, help_text="Default: derived.")
    is_renewal = serializers.BooleanField(required=False)
    is_renewal_without_repayment = serializers.BooleanField(required=False)
    is_credit = serializers.BooleanField(required=False)


class RepublishInputSerializer(DemandPatchSerializer):
    pass
