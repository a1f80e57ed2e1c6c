"""API of the risk-sharing pool: claims and their evidence and review, recoveries, owed amounts."""

from rest_framework.routers import SimpleRouter

from finbridge.riskpool.api.claims import ClaimViewSet, OwedViewSet, RecoveryViewSet

router = SimpleRouter()
router.register("riskpool/claims", ClaimViewSet, basename="api-riskpool-claim")
router.register("riskpool/recoveries", RecoveryViewSet, basename="api-riskpool-recovery")
router.register("riskpool/owed", OwedViewSet, basename="api-riskpool-owed")

urlpatterns = router.urls
