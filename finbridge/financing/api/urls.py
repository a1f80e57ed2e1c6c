"""API of the financing app, one URL module per area (mounted at /api/v1/)."""

from django.urls import include, path

urlpatterns = [
    path("", include("finbridge.financing.api.urls_products")),
    path("", include("finbridge.financing.api.urls_demands")),
    path("", include("finbridge.financing.api.urls_matching")),
    path("", include("finbridge.financing.api.urls_loans")),
]
