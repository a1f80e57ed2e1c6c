"""Pages of the financing app: matching (under /financing/matching/)."""

from django.urls import path

from finbridge.financing.views import matching as views

urlpatterns = [
    path("demands/<int:pk>/", views.demand_matches_view, name="matching-demand-matches"),
    path("demands/<int:pk>/refresh/", views.demand_matches_refresh_view, name="matching-demand-refresh"),
    path("inbox/", views.inbox_view, name="matching-inbox"),
]
