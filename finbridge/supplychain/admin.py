"""Supply-chain finance in the Django admin, for platform operators: look up and read records and their history.

Read-only on purpose: every change goes through the services (who may act, status tables, the one-registration
rule, the audit trail and the notifications), which the pages, the API, the imports and the tasks use.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from finbridge.enterprises.admin import ReadOnlyAdminMixin
from finbridge.supplychain.models import (
    ChainImportRun,
    ChainPartner,
    FinancingRecommendation,
    Payment,
    Receivable,
    RecommendationRecipient,
    Registration,
    SummaryShare,
    TransactionSummary,
    Voucher,
)

# ---- chain databases --------------------------------------------------------------------------------------------


@admin.register(ChainPartner)
class ChainPartnerAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ["enterprise", "core", "direction", "since", "annual_volume", "payment_terms_days", "status"]
    list_filter = ["direction", "status"]
    search_fields = ["=enterprise__uscc", "enterprise__name", "core__name"]
    list_select_related = ["enterprise", "core"]
    show_full_result_count = False


class RecipientInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = RecommendationRecipient
    extra = 0
    fields = ["funder", "status", "viewed_at", "answered_at", "answer_note", "withdrawn_at"]


@admin.register(FinancingRecommendation)
class FinancingRecommendationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["chain_partner", "created_by", "created_at"]
    search_fields = ["=chain_partner__enterprise__uscc", "chain_partner__enterprise__name", "chain_partner__core__name"]
    list_select_related = ["chain_partner__enterprise", "chain_partner__core", "created_by"]
    date_hierarchy = "created_at"
    inlines = [RecipientInline]


@admin.register(RecommendationRecipient)
class RecommendationRecipientAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["recommendation", "funder", "status", "viewed_at", "answered_at", "withdrawn_at"]
    list_filter = ["status"]
    search_fields = ["funder__name", "recommendation__chain_partner__enterprise__name"]
    list_select_related = ["recommendation__chain_partner__enterprise", "recommendation__chain_partner__core", "funder"]


class ShareInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = SummaryShare
    extra = 0
    fields = ["funder", "shared_at", "shared_by", "withdrawn_at", "withdrawn_by"]


@admin.register(TransactionSummary)
class TransactionSummaryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["chain_partner", "period_start", "period_end", "volume", "transaction_count", "on_time_share"]
    search_fields = ["=chain_partner__enterprise__uscc", "chain_partner__enterprise__name", "chain_partner__core__name"]
    list_select_related = ["chain_partner__enterprise", "chain_partner__core"]
    inlines = [ShareInline]


@admin.register(SummaryShare)
class SummaryShareAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["summary", "funder", "shared_at", "withdrawn_at"]
    search_fields = ["funder__name", "summary__chain_partner__enterprise__name"]
    list_select_related = ["summary__chain_partner__enterprise", "funder"]


@admin.register(ChainImportRun)
class ChainImportRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "file_name",
        "core",
        "created_by",
        "created_at",
        "dry_run",
        "rows_total",
        "rows_created",
        "rows_updated",
        "rows_unchanged",
        "rows_rejected",
    ]
    list_filter = ["dry_run"]
    search_fields = ["file_name", "file_sha256", "core__name"]
    list_select_related = ["core", "created_by"]


# ---- receivables, registrations, vouchers, payments -------------------------------------------------------------


@admin.register(Receivable)
class ReceivableAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "invoice_number",
        "invoice_code",
        "creditor",
        "debtor",
        "amount",
        "issued_on",
        "due_on",
        "status",
        "is_overdue",
    ]
    list_filter = ["status", "source", "is_overdue"]
    search_fields = ["=invoice_number", "=invoice_code", "contract_reference", "creditor__name", "debtor__name"]
    list_select_related = ["creditor", "debtor"]
    date_hierarchy = "due_on"
    show_full_result_count = False


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "funder",
        "assignor",
        "kind",
        "face_amount",
        "advance_amount",
        "status",
        "registered_at",
        "released_at",
    ]
    list_filter = ["status", "kind", "release_reason"]
    search_fields = ["=number", "funder__name", "assignor__name", "=root_receivable__invoice_number"]
    list_select_related = ["funder", "assignor"]
    show_full_result_count = False


@admin.register(Voucher)
class VoucherAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["number", "holder", "tier", "amount", "status", "origin", "created_at"]
    list_filter = ["status", "origin", "tier"]
    search_fields = ["=number", "=root__number", "holder__name"]
    list_select_related = ["holder"]
    show_full_result_count = False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["receivable", "voucher", "payer", "payee", "payee_role", "amount", "due_on", "paid_on"]
    list_filter = ["payee_role"]
    search_fields = ["=receivable__invoice_number", "=voucher__number", "payer__name", "payee__name", "reference"]
    list_select_related = ["receivable", "voucher", "payer", "payee"]
    date_hierarchy = "paid_on"
    show_full_result_count = False
