"""Serializers of the claim API: claims with their evidence, timeline and payout (with the arithmetic in the
caller's language), recoveries and owed amounts; and the inputs of filing, review and recoveries."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from finbridge.riskpool.api.serializers_enrolments import EligibilityReasonSerializer
from finbridge.riskpool.api.serializers_pools import AMOUNT
from finbridge.riskpool.choices import ClaimDocumentKind
from finbridge.riskpool.models import Claim, ClaimDocument, ClaimEvent, OwedAmount, Payout, Recovery
from finbridge.riskpool.selectors.claims import payout_view, recovery_steps


class ClaimSerializer(serializers.ModelSerializer):
    """A claim on a covered loan: the loss claimed, its status and the latest decision."""

    pool_name = serializers.CharField(source="pool.display_name", read_only=True)
    loan = serializers.IntegerField(source="enrolment.loan_id", read_only=True)
    loan_reference = serializers.CharField(source="enrolment.loan.reference", read_only=True)
    borrower_name = serializers.CharField(source="enrolment.loan.borrower.name", read_only=True)
    bank_name = serializers.CharField(source="bank.display_name", read_only=True)
    rule_version_number = serializers.IntegerField(source="rule_version.number", read_only=True)
    lost_principal = serializers.DecimalField(**AMOUNT, read_only=True)
    lost_interest = serializers.DecimalField(**AMOUNT, read_only=True)
    approved_principal = serializers.DecimalField(**AMOUNT, read_only=True, allow_null=True)
    approved_interest = serializers.DecimalField(**AMOUNT, read_only=True, allow_null=True)

    class Meta:
        model = Claim
        fields = [
            "id",
            "reference",
            "pool",
            "pool_name",
            "enrolment",
            "loan",
            "loan_reference",
            "borrower_name",
            "bank",
            "bank_name",
            "rule_version",
            "rule_version_number",
            "status",
            "loan_classification",
            "defaulted_on",
            "lost_principal",
            "lost_interest",
            "description",
            "filed_at",
            "submitted_at",
            "decision",
            "decision_reason",
            "decided_at",
            "approved_principal",
            "approved_interest",
        ]
        read_only_fields = fields


class ClaimDocumentSerializer(serializers.ModelSerializer):
    """An evidence document; `download` is its address."""

    download = serializers.SerializerMethodField()

    class Meta:
        model = ClaimDocument
        fields = ["id", "kind", "name", "size", "sha256", "uploaded_at", "download"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_download(self, document: ClaimDocument) -> str:
        return reverse("api-riskpool-claim-document", args=[document.claim_id, document.pk])


class ClaimEventSerializer(serializers.ModelSerializer):
    """One step of a claim's timeline."""

    amount = serializers.DecimalField(**AMOUNT, read_only=True, allow_null=True)
    details = serializers.JSONField(read_only=True)

    class Meta:
        model = ClaimEvent
        fields = ["id", "action", "reason", "amount", "details", "created_at"]
        read_only_fields = fields


class ArithmeticStepSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField(help_text=_("The step in the caller's language."))


class PayoutBreakdownSerializer(serializers.Serializer):
    """A payout's arithmetic: the loss counted, shares and amounts per party, the caps that bound it, steps."""

    category = serializers.CharField()
    flags = serializers.ListField(child=serializers.CharField())
    principal = serializers.DecimalField(**AMOUNT)
    interest = serializers.DecimalField(**AMOUNT)
    loss = serializers.DecimalField(**AMOUNT)
    shares = serializers.DictField(child=serializers.DecimalField(max_digits=12, decimal_places=6))
    amounts = serializers.DictField(child=serializers.DecimalField(**AMOUNT))
    payout = serializers.DecimalField(**AMOUNT)
    uncapped = serializers.DecimalField(**AMOUNT)
    bound_by = serializers.ListField(child=serializers.CharField())
    steps = ArithmeticStepSerializer(many=True)


def breakdown_data(breakdown: Any, steps: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "category": breakdown.category,
        "flags": list(breakdown.flags),
        "principal": str(breakdown.principal),
        "interest": str(breakdown.interest),
        "loss": str(breakdown.loss),
        "shares": {party: str(value) for party, value in breakdown.shares.items()},
        "amounts": {party: str(value) for party, value in breakdown.amounts.items()},
        "payout": str(breakdown.payout),
        "uncapped": str(breakdown.uncapped),
        "bound_by": list(breakdown.bound_by),
        "steps": steps,
    }


class PayoutSerializer(serializers.ModelSerializer):
    """The pool's compensation on a claim: granted, paid, owed, recovered; the rule version and arithmetic."""

    amount = serializers.DecimalField(**AMOUNT, read_only=True)
    paid_amount = serializers.DecimalField(**AMOUNT, read_only=True)
    owed_amount = serializers.DecimalField(**AMOUNT, read_only=True)
    recovered_amount = serializers.DecimalField(**AMOUNT, read_only=True)
    loss_principal = serializers.DecimalField(**AMOUNT, read_only=True)
    loss_interest = serializers.DecimalField(**AMOUNT, read_only=True)
    rule_version_number = serializers.IntegerField(source="rule_version.number", read_only=True)
    rule_version_effective_from = serializers.DateField(source="rule_version.effective_from", read_only=True)
    breakdown = serializers.SerializerMethodField()

    class Meta:
        model = Payout
        fields = [
            "id",
            "claim",
            "bank",
            "rule_version",
            "rule_version_number",
            "rule_version_effective_from",
            "loss_principal",
            "loss_interest",
            "amount",
            "paid_amount",
            "owed_amount",
            "recovered_amount",
            "created_at",
            "breakdown",
        ]
        read_only_fields = fields

    @extend_schema_field(PayoutBreakdownSerializer)
    def get_breakdown(self, payout: Payout) -> dict[str, Any]:
        view = payout_view(payout)
        return breakdown_data(view.breakdown, view.steps)


