from django.urls import include, path

from finbridge.accounts.views import HomeView

app_name = "enterprises"

urlpatterns = [
    path("", HomeView.as_view(), name="list"),
    path("consents/", HomeView.as_view(), name="consents"),
    path("import/", include("finbridge.enterprises.urls_import")),
]
