"""API of the financing app: matching (a demand's matches, refreshing them, the institution inbox)."""

from django.urls import path

from finbridge.financing.api import matching as views

urlpatterns = [
    path("demands/<int:pk>/matches/", views.DemandMatchesView.as_view(), name="api-demand-matches"),
    path(
        "demands/<int:pk>/matches/refresh/", views.DemandMatchesRefreshView.as_view(), name="api-demand-matches-refresh"
    ),
    path("inbox/", views.InboxView.as_view(), name="api-matching-inbox"),
]
