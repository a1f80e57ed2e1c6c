"""API of the financing app: products (/api/v1/products/) and the LPR table (/api/v1/lpr-rates/)."""

from rest_framework.routers import SimpleRouter

from finbridge.financing.api import products as views

router = SimpleRouter()
router.register("products", views.ProductViewSet, basename="product")
router.register("lpr-rates", views.LprRateViewSet, basename="lpr-rate")

urlpatterns = router.urls
