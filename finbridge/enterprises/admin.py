"""The registry in the Django admin, for platform operators: look up and read records and their history.

Read-only on purpose: every change of a record must go through the services (remit checks, derived size
class and managing authority, audit trail), which the pages, the API and the import use.
"""

from typing import Any

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from finbridge.enterprises.models import Consent, Enterprise, EnterpriseContact, EnterpriseFinancials, ImportRun


class ReadOnlyAdminMixin:
    """View, search and filter; nobody adds, edits or deletes here."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class FinancialsInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = EnterpriseFinancials
    extra = 0


class ContactInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = EnterpriseContact
    extra = 0


@admin.register(Enterprise)
class EnterpriseAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "name",
        "uscc",
        "industry_code",
        "subdistrict",
        "size_class",
        "managing_authority",
        "verification_due_on",
        "updated_at",
    ]
    list_filter = ["size_class", "subdistrict", "is_high_tech", "is_srdi", "is_little_giant", "has_serious_bad_credit"]
    search_fields = ["=uscc", "name", "name_en"]
    list_select_related = ["subdistrict", "managing_authority"]
    show_full_result_count = False
    inlines = [FinancialsInline, ContactInline]


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["enterprise", "grantee", "scope", "granted_at", "expires_on", "revoked_at"]
    list_filter = ["scope", "grantee__org_type"]
    search_fields = ["=enterprise__uscc", "enterprise__name", "grantee__name"]
    list_select_related = ["enterprise", "grantee"]


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "file_name",
        "organization",
        "created_by",
        "created_at",
        "status",
        "background",
        "dry_run",
        "rows_total",
        "rows_created",
        "rows_updated",
        "rows_rejected",
    ]
    list_filter = ["status", "dry_run"]
    search_fields = ["file_name", "file_sha256"]
    list_select_related = ["organization", "created_by"]
