"""API of the financing app: the loans ledger (/api/v1/loans/, /api/v1/loans/{id}/status-reports/,
/api/v1/loan-imports/...) and, until config/api_urls.py includes finbridge.analytics.api.urls itself, the
league table (/api/v1/league-table/)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from finbridge.financing.api.loans import LoanImportViewSet, LoanViewSet

router = SimpleRouter()
router.register("loans", LoanViewSet, basename="loan")

runs = LoanImportViewSet.as_view({"get": "list", "post": "create"})
run = LoanImportViewSet.as_view({"get": "retrieve"})
apply = LoanImportViewSet.as_view({"post": "apply"})
report = LoanImportViewSet.as_view({"get": "report"})
template = LoanImportViewSet.as_view({"get": "template"})

urlpatterns = [
    *router.urls,
    path("loan-imports/", runs, name="api-loan-import-list"),
    path("loan-imports/template/", template, name="api-loan-import-template"),
    path("loan-imports/<int:pk>/", run, name="api-loan-import-detail"),
    path("loan-imports/<int:pk>/apply/", apply, name="api-loan-import-apply"),
    path("loan-imports/<int:pk>/report/", report, name="api-loan-import-report"),
    path("", include("finbridge.analytics.api.urls")),
]
