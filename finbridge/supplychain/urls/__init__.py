"""Pages of supply-chain finance (mounted at /supplychain/, namespace "supplychain"), one URL module per area:
receivables, financing and vouchers; the chain database (urls/chain.py) and the overview (urls/overview.py)."""

from django.urls import include, path

app_name = "supplychain"

urlpatterns = [
    path("overview/", include("finbridge.supplychain.urls.overview")),
    path("receivables/", include("finbridge.supplychain.urls.receivables")),
    path("financing/", include("finbridge.supplychain.urls.financing")),
    path("vouchers/", include("finbridge.supplychain.urls.vouchers")),
    path("chain/", include("finbridge.supplychain.urls.chain")),
]
