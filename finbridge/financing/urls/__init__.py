"""Pages of the financing app, one URL module per area (mounted at /financing/)."""

from django.urls import include, path

app_name = "financing"

urlpatterns = [
    path("products/", include("finbridge.financing.urls.products")),
    path("demands/", include("finbridge.financing.urls.demands")),
    path("matching/", include("finbridge.financing.urls.matching")),
    path("loans/", include("finbridge.financing.urls.loans")),
]
