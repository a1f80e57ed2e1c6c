"""API of supply-chain finance (mounted at /api/v1/), one URL module per area: receivables, financing, vouchers,
the chain database and the overview."""

from django.urls import include, path

urlpatterns = [
    path("", include("finbridge.supplychain.api.urls_receivables")),
    path("", include("finbridge.supplychain.api.urls_financing")),
    path("", include("finbridge.supplychain.api.urls_vouchers")),
    path("", include("finbridge.supplychain.api.urls_chain")),
    path("", include("finbridge.supplychain.api.urls_overview")),
]
