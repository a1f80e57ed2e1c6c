from django.urls import path

from finbridge.accounts.views import HomeView

app_name = "enterprises"

urlpatterns = [
    path("", HomeView.as_view(), name="list"),
    path("import/", HomeView.as_view(), name="import"),
    path("consents/", HomeView.as_view(), name="consents"),
]
