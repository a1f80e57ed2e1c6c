"""Serializers of the loans-ledger API. They shape output and describe input for the schema: every write goes
through the services (services/loans.py, services/loan_imports.py), which validate the raw values themselves."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from finbridge.financing.choices import LoanClassification
from finbridge.financing.models import Loan, LoanImportRun, LoanStatusReport
from finbridge.financing.selectors.loans import can_record_for
from finbridge.financing.services.loan_imports import KINDS

AMOUNT: dict[str, Any] = {"max_digits": 18, "decimal_places": 2, "coerce_to_string": True}
RATE: dict[str, Any] = {"max_digits": 8, "decimal_places": 6, "coerce_to_string": True}


class LoanSerializer(serializers.ModelSerializer):
    """A loan with its flags and its current status (the latest monthly report)."""

    lender_name = serializers.CharField(source="lender.display_name", read_only=True)
    bank_name = serializers.CharField(source="bank.display_name", read_only=True)
    borrower_name = serializers.CharField(source="borrower.name", read_only=True)
    borrower_uscc = serializers.CharField(source="borrower.uscc", read_only=True)
    amount = serializers.DecimalField(**AMOUNT, read_only=True)
    annual_rate = serializers.DecimalField(**RATE, read_only=True)
    borrower_total_credit = serializers.DecimalField(**AMOUNT, read_only=True)
    outstanding_balance = serializers.DecimalField(**AMOUNT, read_only=True)
    recorded_at = serializers.DateTimeField(source="created_at", read_only=True)
    can_report_status = serializers.SerializerMethodField()

    class Meta:
        model = Loan
        fields = [
            "id",
            "reference",
            "lender",
            "lender_name",
            "bank",
            "bank_name",
            "borrower",
            "borrower_name",
            "borrower_uscc",
            "demand",
            "product",
            "amount",
            "disbursed_on",
            "maturity_on",
            "term_months",
            "annual_rate",
            "is_first_time",
            "is_renewal",
            "is_renewal_without_repayment",
            "is_credit",
            "is_tech_enterprise",
            "is_inclusive",
            "borrower_size_class",
            "borrower_total_credit",
            "outstanding_balance",
            "classification",
            "status_month",
            "source",
            "recorded_at",
            "can_report_status",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_can_report_status(self, loan: Loan) -> bool:
        """Whether the caller may report this loan's monthly status."""
        request = self.context.get("request")
        return bool(request) and can_record_for(actor=request.user, lender=loan.lender)


class LoanInputSerializer(serializers.Serializer):
    """A loan to record (schema only: the service validates the values). Amounts in CNY as decimal strings,
    the rate as a fraction (0.0345 is 3.45%), dates as YYYY-MM-DD."""

    lender = serializers.IntegerField(
        required=False, help_text=_("The lending bank office (id); needed when you record for several offices.")
    )
    borrower = serializers.IntegerField(required=False, help_text=_("The borrowing enterprise (id)."))
    borrower_uscc = serializers.CharField(required=False, help_text=_("Or its unified social credit code."))
    reference = serializers.CharField(max_length=64, help_text=_("The bank's loan contract number."))
    amount = serializers.DecimalField(**AMOUNT)
    disbursed_on = serializers.DateField()
    term_months = serializers.IntegerField(min_value=1, max_value=360)
    annual_rate = serializers.DecimalField(**RATE)
    maturity_on = serializers.DateField(required=False, allow_null=True, help_text=_("Default: disbursal + term."))
    is_first_time = serializers.BooleanField(
        required=False, allow_null=True, help_text=_("Null or left out: derived from the borrower's earlier loans.")
    )
    is_renewal = serializers.BooleanField(required=False, default=False)
    is_renewal_without_repayment = serializers.BooleanField(required=False, default=False)
    is_credit = serializers.BooleanField(required=False, default=False, help_text=_("No collateral, no guarantee."))
    demand = serializers.IntegerField(required=False, allow_null=True, help_text=_("The demand it funds (id)."))
    product = serializers.IntegerField(required=False, allow_null=True, help_text=_("The bank's product (id)."))


class StatusReportSerializer(serializers.ModelSerializer):
    """One monthly status report of a loan."""

    outstanding_balance = serializers.DecimalField(**AMOUNT, read_only=True)
    month = serializers.SerializerMethodField()
    reported_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = LoanStatusReport
        fields = ["id", "loan", "month", "outstanding_balance", "classification", "reported_by", "reported_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(help_text="YYYY-MM"))
    def get_month(self, report: LoanStatusReport) -> str:
        return f"{report.month:%Y-%m}"


class StatusReportInputSerializer(serializers.Serializer):
    """A monthly status to report (schema only: the service validates the values)."""

    month = serializers.CharField(help_text=_("The month reported on, YYYY-MM."))
    outstanding_balance = serializers.DecimalField(**AMOUNT)
    classification = serializers.ChoiceField(choices=LoanClassification.choices)


class LoanImportUploadSerializer(serializers.Serializer):
    """A file to import, checked by a dry run unless dry_run is false."""

    file = serializers.FileField(
        allow_empty_file=True, help_text=_("Loans or monthly statuses, .xlsx or .csv, with the template's columns.")
    )
    kind = serializers.ChoiceField(choices=[(k, k) for k in KINDS], default=KINDS[0])
    dry_run = serializers.BooleanField(
        default=True, help_text=_("Check the file and report what would happen, saving nothing (default).")
    )
    organization = serializers.IntegerField(
        required=False, help_text=_("The bank office importing; needed only when you record for several.")
    )


class LoanImportErrorSerializer(serializers.Serializer):
    """One problem of one row: the line, the column, the value as given, the outcome and the reason."""

    line = serializers.IntegerField()
    field = serializers.CharField(allow_blank=True)
    value = serializers.CharField(allow_blank=True)
    message = serializers.CharField()
    outcome = serializers.ChoiceField(choices=[("rejected", "rejected"), ("duplicate", "duplicate")])


class LoanImportRunSerializer(serializers.ModelSerializer):
    """An import run (dry or applied) with its counts."""

    organization_name = serializers.CharField(source="organization.display_name", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    report_url = serializers.SerializerMethodField()

    class Meta:
        model = LoanImportRun
        fields = [
            "id",
            "organization",
            "organization_name",
            "kind",
            "created_by",
            "created_at",
            "file_name",
            "file_sha256",
            "dry_run",
            "rows_total",
            "rows_created",
            "rows_duplicate",
            "rows_rejected",
            "report_url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_report_url(self, run: LoanImportRun) -> str | None:
        """Where to download the rows not imported as .xlsx (null when every row was created)."""
        if not (run.rows_rejected or run.rows_duplicate):
            return None
        path = reverse("api-loan-import-report", args=[run.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class LoanImportRunDetailSerializer(LoanImportRunSerializer):
    """An import run with every row not imported."""

    errors = LoanImportErrorSerializer(many=True, read_only=True)

    class Meta(LoanImportRunSerializer.Meta):
        fields = [*LoanImportRunSerializer.Meta.fields, "errors"]
        read_only_fields = fields
