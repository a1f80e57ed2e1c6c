"""URLs of the bulk import API, included by api/urls.py: /api/v1/enterprise-imports/..."""

from django.urls import path

from finbridge.enterprises.api.import_views import ImportRunViewSet

runs = ImportRunViewSet.as_view({"get": "list", "post": "create"})
run = ImportRunViewSet.as_view({"get": "retrieve"})
apply = ImportRunViewSet.as_view({"post": "apply"})
report = ImportRunViewSet.as_view({"get": "report"})
template = ImportRunViewSet.as_view({"get": "template"})

urlpatterns = [
    path("enterprise-imports/", runs, name="api-enterprise-import-list"),
    path("enterprise-imports/template/", template, name="api-enterprise-import-template"),
    path("enterprise-imports/<int:pk>/", run, name="api-enterprise-import-detail"),
    path("enterprise-imports/<int:pk>/apply/", apply, name="api-enterprise-import-apply"),
    path("enterprise-imports/<int:pk>/report/", report, name="api-enterprise-import-report"),
]
