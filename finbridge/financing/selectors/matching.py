"""Reads of matching results: a demand's ranked matches and an institution's inbox. Row visibility lives here.

Who sees a demand's matches (demand_matches): whoever may see the demand (selectors/demands.py):
- the firm and government staff (whose remit covers the firm): every match, fits and near misses;
- a bank or guarantor the demand is shown to: only the matches of its own products;
- anyone else: NotFound, exactly like a missing demand.
Only matches of products that are available today (published and within their validity dates) are shown.

The firm's figures (its revenue) appear in reasons only for readers who may see them: the firm, government,
and institutions holding a financials consent (enterprises.selectors.can_see_financials).

The institution inbox (institution_inbox): the open demands shown to the actor's bank or guarantor (visibility
"all", or "chosen" with it or its head office among the chosen) that fit one of its products and that it
has not answered yet; one row per demand (its best-scoring product), fast track first, then by score. It is
served by the partial index match_inbox_idx (provider, fast_track, score, demand WHERE fits AND is_best).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.choices import OrgType
from finbridge.accounts.selectors import actor_scope
from finbridge.core.errors import NotFound, PermissionDenied, ValidationFailed
from finbridge.core.permissions import require_perm
from finbridge.enterprises.selectors import can_see_financials, parse_id
from finbridge.financing import permissions as perms
from finbridge.financing.choices import DemandVisibility, ProductStatus
from finbridge.financing.matching_rules import render_outcomes
from finbridge.financing.models import Demand, DemandMatch, DemandResponse, Product
from finbridge.financing.selectors.demands import (
    OPEN_STATUSES,
    acting_organizations,
    demand_visible_queryset,
    lender_organizations,
    remit_organization,
)

INBOX_FILTERS = ("fast_track", "overdue", "product")
MSG_BAD_FILTER = _("%(value)s is not an accepted value.")
MSG_UNKNOWN_FILTER = _("Unknown filter.")
MSG_NOT_INSTITUTION = _("The inbox is for banks and guarantee agencies.")


def _available_products(today: datetime.date, prefix: str = "product__") -> Q:
    return (
        Q(**{f"{prefix}status": ProductStatus.PUBLISHED})
        & (Q(**{f"{prefix}valid_from__isnull": True}) | Q(**{f"{prefix}valid_from__lte": today}))
        & (Q(**{f"{prefix}valid_until__isnull": True}) | Q(**{f"{prefix}valid_until__gte": today}))
    )


# ---- a demand's matches ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatchAccess:
    """What the actor may read of a demand's matches: all of them, or only those of `provider_ids`; and
    whether the firm's figures may be shown in the reasons."""

    demand: Demand
    all_products: bool
    provider_ids: frozenset[int]
    show_figures: bool


def match_access(*, actor: Any, pk: Any) -> MatchAccess:
    """The actor's access to the matches of demand `pk`. Raises NotFound when the actor may not see the demand
    (or `pk` is not an id)."""
    record_id = parse_id(pk)
    if record_id is None:
        raise NotFound()
    # the demands area's visibility rule, without the relations its detail pages load
    found = list(demand_visible_queryset(actor=actor).filter(pk=record_id).select_related("enterprise").order_by()[:1])
    if not found:
        raise NotFound()
    demand = found[0]
    scope = actor_scope(actor)
    firm_org_id = demand.enterprise.organization_id
    is_firm = firm_org_id is not None and firm_org_id in scope.own_organization_ids
    if is_firm or scope.is_government:
        return MatchAccess(demand=demand, all_products=True, provider_ids=frozenset(), show_figures=True)
    providers = frozenset(o.pk for o in lender_organizations(actor=actor))
    return MatchAccess(
        demand=demand,
        all_products=False,
        provider_ids=providers,
        show_figures=bool(providers) and can_see_financials(actor=actor, enterprise=demand.enterprise),
    )


def can_refresh_matches(*, actor: Any, demand: Demand) -> bool:
    """Read-only guard: may the actor recompute this demand's matches on request? The firm (financing.post_demand
    in its own organisation) or government staff whose remit covers the firm (financing.record_demand_on_behalf).
    Says nothing of whether the demand is open."""
    firm_org_id = demand.enterprise.organization_id
    if firm_org_id is not None and any(
        org.pk == firm_org_id
        for org in acting_organizations(actor=actor, code=perms.POST_DEMAND, org_types=[OrgType.MSME])
    ):
        return True
    return remit_organization(actor=actor, enterprise=demand.enterprise) is not None


