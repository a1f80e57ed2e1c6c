"""The pool row lock that serialises every movement of money and capacity in a pool."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from finbridge.core.errors import NotFound
from finbridge.riskpool.models import Pool


def pool_lock(pool: Pool | int | Any) -> Pool:
    """Re-read the pool with SELECT ... FOR UPDATE (a pool or its pk) and return the locked row.

    Must run inside transaction.atomic(); every service that moves money or capacity in a pool calls it first,
    so such writes on one pool happen one after the other. Raises NotFound for a missing pool."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("pool_lock() must run inside transaction.atomic()")
    pk = pool.pk if isinstance(pool, Pool) else pool
    try:
        return Pool.objects.select_for_update().get(pk=pk)
    except (Pool.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def refresh_instance(target: Pool, source: Pool) -> None:
    """Copy the balances a locked re-read holds onto an instance a caller still uses."""
    if target is source:
        return
    for name in ("cash_balance", "capital_total", "covered_balance", "status"):
        setattr(target, name, getattr(source, name))
