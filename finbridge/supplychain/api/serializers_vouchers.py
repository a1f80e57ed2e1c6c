"""Serializers of the vouchers API: voucher parts, their trace back to the confirmation and the whole tree.
Every write goes through services/vouchers.py, which validates the raw request values."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from finbridge.supplychain.api.serializers_receivables import AMOUNT, ConfirmationSerializer, PartySerializer
from finbridge.supplychain.choices import VoucherOrigin, VoucherStatus
from finbridge.supplychain.models import Voucher
from finbridge.supplychain.services.confirmation import invoice_label
from finbridge.supplychain.views.abilities import voucher_abilities


class VoucherSerializer(serializers.ModelSerializer):
    """One voucher part: who holds it, at which tier, how it came there, and what the caller may do."""

    holder = PartySerializer(read_only=True)
    debtor = PartySerializer(source="receivable.debtor", read_only=True)
    invoice = serializers.SerializerMethodField()
    due_on = serializers.DateField(source="receivable.due_on", read_only=True)
    is_overdue = serializers.BooleanField(source="receivable.is_overdue", read_only=True)
    amount = serializers.DecimalField(**AMOUNT, read_only=True)
    status = serializers.ChoiceField(choices=VoucherStatus.choices, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    origin = serializers.ChoiceField(choices=VoucherOrigin.choices, read_only=True)
    root_number = serializers.CharField(source="root.number", read_only=True, allow_null=True, default=None)
    abilities = serializers.SerializerMethodField()

    class Meta:
        model = Voucher
        fields = [
            "id",
            "number",
            "receivable",
            "invoice",
            "debtor",
            "due_on",
            "is_overdue",
            "root",
            "root_number",
            "parent",
            "tier",
            "holder",
            "amount",
            "status",
            "status_label",
            "origin",
            "created_at",
            "abilities",
        ]
        read_only_fields = fields

    def get_invoice(self, voucher: Voucher) -> str:
        return invoice_label(voucher.receivable)

    @extend_schema_field(serializers.DictField(child=serializers.BooleanField()))
    def get_abilities(self, voucher: Voucher) -> dict[str, bool]:
        request = self.context.get("request")
        return voucher_abilities(getattr(request, "user", None), voucher)


class TraceSerializer(serializers.Serializer):
    """A part's ancestry: from the issued voucher down to the part, and the confirmation it rests on."""

    parts = VoucherSerializer(many=True, help_text="The issued voucher first, the part itself last.")
    confirmation = ConfirmationSerializer(allow_null=True)


class TreeNodeSerializer(serializers.Serializer):
    """One part of the tree with its children (the debtor and the district authority see the whole tree)."""

    part = VoucherSerializer()
    children = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_children(self, node: dict[str, Any]) -> list[dict[str, Any]]:
        return TreeNodeSerializer(node.get("children", []), many=True, context=self.context).data


# ---- input (schema only: the services validate) -------------------------------------------------------------


class IssueInputSerializer(serializers.Serializer):
    receivable = serializers.IntegerField(help_text="A confirmed receivable you owe.")


class SplitPartInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    recipient = serializers.IntegerField(
        required=False, allow_null=True, help_text="The organisation it passes to; null or left out: you keep it."
    )


class SplitInputSerializer(serializers.Serializer):
    parts = SplitPartInputSerializer(many=True, help_text="Their sum is at most the part's amount; the rest is kept.")


class TransferInputSerializer(serializers.Serializer):
    recipient = serializers.IntegerField(help_text="The organisation (your supplier) that receives the whole part.")
