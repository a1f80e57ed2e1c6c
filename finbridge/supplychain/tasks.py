"""Celery tasks of supply-chain finance (listed in settings.CELERY_IMPORTS; scheduled by Celery beat).

Both runs are idempotent, so they may run more often than daily (after an outage, for example)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="supplychain.flag_overdue_receivables")
def flag_overdue_receivables() -> int:
    """Flag confirmed receivables unpaid after their due date and tell every party (services.settlement)."""
    from finbridge.supplychain.services.settlement import receivables_flag_overdue

    return receivables_flag_overdue()


@shared_task(name="supplychain.close_expired_financing_requests")
def close_expired_financing_requests() -> int:
    """Close open financing requests whose answer date has passed (services.financing)."""
    from finbridge.supplychain.services.financing import financing_requests_close_expired

    return financing_requests_close_expired()


@shared_task(name="supplychain.refresh_overview_months")
def refresh_overview_months() -> int:
    """Store the overview's figures of closed months that are missing or changed, so no reader waits for them
    (selectors.overview_months)."""
    from finbridge.supplychain.selectors.overview_months import refresh_recent_months

    return refresh_recent_months()
