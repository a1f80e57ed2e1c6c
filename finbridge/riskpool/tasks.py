"""Celery tasks of this app (listed in settings.CELERY_IMPORTS). Every task is idempotent.

Beat schedule (config/settings): riskpool.release_repaid_enrolments, riskpool.check_risk and
riskpool.check_ledgers once a day (early morning, after the banks' monthly status imports of the night);
riskpool.fail_stale_stress_runs every 5 minutes.
"""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="riskpool.release_repaid_enrolments")
def release_repaid_enrolments() -> int:
    """Release covered loans whose outstanding balance is now zero (services.enrolment)."""
    from finbridge.riskpool.services.enrolment import enrolments_release_repaid

    return enrolments_release_repaid()


@shared_task(name="riskpool.check_risk")
def check_risk() -> dict[str, int]:
    """Suspend or resume banks on their non-performing ratio in every active pool, and refresh the pools'
    free-balance alerts (services.risk_control.risk_check_all)."""
    from finbridge.riskpool.services.risk_control import risk_check_all

    return risk_check_all()


@shared_task(name="riskpool.check_ledgers")
def check_ledgers() -> dict[str, int]:
    """Check the ledger invariants of every pool; log an error for each pool that breaks one."""
    from finbridge.riskpool.models import Pool
    from finbridge.riskpool.selectors.ledger import ledger_check_invariants

    broken = 0
    pools = Pool.objects.order_by("id")
    for pool in pools:
        report = ledger_check_invariants(pool)
        if not report.ok:
            broken += 1
            logger.error("riskpool ledger of pool %s breaks its invariants: %s", pool.pk, "; ".join(report.problems))
    return {"pools": pools.count(), "broken": broken}


@shared_task(name="riskpool.run_stress_test")
def run_stress_test(run_id: int) -> None:
    """Run a pending stress test (queued by services.stress.stress_test_start, or stored by stress_test_run with
    execute=False)."""
    from finbridge.riskpool.services.stress import stress_test_execute

    stress_test_execute(run_id=run_id)


@shared_task(name="riskpool.fail_stale_stress_runs")
def fail_stale_stress_runs() -> int:
    """Mark failed the stress tests whose worker never came or died (services.stress.stress_runs_fail_stale)."""
    from finbridge.riskpool.services.stress import stress_runs_fail_stale

    return stress_runs_fail_stale()
