"""Registry API routes under /api/v1/ (the bulk import API is in import_urls.py)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from finbridge.enterprises.api import views

router = SimpleRouter()
router.register("enterprises", views.EnterpriseViewSet, basename="enterprise")
router.register("consents", views.ConsentViewSet, basename="consent")
router.register("subdistricts", views.SubdistrictViewSet, basename="subdistrict")
router.register("clusters", views.ClusterViewSet, basename="cluster")
router.register("industries", views.IndustryViewSet, basename="industry")

urlpatterns = [
    path("", include("finbridge.enterprises.api.import_urls")),
    *router.urls,
]
