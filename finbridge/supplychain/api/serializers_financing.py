"""Serializers of the financing API: requests, the funders' offers and the registrations. Output shapes and input
descriptions for the schema; every write goes through services/financing.py and services/registration.py."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from finbridge.supplychain.api.serializers_receivables import AMOUNT, PartySerializer
from finbridge.supplychain.choices import (
    FinancingRequestStatus,
    OfferStatus,
    RegistrationKind,
    RegistrationStatus,
    ReleaseReason,
)
from finbridge.supplychain.models import FinancingOffer, FinancingRequest, FinancingRequestItem, Registration
from finbridge.supplychain.selectors.financing import financing_request_offers
from finbridge.supplychain.services.confirmation import invoice_label
from finbridge.supplychain.views.abilities import offer_abilities, registration_abilities, request_abilities

RATE: dict[str, Any] = {"max_digits": 8, "decimal_places": 6, "coerce_to_string": True}


def _actor(serializer: serializers.Serializer) -> Any:
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class ItemSerializer(serializers.ModelSerializer):
    """One receivable or voucher part offered, with the confirmation it rests on."""

    amount = serializers.DecimalField(**AMOUNT, read_only=True)
    invoice = serializers.SerializerMethodField()
    debtor = serializers.SerializerMethodField()
    due_on = serializers.SerializerMethodField()
    voucher_number = serializers.SerializerMethodField()
    confirmation_fingerprint = serializers.SerializerMethodField()

    class Meta:
        model = FinancingRequestItem
        fields = [
            "id",
            "receivable",
            "voucher",
            "voucher_number",
            "invoice",
            "debtor",
            "due_on",
            "amount",
            "confirmation_fingerprint",
        ]
        read_only_fields = fields

    @staticmethod
    def _receivable(item: FinancingRequestItem) -> Any:
        return item.receivable if item.receivable_id else item.voucher.receivable

    def get_invoice(self, item: FinancingRequestItem) -> str:
        return invoice_label(self._receivable(item))

    @extend_schema_field(PartySerializer)
    def get_debtor(self, item: FinancingRequestItem) -> dict[str, Any]:
        return PartySerializer(self._receivable(item).debtor).data

    @extend_schema_field(serializers.DateField())
    def get_due_on(self, item: FinancingRequestItem) -> Any:
        return self._receivable(item).due_on

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_voucher_number(self, item: FinancingRequestItem) -> str | None:
        return item.voucher.number if item.voucher_id else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_confirmation_fingerprint(self, item: FinancingRequestItem) -> str | None:
        confirmation = getattr(self._receivable(item), "confirmation", None)
        return confirmation.fingerprint if confirmation else None


class OfferSerializer(serializers.ModelSerializer):
    """One funder's answer to a request."""

    funder = PartySerializer(read_only=True)
    status = serializers.ChoiceField(choices=OfferStatus.choices, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    advance_amount = serializers.DecimalField(**AMOUNT, read_only=True, allow_null=True)
    advance_ratio = serializers.DecimalField(**RATE, read_only=True, allow_null=True)
    annual_rate = serializers.DecimalField(**RATE, read_only=True, allow_null=True)
    fees = serializers.DecimalField(**AMOUNT, read_only=True, allow_null=True)
    registration_kind = serializers.ChoiceField(choices=[("", "")] + list(RegistrationKind.choices), read_only=True)
    abilities = serializers.SerializerMethodField()

    class Meta:
        model = FinancingOffer
        fields = [
            "id",
            "request",
            "funder",
            "status",
            "status_label",
            "advance_amount",
            "advance_ratio",
            "annual_rate",
            "fees",
            "term_days",
            "registration_kind",
            "note",
            "refusal_reason",
            "answered_at",
            "decided_at",
            "created_at",
            "abilities",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(child=serializers.BooleanField()))
    def get_abilities(self, offer: FinancingOffer) -> dict[str, bool]:
        return offer_abilities(_actor(self), offer)


class RequestSerializer(serializers.ModelSerializer):
    """A financing request with its items and the offers the caller may see (a funder: its own)."""

    requester = PartySerializer(read_only=True)
    status = serializers.ChoiceField(choices=FinancingRequestStatus.choices, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    face_amount = serializers.DecimalField(**AMOUNT, read_only=True)
    amount_requested = serializers.DecimalField(**AMOUNT, read_only=True)
    items = ItemSerializer(many=True, read_only=True)
    offers = serializers.SerializerMethodField()
    abilities = serializers.SerializerMethodField()

    class Meta:
        model = FinancingRequest
        fields = [
            "id",
            "requester",
            "status",
            "status_label",
            "face_amount",
            "amount_requested",
            "note",
            "respond_by",
            "created_at",
            "decided_at",
            "items",
            "offers",
            "abilities",
        ]
        read_only_fields = fields

    @extend_schema_field(OfferSerializer(many=True))
    def get_offers(self, request: FinancingRequest) -> list[dict[str, Any]]:
        offers = financing_request_offers(actor=_actor(self), request=request)  # a funder: its own answer
        return OfferSerializer(offers, many=True, context=self.context).data

    @extend_schema_field(serializers.DictField(child=serializers.BooleanField()))
    def get_abilities(self, request: FinancingRequest) -> dict[str, bool]:
        return request_abilities(_actor(self), request)


class OfferDetailSerializer(OfferSerializer):
    """An offer with the request it answers."""

    request = RequestSerializer(read_only=True)


class RegistrationSerializer(serializers.ModelSerializer):
    """A registered pledge or transfer of a receivable or voucher part to a funder."""

    funder = PartySerializer(read_only=True)
    assignor = PartySerializer(read_only=True)
    kind = serializers.ChoiceField(choices=RegistrationKind.choices, read_only=True)
    status = serializers.ChoiceField(choices=RegistrationStatus.choices, read_only=True)
    release_reason = serializers.ChoiceField(choices=[("", "")] + list(ReleaseReason.choices), read_only=True)
    face_amount = serializers.DecimalField(**AMOUNT, read_only=True)
    advance_amount = serializers.DecimalField(**AMOUNT, read_only=True)
    voucher_number = serializers.CharField(source="voucher.number", read_only=True, allow_null=True, default=None)
    abilities = serializers.SerializerMethodField()

    class Meta:
        model = Registration
        fields = [
            "id",
            "number",
            "receivable",
            "voucher",
            "voucher_number",
            "root_receivable",
            "funder",
            "assignor",
            "kind",
            "face_amount",
            "advance_amount",
            "request",
            "offer",
            "status",
            "registered_at",
            "released_at",
            "release_reason",
            "abilities",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(child=serializers.BooleanField()))
    def get_abilities(self, registration: Registration) -> dict[str, bool]:
        return registration_abilities(_actor(self), registration)


# ---- input (schema only: the services validate) -------------------------------------------------------------


class RequestInputSerializer(serializers.Serializer):
    funders = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of the banks you choose.")
    receivables = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Confirmed receivables you are the creditor of."
    )
    vouchers = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Voucher parts you hold."
    )
    amount_requested = serializers.DecimalField(
        max_digits=18, decimal_places=2, required=False, help_text="At most the face amount (default: all of it)."
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    respond_by = serializers.DateField(required=False, help_text="Answers are due by this day.")
    organization = serializers.IntegerField(required=False, help_text="The organisation you act for, if several.")


class OfferInputSerializer(serializers.Serializer):
    advance_amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, required=False, help_text="Amount advanced, or give advance_ratio."
    )
    advance_ratio = serializers.DecimalField(
        max_digits=8, decimal_places=6, required=False, help_text="A fraction of the face amount, such as 0.8."
    )
    annual_rate = serializers.DecimalField(max_digits=8, decimal_places=6, help_text="A fraction: 0.045 is 4.5%.")
    fees = serializers.DecimalField(max_digits=18, decimal_places=2, required=False)
    term_days = serializers.IntegerField(min_value=1, max_value=3650)
    registration_kind = serializers.ChoiceField(choices=RegistrationKind.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class RefuseInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class AcceptResultSerializer(serializers.Serializer):
    offer = OfferSerializer()
    registrations = RegistrationSerializer(many=True)
