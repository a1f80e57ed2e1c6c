"""Pages of the financing app: the loans ledger (under /financing/loans/)."""

from django.urls import path

from finbridge.financing.views import loans as views

urlpatterns = [
    path("", views.loan_list_view, name="loans-list"),
    path("new/", views.loan_create_view, name="loans-create"),
    path("<int:pk>/", views.loan_detail_view, name="loans-detail"),
    path("<int:pk>/status/", views.loan_report_status_view, name="loans-report-status"),
    path("import/", views.loan_import_view, name="loans-import"),
    path("import/template/", views.loan_import_template_view, name="loans-import-template"),
    path("import/runs/<int:pk>/", views.loan_import_run_view, name="loans-import-run"),
    path("import/runs/<int:pk>/report/", views.loan_import_report_view, name="loans-import-report"),
]
