"""Reads for the bulk import: which organisations a person imports for, their import runs and the progress
of runs in the background."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet

from finbridge.accounts.choices import GOVERNMENT_TYPES
from finbridge.accounts.models import Organization
from finbridge.accounts.roles import codes_for
from finbridge.core.errors import NotFound
from finbridge.enterprises import permissions as perms
from finbridge.enterprises.choices import ImportStatus
from finbridge.enterprises.models import ImportRun


def importing_organizations(*, actor: Any) -> list[Organization]:
    """The government organisations in which `actor`'s role allows importing enterprise lists.

    Any signed-in user may call it; an anonymous user or a user without such a membership gets [].
    """
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return []
    return [
        membership.organization
        for membership in actor.active_memberships
        if membership.organization.org_type in GOVERNMENT_TYPES
        and perms.IMPORT_ENTERPRISES in codes_for(membership.organization.org_type, membership.role)
    ]


def import_run_list(*, actor: Any) -> QuerySet[ImportRun]:
    """Import runs of the organisations `actor` imports for, newest first (none for anyone else)."""
    organization_ids = [org.pk for org in importing_organizations(actor=actor)]
    return (
        ImportRun.objects.filter(organization_id__in=organization_ids)
        .select_related("organization", "created_by")
        .defer("errors")
        .order_by("-created_at", "-pk")
    )


def import_run_get(*, actor: Any, pk: Any) -> ImportRun:
    """One import run of an organisation `actor` imports for, with its errors; NotFound otherwise."""
    organization_ids = [org.pk for org in importing_organizations(actor=actor)]
    try:
        return ImportRun.objects.select_related("organization", "created_by").get(
            pk=int(pk), organization_id__in=organization_ids
        )
    except (ImportRun.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def import_progress_key(pk: int) -> str:
    """The cache key under which a background worker reports how many rows of run `pk` it has processed
    (outside the import's transaction, which other connections cannot see into)."""
    return f"finbridge:enterprise-import:{pk}:rows-done"


def import_run_rows_done(run: ImportRun) -> int:
    """How many rows of a run (already fetched through import_run_get) have been processed: all once it is
    done, the worker's last report while it runs, none while it waits or after it failed."""
    if run.status == ImportStatus.DONE:
        return run.rows_total
    if run.status == ImportStatus.RUNNING:
        return min(int(cache.get(import_progress_key(run.pk)) or 0), run.rows_total)
    return 0
