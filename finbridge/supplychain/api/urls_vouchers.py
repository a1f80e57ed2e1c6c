"""API of supply-chain finance: payment vouchers (under /api/v1/supplychain/)."""

from rest_framework.routers import SimpleRouter

from finbridge.supplychain.api.vouchers import VoucherViewSet

router = SimpleRouter()
router.register("supplychain/vouchers", VoucherViewSet, basename="api-sc-voucher")

urlpatterns = router.urls
