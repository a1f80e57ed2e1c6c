"""Serializers of the chain-database API: chain partners, financing recommendations (and each funder's copy),
transaction summaries and their shares, and the spreadsheet import runs. Output shapes and input descriptions
for the schema; every write goes through services/chain.py and services/chain_import.py, which validate the raw
request values themselves."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from finbridge.enterprises.models import Enterprise
from finbridge.supplychain import permissions as perms
from finbridge.supplychain.api.serializers_receivables import AMOUNT, PartySerializer, RowErrorSerializer
from finbridge.supplychain.models.chain import (
    ChainDirection,
    ChainImportRun,
    ChainPartner,
    ChainPartnerStatus,
    FinancingRecommendation,
    RecommendationRecipient,
    RecommendationStatus,
    SummaryShare,
    TransactionSummary,
)
from finbridge.supplychain.selectors.chain import acting_funders, managing_cores
from finbridge.supplychain.services.chain import RECOMMENDATION_TRANSITIONS
from finbridge.supplychain.services.chain_import import column_title

SHARE: dict[str, Any] = {"max_digits": 7, "decimal_places": 6, "coerce_to_string": True}


def _actor(serializer: serializers.Serializer) -> Any:
    request = serializer.context.get("request")
    return getattr(request, "user", None)


def _managed_core_ids(serializer: serializers.Serializer) -> frozenset[int]:
    """The cores whose chain the caller manages (from the memberships cached on the user: no query per row)."""
    actor = _actor(serializer)
    return frozenset(org.pk for org in managing_cores(actor=actor)) if actor else frozenset()


def _absolute(serializer: serializers.Serializer, path: str) -> str:
    request = serializer.context.get("request")
    return request.build_absolute_uri(path) if request else path


# ---- chain partners -------------------------------------------------------------------------------------------


class ChainEnterpriseSerializer(serializers.ModelSerializer):
    """The partner as registered in the MSME registry; `organization` is its own account on the platform, if any."""

    class Meta:
        model = Enterprise
        fields = ["id", "name", "name_en", "uscc", "organization"]
        read_only_fields = fields


class ChainPartnerBriefSerializer(serializers.ModelSerializer):
    """A chain row as a recommendation or a summary names it (no figures of the listing)."""

    core = PartySerializer(read_only=True)
    enterprise = ChainEnterpriseSerializer(read_only=True)
    direction = serializers.ChoiceField(choices=ChainDirection.choices, read_only=True)
    direction_label = serializers.CharField(source="get_direction_display", read_only=True)
    status = serializers.ChoiceField(choices=ChainPartnerStatus.choices, read_only=True)

    class Meta:
        model = ChainPartner
        fields = ["id", "core", "enterprise", "direction", "direction_label", "since", "status"]
        read_only_fields = fields


class ChainPartnerSerializer(ChainPartnerBriefSerializer):
    """A supplier (upstream) or distributor (downstream) in a core enterprise's chain database, with whether the
    caller may change it (edit, end, recommend, summarise: the core's chain managers, while it is active)."""

    annual_volume = serializers.DecimalField(**AMOUNT, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    can_manage = serializers.SerializerMethodField()

    class Meta(ChainPartnerBriefSerializer.Meta):
        fields = [
            *ChainPartnerBriefSerializer.Meta.fields,
            "status_label",
            "annual_volume",
            "payment_terms_days",
            "payment_terms",
            "ended_on",
            "end_reason",
            "created_at",
            "updated_at",
            "can_manage",
        ]
        read_only_fields = fields

    def get_can_manage(self, partner: ChainPartner) -> bool:
        return partner.status == ChainPartnerStatus.ACTIVE and partner.core_id in _managed_core_ids(self)


# ---- recommendations ------------------------------------------------------------------------------------------


def recipient_abilities(serializer: serializers.Serializer, recipient: RecommendationRecipient) -> dict[str, bool]:
    """What the caller may do with one funder's copy: mark it viewed, act on it, decline it (the funder or its
    branch), withdraw it (the core's chain managers); only while it is open."""
    actor = _actor(serializer)
    table = RECOMMENDATION_TRANSITIONS.get(recipient.status, frozenset())
    if actor is None:
        return {"view": False, "act": False, "decline": False, "withdraw": False}
    viewer = bool(acting_funders(actor=actor, recipient_funder=recipient.funder, code=perms.VIEW_SUPPLY_CHAIN))
    funder = bool(acting_funders(actor=actor, recipient_funder=recipient.funder, code=perms.FUND))
    manager = recipient.recommendation.chain_partner.core_id in _managed_core_ids(serializer)
    return {
        "view": viewer and RecommendationStatus.VIEWED in table,
        "act": funder and RecommendationStatus.ACTED_ON in table,
        "decline": funder and RecommendationStatus.DECLINED in table,
        "withdraw": manager and RecommendationStatus.WITHDRAWN in table,
    }


class RecommendationRecipientSerializer(serializers.ModelSerializer):
    """One funder a recommendation was sent to, and what that funder did with it."""

    funder = PartySerializer(read_only=True)
    status = serializers.ChoiceField(choices=RecommendationStatus.choices, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    abilities = serializers.SerializerMethodField()

    class Meta:
        model = RecommendationRecipient
        fields = [
            "id",
            "recommendation",
            "funder",
            "status",
            "status_label",
            "viewed_at",
            "answered_at",
            "answer_note",
            "withdrawn_at",
            "abilities",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(child=serializers.BooleanField()))
    def get_abilities(self, recipient: RecommendationRecipient) -> dict[str, bool]:
        return recipient_abilities(self, recipient)


class RecommendationSerializer(serializers.ModelSerializer):
    """A core enterprise's recommendation of a partner to funders, with the recipients the caller may see (a funder
    only its own copy)."""

    chain_partner = ChainPartnerBriefSerializer(read_only=True)
    recipients = serializers.SerializerMethodField()

    class Meta:
        model = FinancingRecommendation
        fields = ["id", "chain_partner", "note", "created_at", "recipients"]
        read_only_fields = fields

    @extend_schema_field(RecommendationRecipientSerializer(many=True))
    def get_recipients(self, recommendation: FinancingRecommendation) -> Any:
        rows = self.context.get("recipients", {}).get(recommendation.pk, [])
        return RecommendationRecipientSerializer(rows, many=True, context=self.context).data


class RecommendationBriefSerializer(serializers.ModelSerializer):
    chain_partner = ChainPartnerBriefSerializer(read_only=True)

    class Meta:
        model = FinancingRecommendation
        fields = ["id", "chain_partner", "note", "created_at"]
        read_only_fields = fields


class RecommendationInboxRowSerializer(RecommendationRecipientSerializer):
    """A funder's copy of a recommendation with the recommendation itself (a bank's inbox row)."""

    recommendation = RecommendationBriefSerializer(read_only=True)

    class Meta(RecommendationRecipientSerializer.Meta):
        pass


# ---- transaction summaries ------------------------------------------------------------------------------------


class SummaryShareSerializer(serializers.ModelSerializer):
    """A summary shared with one funder; `withdrawn_at` is set once the core stopped sharing it."""

    funder = PartySerializer(read_only=True)
    is_live = serializers.SerializerMethodField()
    can_withdraw = serializers.SerializerMethodField()

    class Meta:
        model = SummaryShare
        fields = ["id", "summary", "funder", "shared_at", "withdrawn_at", "is_live", "can_withdraw"]
        read_only_fields = fields

    def get_is_live(self, share: SummaryShare) -> bool:
        return share.withdrawn_at is None

    def get_can_withdraw(self, share: SummaryShare) -> bool:
        return share.withdrawn_at is None and share.summary.chain_partner.core_id in _managed_core_ids(self)


class TransactionSummarySerializer(serializers.ModelSerializer):
    """What a core enterprise traded with one partner over a period, with the shares the caller may see (a funder
    only its own)."""

    chain_partner = ChainPartnerBriefSerializer(read_only=True)
    volume = serializers.DecimalField(**AMOUNT, read_only=True)
    on_time_share = serializers.DecimalField(
        **SHARE, read_only=True, help_text="The fraction of payments made on time, from 0 to 1."
    )
    on_time_percent = serializers.DecimalField(max_digits=4, decimal_places=1, coerce_to_string=True, read_only=True)
    shares = serializers.SerializerMethodField()

    class Meta:
        model = TransactionSummary
        fields = [
            "id",
            "chain_partner",
            "period_start",
            "period_end",
            "volume",
            "transaction_count",
            "on_time_share",
            "on_time_percent",
            "note",
            "created_at",
            "shares",
        ]
        read_only_fields = fields

    @extend_schema_field(SummaryShareSerializer(many=True))
    def get_shares(self, summary: TransactionSummary) -> Any:
        rows = self.context.get("shares", {}).get(summary.pk, [])
        return SummaryShareSerializer(rows, many=True, context=self.context).data


class TransactionSummaryBriefSerializer(serializers.ModelSerializer):
    chain_partner = ChainPartnerBriefSerializer(read_only=True)
    volume = serializers.DecimalField(**AMOUNT, read_only=True)
    on_time_share = serializers.DecimalField(**SHARE, read_only=True)

    class Meta:
        model = TransactionSummary
        fields = [
            "id",
            "chain_partner",
            "period_start",
            "period_end",
            "volume",
            "transaction_count",
            "on_time_share",
            "note",
        ]
        read_only_fields = fields


class SummaryShareRowSerializer(SummaryShareSerializer):
    """A share with its summary (a funder's list of what was shared with it)."""

    summary = TransactionSummaryBriefSerializer(read_only=True)

    class Meta(SummaryShareSerializer.Meta):
        pass


# ---- import runs ----------------------------------------------------------------------------------------------


class ChainImportRowErrorSerializer(RowErrorSerializer):
    """One rejected row, with the column's title in the caller's language."""

    column = serializers.SerializerMethodField()

    def get_column(self, error: dict[str, Any]) -> str:
        return column_title(str(error.get("field", "")))


class ChainImportRunSerializer(serializers.ModelSerializer):
    """One upload of a chain spreadsheet: a dry run (nothing saved) or an applied import, with its counts."""

    core = PartySerializer(read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    report_url = serializers.SerializerMethodField()

    class Meta:
        model = ChainImportRun
        fields = [
            "id",
            "core",
            "created_by",
            "created_at",
            "file_name",
            "file_sha256",
            "dry_run",
            "rows_total",
            "rows_created",
            "rows_updated",
            "rows_unchanged",
            "rows_rejected",
            "report_url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_report_url(self, run: ChainImportRun) -> str | None:
        """Where to download the rejected rows as .xlsx (null when none was rejected)."""
        if not run.rows_rejected:
            return None
        return _absolute(self, reverse("api-sc-chain-import-report", args=[run.pk]))


class ChainImportRunDetailSerializer(ChainImportRunSerializer):
    errors = ChainImportRowErrorSerializer(many=True, read_only=True)
    can_apply = serializers.SerializerMethodField()

    class Meta(ChainImportRunSerializer.Meta):
        fields = [*ChainImportRunSerializer.Meta.fields, "can_apply", "errors"]
        read_only_fields = fields

    def get_can_apply(self, run: ChainImportRun) -> bool:
        """A dry run whose file is still stored may be applied (POST …/apply/)."""
        from finbridge.enterprises.import_files import stored_file_exists

        return run.dry_run and stored_file_exists(run)


# ---- input (schema only: the services validate) ----------------------------------------------------------------


class _PartnerTermsInput(serializers.Serializer):
    since = serializers.DateField(help_text="When the business relationship began (not in the future).")
    annual_volume = serializers.DecimalField(max_digits=18, decimal_places=2, help_text="CNY yuan a year, 0 or more.")
    payment_terms_days = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=3650, help_text="Days from invoice to payment."
    )
    payment_terms = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Such as: monthly statement, bank acceptance bill."
    )


class ChainPartnerInputSerializer(_PartnerTermsInput):
    core = serializers.IntegerField(
        required=False, help_text="The core enterprise whose chain you add to, when you manage several."
    )
    partner_uscc = serializers.CharField(help_text="The partner's unified social credit code (in the MSME registry).")
    direction = serializers.ChoiceField(
        choices=ChainDirection.choices, help_text="upstream (a supplier) or downstream (a distributor)."
    )


class ChainPartnerPatchSerializer(_PartnerTermsInput):
    since = serializers.DateField(required=False)
    annual_volume = serializers.DecimalField(max_digits=18, decimal_places=2, required=False)


class ChainPartnerEndInputSerializer(serializers.Serializer):
    ended_on = serializers.DateField(required=False, help_text="Default: today. Not before the relationship began.")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=255)


class RecommendationInputSerializer(serializers.Serializer):
    funders = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of active banks.")
    note = serializers.CharField(max_length=2000, help_text="Why you recommend this partner.")


class RecommendationAnswerInputSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="Required to decline: the reason."
    )


class TransactionSummaryInputSerializer(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField(help_text="Not before period_start, not in the future.")
    volume = serializers.DecimalField(max_digits=18, decimal_places=2, help_text="CNY yuan.")
    transaction_count = serializers.IntegerField(min_value=0)
    on_time_share = serializers.CharField(help_text="A fraction from 0 to 1 (0.95), or a percentage (95%).")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    funders = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="Share at once with these banks; each needs the partner's live consent covering its figures.",
    )


class SummaryShareInputSerializer(serializers.Serializer):
    funders = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Banks to share with; each needs the partner's live consent covering its figures (else 400 "
        "consent_required and nothing is shared).",
    )


class ChainImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, help_text=".xlsx or .csv with the template's columns.")
    dry_run = serializers.BooleanField(
        default=True, help_text="Default true: check the file and report, saving nothing; apply it afterwards."
    )
    core = serializers.IntegerField(required=False, help_text="The core enterprise, when you manage several.")
