"""API of the chain databases (under /api/v1/supplychain/chain/): partners, recommendations and each bank's copy,
transaction summaries and their shares, spreadsheet imports. Included by api/urls.py."""

from rest_framework.routers import SimpleRouter

from finbridge.supplychain.api.chain import (
    ChainImportViewSet,
    ChainPartnerViewSet,
    RecipientViewSet,
    RecommendationViewSet,
    SummaryShareViewSet,
    SummaryViewSet,
)

router = SimpleRouter()
router.register("supplychain/chain/partners", ChainPartnerViewSet, basename="api-sc-chain-partner")
router.register("supplychain/chain/recommendations", RecommendationViewSet, basename="api-sc-chain-recommendation")
router.register(
    "supplychain/chain/recommendation-recipients", RecipientViewSet, basename="api-sc-chain-recommendation-recipient"
)
router.register("supplychain/chain/summaries", SummaryViewSet, basename="api-sc-chain-summary")
router.register("supplychain/chain/summary-shares", SummaryShareViewSet, basename="api-sc-chain-summary-share")
router.register("supplychain/chain/imports", ChainImportViewSet, basename="api-sc-chain-import")

urlpatterns = router.urls