def demand_is_open(demand: Demand) -> bool:
    """Whether matching runs for the demand: published and still open (published, taken up, under review or
    approved)."""
    return demand.status in OPEN_STATUSES and demand.published_at is not None


def demand_matches(*, actor: Any, demand: Demand, access: MatchAccess | None = None) -> QuerySet[DemandMatch]:
    """The demand's matches the actor may see: fits first by score, then near misses by score.

    Any signed-in user who may see the demand (financing.view_demand); raises NotFound when they may not
    see it. Pass `access` (match_access) when the caller already has it.
    """
    require_perm(actor, perms.VIEW_DEMAND)
    access = access or match_access(actor=actor, pk=demand.pk)
    qs = DemandMatch.objects.filter(demand_id=access.demand.pk).filter(_available_products(timezone.localdate()))
    if not access.all_products:
        qs = qs.filter(provider_id__in=access.provider_ids)
    return qs.select_related("product", "provider").order_by("-fits", "failed_count", "-score", "product_id")


# What the API reads of a match, its product and its provider (plain values: building three model instances per
# match, with the products' JSON fields decoded, would cost more than the rest of the request).
MATCH_VALUES = (
    "fits",
    "score",
    "failed_count",
    "reasons",
    "failures",
    "fast_track",
    "computed_at",
    "product_id",
    "product__name",
    "product__name_en",
    "product__kind",
    "provider_id",
    "provider__name",
    "provider__name_en",
)


def demand_match_values(*, actor: Any, demand: Demand, access: MatchAccess | None = None) -> list[dict[str, Any]]:
    """demand_matches as plain dicts of MATCH_VALUES, in the same order (for the API). Same rules and errors."""
    rows = demand_matches(actor=actor, demand=demand, access=access).values(*MATCH_VALUES)
    with nested_loop_planning():
        return list(rows)


@dataclass(frozen=True)
class MatchView:
    """One match as readers see it: the stored row, with reasons and failures in the active language."""

    match: DemandMatch
    reasons: list[dict[str, str]]
    failures: list[dict[str, str]]

    @property
    def product(self) -> Product:
        return self.match.product


def match_views(matches: Any, *, show_figures: bool) -> list[MatchView]:
    """Render the given matches' reasons and failures (active language; figures hidden unless allowed)."""
    return [
        MatchView(
            match=m,
            reasons=render_outcomes(m.reasons, show_figures=show_figures),
            failures=render_outcomes(m.failures, show_figures=show_figures),
        )
        for m in matches
    ]


# ---- the institution inbox -----------------------------------------------------------------------------------


def _bad_filter(name: str, value: Any) -> ValidationFailed:
    message = str(MSG_BAD_FILTER) % {"value": str(value)[:40]}
    return ValidationFailed(message, code="invalid_filter", fields={name: [message]})


