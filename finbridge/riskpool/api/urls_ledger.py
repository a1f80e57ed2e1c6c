"""API of the risk-sharing pool: statements, entries, the risk table and stress tests of a pool."""

from django.urls import path

from finbridge.riskpool.api.ledger import PoolLedgerViewSet

urlpatterns = [
    path(
        "riskpool/pools/<str:pk>/statement/",
        PoolLedgerViewSet.as_view({"get": "statement"}),
        name="api-riskpool-pool-statement",
    ),
    path(
        "riskpool/pools/<str:pk>/entries/",
        PoolLedgerViewSet.as_view({"get": "entries"}),
        name="api-riskpool-pool-entries",
    ),
    path("riskpool/pools/<str:pk>/risk/", PoolLedgerViewSet.as_view({"get": "risk"}), name="api-riskpool-pool-risk"),
    path(
        "riskpool/pools/<str:pk>/stress-runs/",
        PoolLedgerViewSet.as_view({"get": "stress_runs", "post": "run_stress"}),
        name="api-riskpool-pool-stress-runs",
    ),
    path(
        "riskpool/pools/<str:pk>/stress-runs/<str:run_pk>/",
        PoolLedgerViewSet.as_view({"get": "stress_run"}),
        name="api-riskpool-pool-stress-run",
    ),
]