class PoolRecoverySerializer(serializers.ModelSerializer):
    """Money a bank recovered after a payout, and the pool's share of it (with the arithmetic)."""

    claim_reference = serializers.CharField(source="claim.reference", read_only=True)
    bank_name = serializers.CharField(source="bank.display_name", read_only=True)
    recovered_amount = serializers.DecimalField(**AMOUNT, read_only=True)
    pool_amount = serializers.DecimalField(**AMOUNT, read_only=True)
    steps = serializers.SerializerMethodField()

    class Meta:
        model = Recovery
        fields = [
            "id",
            "pool",
            "claim",
            "claim_reference",
            "bank",
            "bank_name",
            "recovered_amount",
            "recovered_on",
            "pool_amount",
            "reference",
            "note",
            "reported_at",
            "steps",
        ]
        read_only_fields = fields

    @extend_schema_field(ArithmeticStepSerializer(many=True))
    def get_steps(self, recovery: Recovery) -> list[dict[str, str]]:
        return recovery_steps(recovery)


class OwedAmountSerializer(serializers.ModelSerializer):
    """What the pool owes a bank on a payout, settled oldest first as money comes in."""

    bank_name = serializers.CharField(source="bank.display_name", read_only=True)
    claim = serializers.IntegerField(source="payout.claim_id", read_only=True)
    claim_reference = serializers.CharField(source="payout.claim.reference", read_only=True)
    amount = serializers.DecimalField(**AMOUNT, read_only=True)
    settled_amount = serializers.DecimalField(**AMOUNT, read_only=True)
    outstanding = serializers.DecimalField(**AMOUNT, read_only=True)

    class Meta:
        model = OwedAmount
        fields = [
            "id",
            "pool",
            "bank",
            "bank_name",
            "claim",
            "claim_reference",
            "amount",
            "settled_amount",
            "outstanding",
            "status",
            "created_at",
            "settled_at",
        ]
        read_only_fields = fields


class ClaimDetailSerializer(ClaimSerializer):
    """A claim with its documents, timeline, payout, recoveries and what the caller may do now."""

    documents = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    payout = serializers.SerializerMethodField()
    recoveries = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta(ClaimSerializer.Meta):
        fields = [*ClaimSerializer.Meta.fields, "documents", "events", "payout", "recoveries", "actions"]
        read_only_fields = fields

    @extend_schema_field(ClaimDocumentSerializer(many=True))
    def get_documents(self, claim: Claim) -> Any:
        return ClaimDocumentSerializer(self.context["documents"], many=True).data

    @extend_schema_field(ClaimEventSerializer(many=True))
    def get_events(self, claim: Claim) -> Any:
        return ClaimEventSerializer(self.context["events"], many=True).data

    @extend_schema_field(PayoutSerializer(allow_null=True))
    def get_payout(self, claim: Claim) -> Any:
        view = self.context.get("payout")
        return None if view is None else PayoutSerializer(view.payout).data

    @extend_schema_field(PoolRecoverySerializer(many=True))
    def get_recoveries(self, claim: Claim) -> Any:
        return PoolRecoverySerializer(self.context["recoveries"], many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, claim: Claim) -> list[str]:
        return sorted(self.context["actions"])


class ClaimFilingInputSerializer(serializers.Serializer):
    """File a claim (multipart): the enrolment (id) or the loan (id), the loss, the default date, evidence files."""

    enrolment = serializers.IntegerField(min_value=1, required=False, help_text=_("The covered enrolment (id)."))
    loan = serializers.IntegerField(min_value=1, required=False, help_text=_("Or the covered loan (id)."))
    lost_principal = serializers.DecimalField(**AMOUNT)
    lost_interest = serializers.DecimalField(**AMOUNT, required=False)
    defaulted_on = serializers.DateField(help_text=_("The day the loan became non-performing."))
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    document_kind = serializers.ChoiceField(
        choices=ClaimDocumentKind.choices, required=False, help_text=_("The kind of every file sent (default: other).")
    )
    documents = serializers.ListField(child=serializers.FileField(), required=False, max_length=20)


class ClaimDocumentsInputSerializer(serializers.Serializer):
    """Evidence files to attach (multipart)."""

    document_kind = serializers.ChoiceField(choices=ClaimDocumentKind.choices, required=False)
    documents = serializers.ListField(child=serializers.FileField(), max_length=20)


class ClaimResubmitInputSerializer(serializers.Serializer):
    """Resubmit a returned claim, changing what was asked for (multipart or JSON)."""

    lost_principal = serializers.DecimalField(**AMOUNT, required=False)
    lost_interest = serializers.DecimalField(**AMOUNT, required=False)
    defaulted_on = serializers.DateField(required=False)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    document_kind = serializers.ChoiceField(choices=ClaimDocumentKind.choices, required=False)
    documents = serializers.ListField(child=serializers.FileField(), required=False, max_length=20)


class ClaimApproveInputSerializer(serializers.Serializer):
    """Approve in full (nothing), or in part: the accepted principal and/or interest below the claim, and a
    reason."""

    principal = serializers.DecimalField(**AMOUNT, required=False, allow_null=True)
    interest = serializers.DecimalField(**AMOUNT, required=False, allow_null=True)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class ClaimReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, allow_blank=True)


class ClaimWithdrawInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class PoolRecoveryInputSerializer(serializers.Serializer):
    """Money the bank recovered on a compensated loan."""

    recovered_amount = serializers.DecimalField(**AMOUNT)
    recovered_on = serializers.DateField()
    reference = serializers.CharField(max_length=64, required=False, allow_blank=True)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


__all__ = ["EligibilityReasonSerializer"]
