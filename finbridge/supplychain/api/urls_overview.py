"""The overview endpoint (included by api/urls.py, mounted at /api/v1/)."""

from django.urls import path

from finbridge.supplychain.api.overview import OverviewView

urlpatterns = [path("supplychain/overview/", OverviewView.as_view(), name="api-sc-overview")]
