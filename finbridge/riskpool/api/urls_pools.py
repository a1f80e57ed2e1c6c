"""API of the risk-sharing pool: pools, members, rule versions and presets (under /api/v1/riskpool/)."""

from rest_framework.routers import SimpleRouter

from finbridge.riskpool.api.pools import MemberViewSet, PoolViewSet, PresetViewSet, RuleVersionViewSet

router = SimpleRouter()
router.register("riskpool/pools", PoolViewSet, basename="api-riskpool-pool")
router.register("riskpool/members", MemberViewSet, basename="api-riskpool-member")
router.register("riskpool/rule-versions", RuleVersionViewSet, basename="api-riskpool-rule-version")
router.register("riskpool/presets", PresetViewSet, basename="api-riskpool-preset")

urlpatterns = router.urls
