"""API of the analytics app (mounted at /api/v1/)."""

from django.urls import path

from finbridge.analytics.api.views import LeagueTableView

urlpatterns = [path("league-table/", LeagueTableView.as_view(), name="api-league-table")]
