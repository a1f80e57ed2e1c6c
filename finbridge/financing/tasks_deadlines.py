"""Background work of the demand deadlines: one periodic run (Celery beat) that expires, escalates and flags
overdue answers. The run is idempotent, so it may run as often as wanted (hourly by default)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="financing.check_demand_deadlines")
def check_demand_deadlines() -> dict[str, int]:
    """Expire, escalate and flag overdue demands now (services.demands.demand_deadlines_check)."""
    from finbridge.financing.services.demands import demand_deadlines_check

    return demand_deadlines_check()
