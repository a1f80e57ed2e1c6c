"""The overview page (included by urls/__init__.py under overview/; names in the "supplychain" namespace)."""

from django.urls import path

from finbridge.supplychain.views.overview import overview_view

urlpatterns = [path("", overview_view, name="overview")]
