"""Bulk import pages, included under enterprises/import/ in the "enterprises" namespace."""

from django.urls import path

from finbridge.enterprises import views_import

urlpatterns = [
    path("", views_import.import_view, name="import"),
    path("template/", views_import.import_template_view, name="import_template"),
    path("runs/<int:pk>/", views_import.import_run_view, name="import_run"),
    path("runs/<int:pk>/progress/", views_import.import_run_progress_view, name="import_run_progress"),
    path("runs/<int:pk>/report/", views_import.import_report_view, name="import_report"),
]
