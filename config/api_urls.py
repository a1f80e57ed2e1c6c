from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("v1/", include("finbridge.accounts.api.urls")),
    path("v1/", include("finbridge.enterprises.api.urls")),
    path("v1/", include("finbridge.audit.api.urls")),
    path("v1/", include("finbridge.financing.api.urls")),
    path("v1/", include("finbridge.riskpool.api.urls")),
    path("v1/", include("finbridge.supplychain.api.urls")),
    path("v1/", include("finbridge.notifications.api.urls")),
]
