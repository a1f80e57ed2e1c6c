"""Background matching: the two functions other areas call after commit, and the Celery tasks behind them.

The products area calls queue_product_matching on publish, edit and withdraw of a product; the demands
area calls queue_demand_matching on publish, edit, withdraw (and every other change of an open demand).
Tasks run eagerly in-process unless CELERY_TASK_ALWAYS_EAGER is off (production: a Celery worker).
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="financing.match_demand")
def match_demand(demand_id: int) -> int:
    """Recompute one demand's matches (services.matching.demand_match_refresh)."""
    from finbridge.financing.services.matching import demand_match_refresh

    return demand_match_refresh(demand_id=int(demand_id))


@shared_task(name="financing.match_product")
def match_product(product_id: int) -> int:
    """Recompute one product's matches against every open demand (services.matching.product_match_refresh)."""
    from finbridge.financing.services.matching import product_match_refresh

    return product_match_refresh(product_id=int(product_id))


@shared_task(name="financing.reprice_on_new_lpr")
def reprice_on_new_lpr() -> int:
    """Re-match floating products when a new one-year LPR takes effect today (services.lpr.lpr_reprice_due)."""
    from finbridge.financing.services.lpr import lpr_reprice_due

    return lpr_reprice_due()


def queue_demand_matching(demand_id: int) -> None:
    """Schedule recomputing one demand's matches (call it from transaction.on_commit)."""
    match_demand.delay(int(demand_id))


def queue_product_matching(product_id: int) -> None:
    """Schedule recomputing one product against the open demands (call it from transaction.on_commit)."""
    match_product.delay(int(product_id))
