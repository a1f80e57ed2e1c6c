"""API of the risk-sharing pool: enrolments, the loans a bank may enrol and their eligibility."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from finbridge.riskpool.api.enrolments import EnrolmentViewSet, PoolLoansViewSet

router = SimpleRouter()
router.register("riskpool/enrolments", EnrolmentViewSet, basename="api-riskpool-enrolment")

urlpatterns = [
    *router.urls,
    path(
        "riskpool/pools/<str:pk>/enrolable-loans/",
        PoolLoansViewSet.as_view({"get": "enrolable"}),
        name="api-riskpool-pool-enrolable-loans",
    ),
    path(
        "riskpool/pools/<str:pk>/eligibility/",
        PoolLoansViewSet.as_view({"get": "eligibility"}),
        name="api-riskpool-pool-eligibility",
    ),
]
