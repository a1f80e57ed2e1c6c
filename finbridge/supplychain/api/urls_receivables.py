"""API of supply-chain finance: receivables, payables and their spreadsheet uploads (under /api/v1/supplychain/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from finbridge.supplychain.api.receivables import PayableView, ReceivableImportViewSet, ReceivableViewSet

router = SimpleRouter()
router.register("supplychain/receivables", ReceivableViewSet, basename="api-sc-receivable")

runs = ReceivableImportViewSet.as_view({"get": "list", "post": "create"})
run = ReceivableImportViewSet.as_view({"get": "retrieve"})
report = ReceivableImportViewSet.as_view({"get": "report"})
apply = ReceivableImportViewSet.as_view({"post": "apply"})
template = ReceivableImportViewSet.as_view({"get": "template"})

urlpatterns = [
    *router.urls,
    path("supplychain/payables/", PayableView.as_view(), name="api-sc-payable-create"),
    path("supplychain/receivable-imports/", runs, name="api-sc-receivable-import-list"),
    path("supplychain/receivable-imports/template/", template, name="api-sc-receivable-import-template"),
    path("supplychain/receivable-imports/<int:pk>/", run, name="api-sc-receivable-import-detail"),
    path("supplychain/receivable-imports/<int:pk>/report/", report, name="api-sc-receivable-import-report"),
    path("supplychain/receivable-imports/<int:pk>/apply/", apply, name="api-sc-receivable-import-apply"),
]
