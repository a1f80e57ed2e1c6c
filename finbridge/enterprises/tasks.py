"""Background work of the registry: large enterprise imports, and failing the imports a worker dropped.

Tasks only call services. With CELERY_TASK_ALWAYS_EAGER (the default outside production, and in tests)
they run in-process at once; in production a Celery worker runs them (docs/operations.md).
"""

from __future__ import annotations

from celery import shared_task

# A 100,000-row file takes one to two minutes (docs/performance.md); the limits only stop a run gone wrong.
# The soft limit fails the run (rolled back, nothing changed); the hard one kills a worker that ignores it,
# and import_runs_fail_stale then marks its run failed.
SOFT_TIME_LIMIT_SECONDS = 60 * 60
TIME_LIMIT_SECONDS = SOFT_TIME_LIMIT_SECONDS + 5 * 60


@shared_task(soft_time_limit=SOFT_TIME_LIMIT_SECONDS, time_limit=TIME_LIMIT_SECONDS)
def run_enterprise_import(run_id: int) -> str | None:
    """Import (or check) the file of a queued import run; returns the run's final status.

    Never raises for a bad file or a failed import: the run is marked failed with the reason.
    """
    from finbridge.enterprises.services.importing import import_run_process

    run = import_run_process(pk=run_id)
    return run.status if run is not None else None


@shared_task
def fail_stale_enterprise_imports() -> int:
    """Mark failed the import runs that have waited or run for too long (schedule it every few minutes)."""
    from finbridge.enterprises.services.importing import import_runs_fail_stale

    return import_runs_fail_stale()


@shared_task(name="enterprises.refresh_expired_consent_columns")
def refresh_expired_consent_columns() -> int:
    """Daily: drop expired consents from the denormalised consent columns (migration 0005); returns how many
    enterprises were refreshed. Visibility is exact before it runs too, only slower for those rows."""
    from finbridge.enterprises.services.consents import consent_columns_refresh_expired

    return consent_columns_refresh_expired()
