from django.urls import path

from finbridge.accounts.views import HomeView

urlpatterns = [
    path("", HomeView.as_view(), name="import"),
]
