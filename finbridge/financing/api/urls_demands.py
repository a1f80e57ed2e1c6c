"""API of the financing app: demands (mounted at /api/v1/)."""

from rest_framework.routers import SimpleRouter

from finbridge.financing.api.demands import DemandViewSet

router = SimpleRouter()
router.register("demands", DemandViewSet, basename="demand")

urlpatterns = router.urls
