from django.urls import path

from finbridge.accounts.views import HomeView

app_name = "audit"

urlpatterns = [
    path("", HomeView.as_view(), name="list"),
]
