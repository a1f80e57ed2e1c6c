from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from finbridge.accounts.views import HomeView

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("accounts/", include("finbridge.accounts.urls")),
    path("enterprises/", include("finbridge.enterprises.urls")),
    path("audit/", include("finbridge.audit.urls")),
    path("financing/", include("finbridge.financing.urls")),
    path("riskpool/", include("finbridge.riskpool.urls")),
    path("supplychain/", include("finbridge.supplychain.urls")),
    path("notifications/", include("finbridge.notifications.urls")),
    path("analytics/", include("finbridge.analytics.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("config.api_urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
