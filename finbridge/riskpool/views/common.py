"""What every risk-pool page shares: sign-in and error handling, the pool header with its tabs, paging."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.selectors import actor_scope
from finbridge.core import pagination
from finbridge.core.errors import Conflict, DomainError
from finbridge.core.permissions import has_perm
from finbridge.enterprises.views import registry_page, wants_partial
from finbridge.riskpool import permissions as perms
from finbridge.riskpool.models import Pool
from finbridge.riskpool.selectors.pools import authority_ids, visible_institution_ids

__all__ = ["pool_context", "page_of", "riskpool_page", "status_of", "wants_partial"]

riskpool_page = registry_page
PAGE_SIZE = 25


@dataclass(frozen=True)
class Tab:
    key: str
    label: Any
    url: str


def is_pool_authority(actor: Any, pool: Pool, code: str = perms.MANAGE_POOL) -> bool:
    """Whether the actor holds `code` in the authority that runs the pool (what the services require)."""
    return has_perm(actor, code) and pool.authority_id in authority_ids(actor)


def pool_roles(actor: Any, pool: Pool) -> dict[str, bool]:
    """What the actor may do in the pool: flags the templates read."""
    government = actor_scope(actor).is_government
    institution = bool(visible_institution_ids(actor)) and not government
    return {
        "is_government": government,
        "is_institution": institution,
        "can_manage": is_pool_authority(actor, pool),
        "can_review": is_pool_authority(actor, pool, perms.REVIEW_CLAIM),
        "can_stress": is_pool_authority(actor, pool, perms.RUN_STRESS_TEST),
        "can_enrol": has_perm(actor, perms.ENROL_LOAN) and institution,
        "can_view_ledger": has_perm(actor, perms.VIEW_LEDGER),
    }


def pool_tabs(actor: Any, pool: Pool, roles: dict[str, bool]) -> list[Tab]:
    """The tabs of a pool's pages the actor may open."""
    pk = pool.pk
    tabs = [
        Tab("overview", _("Overview"), reverse("riskpool:pool-detail", args=[pk])),
        Tab("members", _("Members"), reverse("riskpool:members", args=[pk])),
        Tab("rules", _("Sharing rules"), reverse("riskpool:rules", args=[pk])),
        Tab("enrolments", _("Enrolments"), reverse("riskpool:enrolments", args=[pk])),
        Tab("claims", _("Claims"), reverse("riskpool:claims", args=[pk])),
        Tab("owed", _("Owed and recoveries"), reverse("riskpool:owed", args=[pk])),
    ]
    if roles["can_view_ledger"]:
        tabs.append(Tab("statement", _("Statement"), reverse("riskpool:statement", args=[pk])))
    tabs.append(Tab("risk", _("Risk control"), reverse("riskpool:risk", args=[pk])))
    if roles["is_government"]:
        tabs.append(Tab("stress", _("Stress test"), reverse("riskpool:stress", args=[pk])))
    return tabs


def pool_context(request: HttpRequest, pool: Pool, tab: str) -> dict[str, Any]:
    """The pool, the actor's roles in it and the tabs, for every page under a pool."""
    roles = pool_roles(request.user, pool)
    return {"pool": pool, "tab": tab, "tabs": pool_tabs(request.user, pool, roles), **roles}


def page_of(request: HttpRequest, queryset: Any, size: int = PAGE_SIZE) -> dict[str, Any]:
    """A page of a queryset with the capped count and the page links (templates: partials/_pagination.html)."""
    page = pagination.CappedPaginator(queryset, size).get_page(request.GET.get("page"))
    return {
        "page": page,
        "count": min(page.paginator.count, pagination.COUNT_CAP),
        "count_capped": page.paginator.count_capped,
        "page_range": list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)),
    }


def status_of(error: DomainError) -> int:
    """The HTTP status a page answers with when a service refused the input."""
    return 409 if isinstance(error, Conflict) else error.status_code
