"""API of the risk-sharing pool, one URL module per area (mounted at /api/v1/, paths under riskpool/)."""

from django.urls import include, path

urlpatterns = [
    path("", include("finbridge.riskpool.api.urls_pools")),
    path("", include("finbridge.riskpool.api.urls_enrolments")),
    path("", include("finbridge.riskpool.api.urls_claims")),
    path("", include("finbridge.riskpool.api.urls_ledger")),
]
