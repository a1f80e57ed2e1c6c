"""Pages of the analytics app (mounted at /analytics/, namespace "analytics")."""

from django.urls import path

from finbridge.analytics import views

app_name = "analytics"

urlpatterns = [
    path("league-table/", views.league_table_view, name="league-table"),
    path("league-table/export/", views.league_table_export_view, name="league-table-export"),
]