def _boolean(name: str, raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("", "any"):
        return None
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise _bad_filter(name, raw)


@dataclass(frozen=True)
class InboxFilters:
    fast_track: bool | None = None
    overdue: bool | None = None
    product: int | None = None


def parse_inbox_filters(filters: Mapping[str, Any] | None) -> InboxFilters:
    """The inbox filters from query parameters; ValidationFailed for an unknown name or a bad value."""
    filters = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    unknown = sorted(name for name in filters if name not in INBOX_FILTERS)
    if unknown:
        raise ValidationFailed(code="invalid_filter", fields={name: [str(MSG_UNKNOWN_FILTER)] for name in unknown})
    product = None
    if "product" in filters:
        product = parse_id(filters["product"])
        if product is None:
            raise _bad_filter("product", filters["product"])
    return InboxFilters(
        fast_track=_boolean("fast_track", filters["fast_track"]) if "fast_track" in filters else None,
        overdue=_boolean("overdue", filters["overdue"]) if "overdue" in filters else None,
        product=product,
    )


INBOX_COUNT_CAP = 1_000


@contextmanager
def nested_loop_planning() -> Iterator[None]:
    """Run the inbox's queries (its page and its count) and a demand's match queries inside this block. On
    PostgreSQL it turns off bitmap scans, hash joins and merge joins for the block's transaction.

    Every inbox query walks one provider's ranked matches (match_inbox_idx) and stops at a limit, which nested
    loops do in milliseconds; with filters (fast_track, overdue) the planner misjudges how many rows qualify
    and hashes every open demand first (measured 55-110 ms against 25-35 ms for the count at 200,000
    demands). A demand's matches (a few dozen rows) join their products by primary key; the planner
    overestimates the rows fourfold and hashes the whole product table instead (2.2-2.8 ms against 0.2-0.9
    ms at 5,000 products). Elsewhere: nothing."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_hashjoin = off")
        cursor.execute("SET LOCAL enable_mergejoin = off")
        yield


class InboxPaginator(Paginator):
    """Pages of the inbox. The count is exact up to INBOX_COUNT_CAP and INBOX_COUNT_CAP + 1 beyond (shown as
    "1,000+"; narrow the inbox with its filters). It is taken on the inbox's rows alone, without the relations
    a page loads, and in the inbox's order: PostgreSQL then walks match_inbox_idx with nested loops and stops
    at the cap (measured 25 ms at 200,000 demands), where an unordered count hashes every open demand first
    (75 ms)."""

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        queryset = self.object_list
        if hasattr(queryset, "select_related"):
            return queryset.select_related(None)[: INBOX_COUNT_CAP + 1].count()
        return len(queryset)

    @property
    def count_capped(self) -> bool:
        return self.count > INBOX_COUNT_CAP


def inbox_institution_ids(*, actor: Any) -> list[int]:
    """The banks and guarantors whose inbox the actor reads. PermissionDenied when none (or no
    financing.view_demand)."""
    require_perm(actor, perms.VIEW_DEMAND)
    ids = [o.pk for o in lender_organizations(actor=actor)]
    if not ids:
        raise PermissionDenied(MSG_NOT_INSTITUTION)
    return ids


def inbox_products(*, actor: Any) -> QuerySet[Product]:
    """The products whose fits fill the actor's inbox (for the product filter)."""
    ids = inbox_institution_ids(actor=actor)
    return (
        Product.objects.filter(provider_id__in=ids)
        .filter(_available_products(timezone.localdate(), ""))
        .order_by("name", "id")
    )


def institution_inbox(
    *, actor: Any, filters: Mapping[str, Any] | InboxFilters | None = None, today: datetime.date | None = None
) -> QuerySet[DemandMatch]:
    """The actor's institution inbox: one DemandMatch per open demand shown to it that fits one of its products
    and that it has not answered, fast track first, then by score (then newest demand). Each row carries
    `overdue` (the answer was due before today) and the demand with its enterprise.

    Filters: fast_track (true/false), overdue (true/false), product (id of one of its products: the demands
    that product fits). Banks and guarantors (any role); raises PermissionDenied for anyone else and
    ValidationFailed for bad filters.
    """
    parsed = filters if isinstance(filters, InboxFilters) else parse_inbox_filters(filters)
    ids = inbox_institution_ids(actor=actor)
    today = today or timezone.localdate()
    visible_to = set(ids) | {o.parent_id for o in lender_organizations(actor=actor) if o.parent_id}
    chosen = Demand.chosen_institutions.through.objects.filter(
        demand_id=OuterRef("demand_id"), organization_id__in=sorted(visible_to)
    )
    answered = DemandResponse.objects.filter(demand_id=OuterRef("demand_id"), institution_id__in=ids)
    qs = DemandMatch.objects.filter(provider_id__in=ids, fits=True)
    # one row per demand: the best product's, unless the filter names one product
    qs = qs.filter(product_id=parsed.product) if parsed.product is not None else qs.filter(is_best=True)
    qs = (
        qs.filter(demand__status__in=OPEN_STATUSES, demand__published_at__isnull=False)
        .filter(
            Q(demand__visibility=DemandVisibility.ALL) | Q(demand__visibility=DemandVisibility.CHOSEN) & Exists(chosen)
        )
        .filter(~Exists(answered))
        .filter(_available_products(today))
    )
    if parsed.fast_track is not None:
        qs = qs.filter(fast_track=parsed.fast_track)
    if parsed.overdue is True:
        qs = qs.filter(demand__respond_by__lt=today)
    elif parsed.overdue is False:
        qs = qs.filter(Q(demand__respond_by__isnull=True) | Q(demand__respond_by__gte=today))
    return (
        qs.annotate(
            overdue=Case(
                When(demand__respond_by__lt=today, then=Value(True)), default=Value(False), output_field=BooleanField()
            )
        )
        .select_related("demand", "demand__enterprise", "demand__enterprise__subdistrict", "product")
        .order_by("-fast_track", "-score", "-demand_id")
    )
