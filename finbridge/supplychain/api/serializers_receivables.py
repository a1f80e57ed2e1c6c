"""Serializers of the receivables API. They shape output and describe input for the schema; every write goes
through the services (services/receivables.py, confirmation.py, receivable_imports.py, settlement.py), which
validate the raw request values themselves."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from finbridge.accounts.models import Organization
from finbridge.supplychain.choices import ConfirmationMethod, PayeeRole, ReceivableSource, ReceivableStatus
from finbridge.supplychain.models import (
    Payment,
    Receivable,
    ReceivableConfirmation,
    ReceivableDocument,
    ReceivableUploadRun,
)
from finbridge.supplychain.services.confirmation import invoice_label
from finbridge.supplychain.views.abilities import receivable_abilities

AMOUNT: dict[str, Any] = {"max_digits": 18, "decimal_places": 2, "coerce_to_string": True}


class PartySerializer(serializers.ModelSerializer):
    """An organisation taking part: creditor, debtor, holder, funder."""

    class Meta:
        model = Organization
        fields = ["id", "name", "name_en", "org_type"]
        read_only_fields = fields


class ReceivableSerializer(serializers.ModelSerializer):
    """A receivable as a party, funder or the district authority sees it, with what the caller may do."""

    creditor = PartySerializer(read_only=True)
    debtor = PartySerializer(read_only=True)
    invoice = serializers.SerializerMethodField()
    amount = serializers.DecimalField(**AMOUNT, read_only=True)
    status = serializers.ChoiceField(choices=ReceivableStatus.choices, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    source = serializers.ChoiceField(choices=ReceivableSource.choices, read_only=True)
    abilities = serializers.SerializerMethodField()

    class Meta:
        model = Receivable
        fields = [
            "id",
            "creditor",
            "debtor",
            "invoice_code",
            "invoice_number",
            "invoice",
            "amount",
            "issued_on",
            "due_on",
            "contract_reference",
            "description",
            "status",
            "status_label",
            "source",
            "is_overdue",
            "overdue_since",
            "confirmed_at",
            "disputed_at",
            "dispute_reason",
            "settled_on",
            "created_at",
            "updated_at",
            "abilities",
        ]
        read_only_fields = fields

    def get_invoice(self, receivable: Receivable) -> str:
        return invoice_label(receivable)

    @extend_schema_field(serializers.DictField(child=serializers.BooleanField()))
    def get_abilities(self, receivable: Receivable) -> dict[str, bool]:
        request = self.context.get("request")
        return receivable_abilities(getattr(request, "user", None), receivable)


class DocumentSerializer(serializers.ModelSerializer):
    """A file backing the receivable; its SHA-256 is part of the confirmed content."""

    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ReceivableDocument
        fields = ["id", "name", "sha256", "size", "uploaded_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, document: ReceivableDocument) -> str:
        path = reverse("api-sc-receivable-document", args=[document.receivable_id, document.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ConfirmationSerializer(serializers.ModelSerializer):
    """The debtor's irrevocable confirmation: who, when, the confirmed content and its SHA-256 fingerprint."""

    method = serializers.ChoiceField(choices=ConfirmationMethod.choices, read_only=True)
    organization = PartySerializer(read_only=True)
    content = serializers.JSONField(read_only=True)

    class Meta:
        model = ReceivableConfirmation
        fields = ["method", "organization", "confirmed_by_name", "confirmed_at", "content", "fingerprint"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    """The debtor's payment of a receivable or of one voucher part, to its holder or its funder."""

    payer = PartySerializer(read_only=True)
    payee = PartySerializer(read_only=True)
    payee_role = serializers.ChoiceField(choices=PayeeRole.choices, read_only=True)
    amount = serializers.DecimalField(**AMOUNT, read_only=True)
    voucher_number = serializers.CharField(source="voucher.number", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Payment
        fields = [
            "id",
            "receivable",
            "voucher",
            "voucher_number",
            "registration",
            "payer",
            "payee",
            "payee_role",
            "tier",
            "amount",
            "due_on",
            "paid_on",
            "days_early",
            "reference",
            "recorded_at",
        ]
        read_only_fields = fields


class ReceivableDetailSerializer(ReceivableSerializer):
    """A receivable with its documents, the confirmation, the fingerprint a debtor would confirm now, and the
    payments the caller may see."""

    documents = DocumentSerializer(many=True, read_only=True)
    confirmation = serializers.SerializerMethodField()
    current_fingerprint = serializers.SerializerMethodField()
    payments = serializers.SerializerMethodField()

    class Meta(ReceivableSerializer.Meta):
        fields = [*ReceivableSerializer.Meta.fields, "documents", "confirmation", "current_fingerprint", "payments"]
        read_only_fields = fields

    @extend_schema_field(ConfirmationSerializer(allow_null=True))
    def get_confirmation(self, receivable: Receivable) -> dict[str, Any] | None:
        confirmation = getattr(receivable, "confirmation", None) if receivable.confirmed_at else None
        if confirmation is None:
            confirmation = ReceivableConfirmation.objects.filter(receivable=receivable).first()
        return ConfirmationSerializer(confirmation).data if confirmation else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_current_fingerprint(self, receivable: Receivable) -> str | None:
        """Pending receivables: the fingerprint of what the debtor would confirm now (send it back with confirm)."""
        from finbridge.supplychain.services.confirmation import receivable_fingerprint

        if receivable.status != ReceivableStatus.PENDING:
            return None
        return receivable_fingerprint(receivable)

    @extend_schema_field(PaymentSerializer(many=True))
    def get_payments(self, receivable: Receivable) -> list[dict[str, Any]]:
        rows = self.context.get("payments")
        return PaymentSerializer(rows or [], many=True).data


# ---- upload runs --------------------------------------------------------------------------------------------


class RowErrorSerializer(serializers.Serializer):
    """One rejected row of an upload: the line, the column, the value as given and the reason."""

    line = serializers.IntegerField()
    field = serializers.CharField(allow_blank=True)
    value = serializers.CharField(allow_blank=True)
    message = serializers.CharField()


class UploadRunSerializer(serializers.ModelSerializer):
    """A spreadsheet upload of receivables (or, as_debtor, of payables) with its counts."""

    organization = PartySerializer(read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    report_url = serializers.SerializerMethodField()
    rows_valid = serializers.SerializerMethodField()

    class Meta:
        model = ReceivableUploadRun
        fields = [
            "id",
            "organization",
            "as_debtor",
            "created_by",
            "created_at",
            "file_name",
            "file_sha256",
            "dry_run",
            "rows_total",
            "rows_created",
            "rows_rejected",
            "rows_valid",
            "report_url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField())
    def get_rows_valid(self, run: ReceivableUploadRun) -> int:
        """Rows without a problem: those created or, in a dry run, those that would be."""
        return max(run.rows_total - run.rows_rejected, 0)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_report_url(self, run: ReceivableUploadRun) -> str | None:
        """Where to download the rejected rows as .xlsx (null when none was rejected)."""
        if not run.rows_rejected:
            return None
        path = reverse("api-sc-receivable-import-report", args=[run.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class UploadRunDetailSerializer(UploadRunSerializer):
    errors = RowErrorSerializer(many=True, read_only=True)

    class Meta(UploadRunSerializer.Meta):
        fields = [*UploadRunSerializer.Meta.fields, "errors"]
        read_only_fields = fields


# ---- input (schema only: the services validate) -------------------------------------------------------------


class _TermsInput(serializers.Serializer):
    invoice_code = serializers.CharField(
        required=False, allow_blank=True, help_text="10 or 12 digits; empty for a fully digital invoice."
    )
    invoice_number = serializers.CharField(help_text="8 digits, or 20 for a fully digital invoice.")
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, help_text="CNY yuan, more than 0.")
    issued_on = serializers.DateField(help_text="Not in the future.")
    due_on = serializers.DateField(help_text="Not in the past, not before the invoice date.")
    contract_reference = serializers.CharField(required=False, allow_blank=True, max_length=64)
    description = serializers.CharField(required=False, allow_blank=True, max_length=500)
    organization = serializers.IntegerField(
        required=False, help_text="The organisation you act for, when you belong to several that may trade."
    )
    documents = serializers.ListField(
        child=serializers.FileField(), required=False, help_text="Multipart only: PDF, OFD, XML, JPEG or PNG files."
    )


class ReceivableInputSerializer(_TermsInput):
    debtor = serializers.IntegerField(required=False, help_text="The debtor's organisation id ...")
    debtor_uscc = serializers.CharField(required=False, help_text="... or its unified social credit code.")


class PayableInputSerializer(_TermsInput):
    creditor = serializers.IntegerField(required=False, help_text="The creditor's organisation id ...")
    creditor_uscc = serializers.CharField(required=False, help_text="... or its unified social credit code.")


class ReceivablePatchSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, required=False)
    issued_on = serializers.DateField(required=False)
    due_on = serializers.DateField(required=False)
    contract_reference = serializers.CharField(required=False, allow_blank=True, max_length=64)
    description = serializers.CharField(required=False, allow_blank=True, max_length=500)


class DocumentInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, OFD, XML, JPEG or PNG, at most 20 MB.")


class ConfirmInputSerializer(serializers.Serializer):
    fingerprint = serializers.CharField(
        required=False,
        help_text="The current_fingerprint you reviewed; if the receivable changed since, nothing is confirmed (409).",
    )


class BulkConfirmInputSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), help_text="Receivable ids; all or nothing.")
    organization = serializers.IntegerField(required=False, help_text="The debtor you act for, if several.")


class BulkConfirmResultSerializer(serializers.Serializer):
    confirmed = serializers.IntegerField()


class DisputeInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class SettleInputSerializer(serializers.Serializer):
    paid_on = serializers.DateField(required=False, help_text="Default: today.")
    reference = serializers.CharField(required=False, allow_blank=True, max_length=64)


class UploadInputSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, help_text=".xlsx or .csv with the template's columns.")
    as_debtor = serializers.BooleanField(default=False, help_text="The file holds your payables (confirmed at once).")
    dry_run = serializers.BooleanField(default=False, help_text="Check the file and report, saving nothing.")
    organization = serializers.IntegerField(required=False)
