"""API of supply-chain finance: financing requests, offers and registrations (under /api/v1/supplychain/)."""

from rest_framework.routers import SimpleRouter

from finbridge.supplychain.api.financing import FinancingRequestViewSet, OfferViewSet, RegistrationViewSet

router = SimpleRouter()
router.register("supplychain/financing-requests", FinancingRequestViewSet, basename="api-sc-financing-request")
router.register("supplychain/offers", OfferViewSet, basename="api-sc-offer")
router.register("supplychain/registrations", RegistrationViewSet, basename="api-sc-registration")

urlpatterns = router.urls
