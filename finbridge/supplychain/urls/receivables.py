"""Pages of receivables and payables (under /supplychain/receivables/)."""

from django.urls import path

from finbridge.supplychain.views import imports
from finbridge.supplychain.views import receivables as views

urlpatterns = [
    path("", views.receivable_list_view, name="receivables-list"),
    path("new/", views.receivable_create_view, name="receivables-create"),
    path("payables/new/", views.payable_create_view, name="payables-create"),
    path("confirm/", views.receivable_confirm_bulk_view, name="receivables-confirm-bulk"),
    path("<int:pk>/", views.receivable_detail_view, name="receivables-detail"),
    path("<int:pk>/edit/", views.receivable_edit_view, name="receivables-edit"),
    path("<int:pk>/documents/", views.receivable_document_add_view, name="receivables-document-add"),
    path("<int:pk>/documents/<int:document_pk>/", views.receivable_document_view, name="receivables-document"),
    path("<int:pk>/confirm/", views.receivable_confirm_view, name="receivables-confirm"),
    path("<int:pk>/dispute/", views.receivable_dispute_view, name="receivables-dispute"),
    path("<int:pk>/withdraw/", views.receivable_withdraw_view, name="receivables-withdraw"),
    path("<int:pk>/issue-voucher/", views.receivable_issue_voucher_view, name="receivables-issue-voucher"),
    path("<int:pk>/settle/", views.receivable_settle_view, name="receivables-settle"),
    path("import/", imports.receivable_import_view, name="receivables-import"),
    path("import/template/", imports.receivable_import_template_view, name="receivables-import-template"),
    path("import/runs/<int:pk>/", imports.receivable_import_run_view, name="receivables-import-run"),
    path("import/runs/<int:pk>/report/", imports.receivable_import_report_view, name="receivables-import-report"),
]
