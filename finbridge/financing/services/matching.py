"""Matching demands with products: computing and storing DemandMatch rows, and the notifications they cause.

The rules are in finbridge/financing/matching_rules.py (pure); this module reads the facts, asks the rules
and writes the results. Four ways in:

- demand_match_refresh(demand_id=...)    one demand against every available product (a demand was
                                         published, edited, withdrawn...: tasks_matching queues it);
- product_match_refresh(product_id=...)  one product against every open demand, in batches (a product was
                                         published, edited or withdrawn);
- matches_refresh_on_request(actor=..., demand=...)  the "refresh matches" button and API;
- matches_rebuild(...)                   many demands at once (loading data, repairs; no notifications).

What is stored: every fit, and for each demand its best MAX_NEAR_MISSES near misses (products failing one or
two criteria; fewest failures first, then highest score). A demand nearly fits hundreds of the 5,000 products
of a city (measured: about 110 fail one criterion and 520 two); nobody reads them all, and storing them all
would multiply the table by twenty. Availability (published, valid today) and the demand being open are
plain filters: unavailable products and closed demands have no matches at all.

Speed: candidates come from SQL statements that count, per pair, the criteria it fails (one CASE per
criterion of matching_rules.evaluate(), one side of each comparison fixed: `_products_for_demand_sql`,
`_demands_for_product_sql`), so that only fits and near misses reach Python; matches_rebuild reads the
products once into a matching_rules.ProductIndex (bitsets) instead. Property tests check that the SQL counts,
the index and evaluate() agree, and that the three ways store the same rows.

Notifications: when a demand newly fits a product (demand side), the product's provider is told once per
(demand, provider), if the demand is shown to it. When a product newly fits open demands (product side), each
firm is told once per (product, firm). A product published to thousands of demands therefore does not send
its provider thousands of notices: its inbox lists them.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.models import Organization
from finbridge.audit.services import log_event
from finbridge.core.errors import Conflict, PermissionDenied
from finbridge.core.money import quantize_rate
from finbridge.enterprises.choices import SizeClass, TechLabel
from finbridge.enterprises.models import Enterprise
from finbridge.financing import notices
from finbridge.financing.choices import (
    Collateral,
    LprTerm,
    ProductKind,
    ProductStatus,
    RateType,
)
from finbridge.financing.matching_rules import (
    MAX_FAILURES,
    NO_COLLATERAL,
    DemandFacts,
    FirmFacts,
    Named,
    ProductFacts,
    ProductIndex,
    compute_score,
    evaluate,
    founded_on_or_before,
    rate_fails,
    years_in_operation,
)
from finbridge.financing.models import Demand, DemandMatch, Loan, Product
from finbridge.financing.rates import effective_rate_with, lpr_rate_on
from finbridge.financing.selectors.demands import OPEN_STATUSES, demand_get, institutions_that_can_see
from finbridge.financing.selectors.matching import can_refresh_matches, demand_is_open
from finbridge.notifications.services import notify_organizations

BATCH_SIZE = 2000  # demands per batch of facts, evaluation and writes
MAX_NEAR_MISSES = 20  # near misses kept per demand: fewest failed criteria first, then highest score
MSG_NOT_OPEN = _("Matching runs only for a published demand that is still open.")
UPDATE_FIELDS = [
    "provider",
    "fits",
    "score",
    "failed_count",
    "reasons",
    "failures",
    "fast_track",
    "is_best",
    "demand_published_at",
    "computed_at",
]


@dataclass(frozen=True)
class MatchContext:
    """What every evaluation of one run shares: the day and the one-year LPR in force on it."""

    today: datetime.date
    lpr: Decimal | None


@dataclass(frozen=True)
class DemandRow:
    """A demand's facts and its firm's, with what the writes and notifications need."""

    demand: DemandFacts
    firm: FirmFacts
    published_at: datetime.datetime | None
    organization_id: int | None
    enterprise_name: str


@dataclass(slots=True)
class MatchRow:
    """One computed match, before it is written (a DemandMatch row without its id and notification dates)."""

    demand_id: int
    product_id: int
    provider_id: int
    fits: bool
    score: Decimal
    failed_count: int
    reasons: list[dict[str, Any]]
    failures: list[dict[str, Any]]
    fast_track: bool
    demand_published_at: datetime.datetime | None
    computed_at: datetime.datetime
    is_best: bool = False


def match_context(today: datetime.date | None = None) -> MatchContext:
    """The shared facts of a matching run on `today` (default: today)."""
    today = today or timezone.localdate()
    return MatchContext(today=today, lpr=lpr_rate_on(LprTerm.ONE_YEAR, today))


# ---- candidates in SQL -------------------------------------------------------------------------------------
#
# Each statement counts, per row, the criteria of matching_rules.evaluate() that fail, one CASE per criterion,
# with one side of the comparison fixed (the demand's facts, or the product's) and passed as parameters. A
# count is never higher than evaluate()'s (a NULL makes a CASE count 0), so no fit or near miss is lost; with
# well-formed data it is the same, which lets the demand side evaluate the two-failure candidates only when
# the one-failure near misses do not fill MAX_NEAR_MISSES.


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model: Any, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


class _Count:
    """The sum of one CASE per failed criterion, with its parameters, for PostgreSQL or SQLite."""

    def __init__(self) -> None:
        self.pg = connection.vendor == "postgresql"
        self.cases: list[str] = []
        self.params: list[Any] = []

    def fails_when(self, condition: str, *params: Any) -> None:
        self.cases.append(f"(CASE WHEN {condition} THEN 1 ELSE 0 END)")
        self.params.extend(params)

    def sql(self) -> str:
        return " + ".join(self.cases) or "0"

    @property
    def num(self) -> str:
        """A numeric parameter. SQLite receives decimals as text, and text compared with an expression is
        never equal nor smaller: cast it."""
        return "%s" if self.pg else "CAST(%s AS REAL)"

    # snippets (they return SQL and the parameters it needs)
    def placeholders(self, values: Sequence[Any]) -> str:
        return ", ".join(["%s"] * len(values))

    def json_nonempty(self, column: str) -> str:
        if self.pg:
            return f"(jsonb_typeof({column}) = 'array' AND {column} <> '[]'::jsonb)"
        return f"(json_type({column}) = 'array' AND json_array_length({column}) > 0)"

    def json_has_any(self, column: str, values: Sequence[str]) -> tuple[str, list[Any]]:
        """The JSON array column holds one of the texts `values` (false for none)."""
        if not values:
            return "1 = 0", []
        if self.pg:
            return f"jsonb_exists_any({column}, %s::text[])", [list(values)]
        return (
            f"EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value IN ({self.placeholders(values)}))",
            list(values),
        )

    def true(self, column: str) -> str:
        return column if self.pg else f"({column} = 1)"


def _prefixes(code: str) -> list[str]:
    """Every prefix of an industry code, upper case, the empty one included: C3670 -> "", C, C3, C36, C367,
    C3670 (none for a firm without a code: matching_rules fails it whatever the products list)."""
    code = code.upper()
    return [code[:n] for n in range(len(code) + 1)] if code else []


def _products_for_demand_sql(row: DemandRow, ctx: MatchContext) -> tuple[str, list[Any]]:
    """(product id, failed criteria) of every available product failing at most MAX_FAILURES criteria for
    this demand and firm."""
    demand, firm = row.demand, row.firm
    count = _Count()
    count.fails_when(f"p.amount_min > {count.num} OR p.amount_max < {count.num}", demand.amount, demand.amount)
    count.fails_when("p.term_min_months > %s OR p.term_max_months < %s", demand.term_months, demand.term_months)
    if demand.max_annual_rate is not None:
        # rates have six places: above the limit is at least 0.000001 above (robust to floats on SQLite)
        limit = quantize_rate(demand.max_annual_rate) + Decimal("0.0000005")
        lpr_rate = f"p.lpr_spread + {count.num}" if ctx.lpr is not None else "NULL"
        lpr_params = [ctx.lpr] if ctx.lpr is not None else []
        count.fails_when(
            f"p.kind <> %s AND ((p.rate_type = %s AND ({lpr_rate} > {count.num} OR {lpr_rate} IS NULL))"
            f" OR (p.rate_type <> %s AND p.fixed_rate > {count.num}))",
            ProductKind.GUARANTEE.value,
            RateType.LPR_SPREAD.value,
            *lpr_params,
            limit,
            *lpr_params,
            RateType.LPR_SPREAD.value,
            limit,
        )
    size_sql, size_params = count.json_has_any("p.eligible_size_classes", [firm.size_class] if firm.size_class else [])
    large = firm.size_class == SizeClass.LARGE
    count.fails_when(
        f"({count.true('p.msme_exclusive')} AND {'1 = 1' if large else '1 = 0'})"
        f" OR ({count.json_nonempty('p.eligible_size_classes')} AND NOT {size_sql})",
        *size_params,
    )
    industry_sql, industry_params = count.json_has_any("p.eligible_industries", _prefixes(firm.industry_code))
    count.fails_when(f"{count.json_nonempty('p.eligible_industries')} AND NOT {industry_sql}", *industry_params)
    pc = Product.eligible_clusters.through
    pc_product, pc_cluster = _column(pc, "product"), _column(pc, "industrialcluster")
    restricted = f"EXISTS (SELECT 1 FROM {_table(pc)} pc WHERE pc.{pc_product} = p.id)"
    clusters = sorted(firm.cluster_ids)
    if clusters:
        count.fails_when(
            f"{restricted} AND NOT EXISTS (SELECT 1 FROM {_table(pc)} pc WHERE pc.{pc_product} = p.id"
            f" AND pc.{pc_cluster} IN ({count.placeholders(clusters)}))",
            *clusters,
        )
    else:
        count.fails_when(restricted)
    ps = Product.eligible_subdistricts.through
    ps_product, ps_subdistrict = _column(ps, "product"), _column(ps, "subdistrict")
    restricted = f"EXISTS (SELECT 1 FROM {_table(ps)} ps WHERE ps.{ps_product} = p.id)"
    if firm.subdistrict is not None:
        count.fails_when(
            f"{restricted} AND NOT EXISTS (SELECT 1 FROM {_table(ps)} ps WHERE ps.{ps_product} = p.id"
            f" AND ps.{ps_subdistrict} = %s)",
            firm.subdistrict.id,
        )
    else:
        count.fails_when(restricted)
    labels_sql, labels_params = count.json_has_any("p.required_labels", list(firm.labels))
    count.fails_when(f"{count.json_nonempty('p.required_labels')} AND NOT {labels_sql}", *labels_params)
    years = years_in_operation(firm.established_on, ctx.today)
    count.fails_when("p.min_years_in_operation > %s", years if years is not None else 0)
    if firm.annual_revenue is None:
        count.fails_when("p.min_annual_revenue > 0")
    else:
        count.fails_when(f"p.min_annual_revenue > 0 AND p.min_annual_revenue > {count.num}", firm.annual_revenue)
    offered = [v for v in demand.collateral_offered if v not in NO_COLLATERAL]
    none_sql, none_params = count.json_has_any("p.collateral_required", sorted(NO_COLLATERAL))
    offered_sql, offered_params = count.json_has_any("p.collateral_required", offered)
    count.fails_when(
        f"p.kind <> %s AND {count.json_nonempty('p.collateral_required')} AND NOT {none_sql} AND NOT {offered_sql}",
        ProductKind.CREDIT_LOAN.value,
        *none_params,
        *offered_params,
    )
    if Collateral.GUARANTEE.value not in demand.collateral_offered:
        count.fails_when(count.true("p.guarantee_required"))
    sql = (
        f"SELECT id, failed FROM (SELECT p.id AS id, ({count.sql()}) AS failed FROM {_table(Product)} p"
        " WHERE p.status = %s AND (p.valid_from IS NULL OR p.valid_from <= %s)"
        " AND (p.valid_until IS NULL OR p.valid_until >= %s)) candidates"
        f" WHERE failed <= {MAX_FAILURES}"
    )
    return sql, [*count.params, ProductStatus.PUBLISHED.value, ctx.today, ctx.today]


def _demands_for_product_sql(product: ProductFacts, ctx: MatchContext) -> tuple[str, list[Any]]:
    """(demand id, failed criteria) of every open demand failing at most MAX_FAILURES criteria of this product."""
    count = _Count()
    count.fails_when(f"d.amount < {count.num} OR d.amount > {count.num}", product.amount_min, product.amount_max)
    count.fails_when("d.term_months < %s OR d.term_months > %s", product.term_min_months, product.term_max_months)
    if product.rate is not None:
        count.fails_when(
            f"d.max_annual_rate IS NOT NULL AND d.max_annual_rate + {count.num} < {count.num}",
            Decimal("0.0000005"),
            quantize_rate(product.rate),
        )
    elif product.rate_floats:
        count.fails_when("d.max_annual_rate IS NOT NULL")
    size_conditions = []
    size_params: list[Any] = []
    if product.msme_exclusive:
        size_conditions.append("e.size_class = %s")
        size_params.append(SizeClass.LARGE.value)
    if product.eligible_size_classes:
        size_conditions.append(f"e.size_class NOT IN ({count.placeholders(product.eligible_size_classes)})")
        size_params.extend(product.eligible_size_classes)
    if size_conditions:
        count.fails_when(" OR ".join(size_conditions), *size_params)
    if product.eligible_industries:
        prefixes = list(product.eligible_industries)
        matches = " OR ".join("substr(upper(e.industry_code), 1, %s) = %s" for _ in prefixes)
        count.fails_when(f"e.industry_code = '' OR NOT ({matches})", *[v for p in prefixes for v in (len(p), p)])
    if product.clusters:
        ec = Enterprise.clusters.through
        ids = [c.id for c in product.clusters]
        count.fails_when(
            f"NOT EXISTS (SELECT 1 FROM {_table(ec)} ec WHERE ec.{_column(ec, 'enterprise')} = e.id"
            f" AND ec.{_column(ec, 'industrialcluster')} IN ({count.placeholders(ids)}))",
            *ids,
        )
    if product.subdistricts:
        ids = [s.id for s in product.subdistricts]
        count.fails_when(f"e.subdistrict_id IS NULL OR e.subdistrict_id NOT IN ({count.placeholders(ids)})", *ids)
    if product.required_labels:
        held = [
            count.true("e." + connection.ops.quote_name(f"is_{label.value}"))
            for label in TechLabel
            if label.value in product.required_labels
        ]
        count.fails_when(f"NOT ({' OR '.join(held) or '1 = 0'})")
    if product.min_years_in_operation > 0:
        cutoff = founded_on_or_before(product.min_years_in_operation, ctx.today)
        count.fails_when("e.established_on IS NULL OR e.established_on > %s", cutoff)
    if product.min_annual_revenue is not None and product.min_annual_revenue > 0:
        count.fails_when(f"e.annual_revenue IS NULL OR e.annual_revenue < {count.num}", product.min_annual_revenue)
    accepted = [v for v in product.collateral_required if v not in NO_COLLATERAL]
    needs_collateral = (
        product.kind != ProductKind.CREDIT_LOAN and accepted and len(accepted) == len(product.collateral_required)
    )
    if needs_collateral:
        offered_sql, offered_params = count.json_has_any("d.collateral_offered", accepted)
        count.fails_when(f"NOT {offered_sql}", *offered_params)
    if product.guarantee_required:
        guarantee_sql, guarantee_params = count.json_has_any("d.collateral_offered", [Collateral.GUARANTEE.value])
        count.fails_when(f"NOT {guarantee_sql}", *guarantee_params)
    sql = (
        f"SELECT id, failed FROM (SELECT d.id AS id, ({count.sql()}) AS failed FROM {_table(Demand)} d"
        f" JOIN {_table(Enterprise)} e ON e.id = d.enterprise_id"
        f" WHERE d.status IN ({count.placeholders(OPEN_STATUSES)}) AND d.published_at IS NOT NULL) candidates"
        f" WHERE failed <= {MAX_FAILURES}"
    )
    return sql, [*count.params, *OPEN_STATUSES]


def _fetch(sql: str, params: list[Any]) -> list[tuple[int, int]]:
    """Run a candidate statement. On PostgreSQL the failure count is computed once (OFFSET 0 keeps the
    subquery from being flattened into a second copy in the WHERE clause) and without JIT compilation: the
    statement's estimated cost crosses jit_above_cost, and compiling takes longer than running it."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL jit = off")
            sql = sql.replace(") candidates WHERE", " OFFSET 0) candidates WHERE")
        cursor.execute(sql, params)
        return [(int(pk), int(failed)) for pk, failed in cursor.fetchall()]


def products_for_demand(row: DemandRow, ctx: MatchContext) -> list[tuple[int, int]]:
    """(product id, failed criteria) of the available products that fit or nearly fit the demand."""
    return _fetch(*_products_for_demand_sql(row, ctx))


def demands_for_product(product: ProductFacts, ctx: MatchContext) -> list[tuple[int, int]]:
    """(demand id, failed criteria) of the open demands the product fits or nearly fits."""
    return _fetch(*_demands_for_product_sql(product, ctx))


# ---- facts ---------------------------------------------------------------------------------------------


def _chunks(items: Sequence[Any], size: int = BATCH_SIZE) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _named_relations(through: Any, owner: str, target: str, ids: Sequence[int]) -> dict[int, list[Named]]:
    result: dict[int, list[Named]] = defaultdict(list)
    rows = (
        through.objects.filter(**{f"{owner}_id__in": ids})
        .order_by(f"{target}__code")
        .values_list(f"{owner}_id", f"{target}_id", f"{target}__name_zh", f"{target}__name_en")
    )
    for owner_id, target_id, name_zh, name_en in rows:
        result[owner_id].append(Named(id=target_id, zh=name_zh, en=name_en))
    return result


PRODUCT_FIELDS = (
    "id",
    "provider_id",
    "kind",
    "status",
    "amount_min",
    "amount_max",
    "term_min_months",
    "term_max_months",
    "rate_type",
    "fixed_rate",
    "lpr_spread",
    "valid_from",
    "valid_until",
    "eligible_size_classes",
    "msme_exclusive",
    "eligible_industries",
    "required_labels",
    "min_years_in_operation",
    "min_annual_revenue",
    "collateral_required",
    "guarantee_required",
    "suits_first_time_borrowers",
)


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        return ()
    return tuple(str(v) for v in value)


def product_facts(product_ids: Sequence[int], ctx: MatchContext) -> dict[int, ProductFacts]:
    """The matching facts of the given products, with their effective rate on ctx.today."""
    result: dict[int, ProductFacts] = {}
    for chunk in _chunks(list(product_ids)):
        clusters = _named_relations(Product.eligible_clusters.through, "product", "industrialcluster", chunk)
        subdistricts = _named_relations(Product.eligible_subdistricts.through, "product", "subdistrict", chunk)
        for row in Product.objects.filter(pk__in=chunk).values(*PRODUCT_FIELDS):
            guarantee = row["kind"] == ProductKind.GUARANTEE
            rate = None
            if not guarantee:  # six places already: the scores use it as it is
                rate = effective_rate_with(
                    rate_type=row["rate_type"], fixed_rate=row["fixed_rate"], lpr_spread=row["lpr_spread"], lpr=ctx.lpr
                )
            result[row["id"]] = ProductFacts(
                id=row["id"],
                provider_id=row["provider_id"],
                kind=row["kind"],
                status=row["status"],
                amount_min=row["amount_min"],
                amount_max=row["amount_max"],
                term_min_months=row["term_min_months"],
                term_max_months=row["term_max_months"],
                rate=rate,
                rate_floats=row["rate_type"] == RateType.LPR_SPREAD and not guarantee,
                valid_from=row["valid_from"],
                valid_until=row["valid_until"],
                eligible_size_classes=_strings(row["eligible_size_classes"]),
                msme_exclusive=row["msme_exclusive"],
                eligible_industries=_strings(row["eligible_industries"]),
                clusters=tuple(clusters.get(row["id"], ())),
                subdistricts=tuple(subdistricts.get(row["id"], ())),
                required_labels=_strings(row["required_labels"]),
                min_years_in_operation=row["min_years_in_operation"],
                min_annual_revenue=row["min_annual_revenue"],
                collateral_required=_strings(row["collateral_required"]),
                guarantee_required=row["guarantee_required"],
                suits_first_time_borrowers=row["suits_first_time_borrowers"],
            )
    return result


DEMAND_FIELDS = (
    "id",
    "amount",
    "term_months",
    "max_annual_rate",
    "collateral_offered",
    "published_at",
    "enterprise_id",
    "enterprise__name",
    "enterprise__organization_id",
    "enterprise__size_class",
    "enterprise__industry_code",
    "enterprise__subdistrict_id",
    "enterprise__subdistrict__name_zh",
    "enterprise__subdistrict__name_en",
    "enterprise__established_on",
    "enterprise__annual_revenue",
    *(f"enterprise__is_{label.value}" for label in TechLabel),
)


def demand_facts(demand_ids: Sequence[int]) -> dict[int, DemandRow]:
    """The matching facts of the given demands and of their firms (clusters, whether they have loans)."""
    result: dict[int, DemandRow] = {}
    for chunk in _chunks(list(demand_ids)):
        rows = list(Demand.objects.filter(pk__in=chunk).values(*DEMAND_FIELDS))
        enterprise_ids = sorted({row["enterprise_id"] for row in rows})
        clusters: dict[int, set[int]] = defaultdict(set)
        through = Enterprise.clusters.through
        for enterprise_id, cluster_id in through.objects.filter(enterprise_id__in=enterprise_ids).values_list(
            "enterprise_id", "industrialcluster_id"
        ):
            clusters[enterprise_id].add(cluster_id)
        borrowers = set(
            Loan.objects.filter(borrower_id__in=enterprise_ids)
            .order_by()
            .values_list("borrower_id", flat=True)
            .distinct()
        )
        for row in rows:
            enterprise_id = row["enterprise_id"]
            subdistrict_id = row["enterprise__subdistrict_id"]
            subdistrict = (
                Named(subdistrict_id, row["enterprise__subdistrict__name_zh"], row["enterprise__subdistrict__name_en"])
                if subdistrict_id is not None
                else None
            )
            firm = FirmFacts(
                enterprise_id=enterprise_id,
                size_class=row["enterprise__size_class"] or "",
                industry_code=row["enterprise__industry_code"] or "",
                cluster_ids=frozenset(clusters.get(enterprise_id, ())),
                subdistrict=subdistrict,
                labels=tuple(label.value for label in TechLabel if row[f"enterprise__is_{label.value}"]),
                established_on=row["enterprise__established_on"],
                annual_revenue=row["enterprise__annual_revenue"],
                has_loans=enterprise_id in borrowers,
            )
            demand = DemandFacts(
                id=row["id"],
                amount=row["amount"],
                term_months=row["term_months"],
                max_annual_rate=row["max_annual_rate"],
                collateral_offered=_strings(row["collateral_offered"]),
            )
            result[row["id"]] = DemandRow(
                demand=demand,
                firm=firm,
                published_at=row["published_at"],
                organization_id=row["enterprise__organization_id"],
                enterprise_name=row["enterprise__name"],
            )
    return result


# ---- evaluation and writes ---------------------------------------------------------------------------------


def evaluate_pairs(
    pairs: Iterable[tuple[int, int]],
    products: dict[int, ProductFacts],
    demands: dict[int, DemandRow],
    ctx: MatchContext,
    now: datetime.datetime,
) -> list[MatchRow]:
    """The matches of the pairs that fit or nearly fit, not yet written (is_best not yet set)."""
    matches = []
    for demand_id, product_id in pairs:
        product, row = products.get(product_id), demands.get(demand_id)
        if product is None or row is None:
            continue
        result = evaluate(product, row.demand, row.firm, ctx.today)
        if not result.is_kept:
            continue
        matches.append(
            MatchRow(
                demand_id=demand_id,
                product_id=product_id,
                provider_id=product.provider_id,
                fits=result.fits,
                score=result.score,
                failed_count=result.failed_count,
                reasons=result.reasons,
                failures=result.failures,
                fast_track=result.fast_track,
                demand_published_at=row.published_at,
                computed_at=now,
            )
        )
    return matches


def near_miss_rank(match: MatchRow) -> tuple[int, Decimal, int]:
    """Sort key of near misses: fewest failed criteria, then highest score, then product id."""
    return (match.failed_count, -match.score, match.product_id)


def _cap_near_misses(matches: list[MatchRow]) -> list[MatchRow]:
    """Every fit, and the best MAX_NEAR_MISSES near misses of each demand."""
    kept = [m for m in matches if m.fits]
    near: dict[int, list[MatchRow]] = defaultdict(list)
    for match in matches:
        if not match.fits:
            near[match.demand_id].append(match)
    for items in near.values():
        kept.extend(sorted(items, key=near_miss_rank)[:MAX_NEAR_MISSES])
    return kept


def matches_for_demand(
    row: DemandRow, ctx: MatchContext, products: dict[int, ProductFacts], now: datetime.datetime
) -> list[MatchRow]:
    """The demand's fits and its best MAX_NEAR_MISSES near misses (unsaved). `products` caches product facts
    (loaded on demand). Candidates failing two criteria in SQL are evaluated only when the near misses failing
    one do not fill the list."""
    candidates = products_for_demand(row, ctx)
    rows = {row.demand.id: row}

    def evaluate_some(product_ids: list[int]) -> list[MatchRow]:
        missing = sorted(set(product_ids) - set(products))
        if missing:
            products.update(product_facts(missing, ctx))
        return evaluate_pairs(((row.demand.id, pk) for pk in product_ids), products, rows, ctx, now)

    matches = evaluate_some([pk for pk, failed in candidates if failed < MAX_FAILURES])
    if sum(1 for m in matches if m.failed_count == 1) < MAX_NEAR_MISSES:
        matches += evaluate_some([pk for pk, failed in candidates if failed >= MAX_FAILURES])
    return _cap_near_misses(matches)


def matches_for_demand_indexed(
    row: DemandRow, index: ProductIndex, products: dict[int, ProductFacts], ctx: MatchContext, now: datetime.datetime
) -> list[MatchRow]:
    """matches_for_demand with the candidates from a ProductIndex (no query): every fit, and the best
    MAX_NEAR_MISSES near misses ranked by failed criteria and score before they are evaluated in full."""
    demand, firm = row.demand, row.firm
    fits, ones, twos = index.candidates(demand, firm)
    chosen = [index.products[p].id for p in fits]
    if len(ones) <= MAX_NEAR_MISSES:
        chosen += [index.products[p].id for p in ones]
        near, slots = twos, MAX_NEAR_MISSES - len(ones)
        failed = 2
    else:
        near, slots, failed = ones, MAX_NEAR_MISSES, 1
    ranked = []
    for position in near:
        product = index.products[position]
        score = compute_score(product, demand, firm, failed=failed, rate_failed=rate_fails(product, demand))
        ranked.append((-score, product.id))
    ranked.sort()
    chosen += [product_id for _score, product_id in ranked[:slots]]
    return evaluate_pairs(((demand.id, pk) for pk in chosen), products, {demand.id: row}, ctx, now)


def _near_miss_thresholds(demand_ids: Sequence[int], *, exclude_product: int) -> dict[int, tuple[int, Decimal, int]]:
    """For each given demand that already has MAX_NEAR_MISSES near misses of other products: the rank
    (near_miss_rank) of the last of them, which a newcomer must beat to be kept."""
    table = _table(DemandMatch)
    result: dict[int, tuple[int, Decimal, int]] = {}
    for chunk in _chunks(list(demand_ids)):
        placeholders = ", ".join(["%s"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT demand_id, failed_count, score, product_id FROM (SELECT demand_id, failed_count, score,"
                " product_id, ROW_NUMBER() OVER (PARTITION BY demand_id ORDER BY failed_count, score DESC, product_id)"
                f" AS position FROM {table} WHERE demand_id IN ({placeholders}) AND fits = %s AND product_id <> %s)"
                " ranked WHERE position = %s",
                [*chunk, False, exclude_product, MAX_NEAR_MISSES],
            )
            for demand_id, failed, score, product_id in cursor.fetchall():
                result[int(demand_id)] = (int(failed), -Decimal(score), int(product_id))
    return result


def _trim_near_misses(demand_ids: Sequence[int]) -> None:
    """Delete near misses beyond the best MAX_NEAR_MISSES of each given demand (after a product's refresh)."""
    table = _table(DemandMatch)
    for chunk in _chunks(list(demand_ids)):
        placeholders = ", ".join(["%s"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY"
                " demand_id ORDER BY failed_count, score DESC, product_id) AS position FROM"
                f" {table} WHERE demand_id IN ({placeholders}) AND fits = %s) ranked WHERE position > %s)",
                [*chunk, False, MAX_NEAR_MISSES],
            )


def _best_ids(rows: Iterable[tuple[int, int, int, Decimal, int]]) -> set[int]:
    """Of (match id, demand id, provider id, score, product id) rows of fits: the best per (demand, provider)."""
    best: dict[tuple[int, int], tuple[Decimal, int, int]] = {}
    for match_id, demand_id, provider_id, score, product_id in rows:
        key = (demand_id, provider_id)
        current = best.get(key)
        if current is None or (score, -product_id) > (current[0], -current[1]):
            best[key] = (score, product_id, match_id)
    return {value[2] for value in best.values()}


def _mark_best_in_memory(matches: list[MatchRow]) -> None:
    best: dict[tuple[int, int], MatchRow] = {}
    for match in matches:
        match.is_best = False
        if not match.fits:
            continue
        key = (match.demand_id, match.provider_id)
        current = best.get(key)
        if current is None or (match.score, -match.product_id) > (current.score, -current.product_id):
            best[key] = match
    for match in best.values():
        match.is_best = True


def _refresh_best(*, provider_id: int, demand_ids: Sequence[int]) -> None:
    """Recompute which of the provider's fitting products is its best for each of the given demands."""
    for chunk in _chunks(list(demand_ids)):
        rows = list(
            DemandMatch.objects.filter(provider_id=provider_id, demand_id__in=chunk).values_list(
                "id", "demand_id", "provider_id", "score", "product_id", "fits", "is_best"
            )
        )
        best = _best_ids((r[0], r[1], r[2], r[3], r[4]) for r in rows if r[5])
        to_true = [r[0] for r in rows if r[0] in best and not r[6]]
        to_false = [r[0] for r in rows if r[0] not in best and r[6]]
        if to_false:
            DemandMatch.objects.filter(pk__in=to_false).update(is_best=False)
        if to_true:
            DemandMatch.objects.filter(pk__in=to_true).update(is_best=True)


MATCH_COLUMNS = (
    "demand_id",
    "product_id",
    "provider_id",
    "fits",
    "score",
    "failed_count",
    "reasons",
    "failures",
    "fast_track",
    "is_best",
    "demand_published_at",
    "computed_at",
)
_UPSERT_TABLE = "financing_match_upsert"


def _upsert(matches: list[MatchRow]) -> None:
    """Insert or update the matches (unique on demand and product), keeping the notification dates. On
    PostgreSQL through COPY into a temporary table, many times faster than a multi-row INSERT."""
    if not matches:
        return
    if connection.vendor != "postgresql":
        for chunk in _chunks(matches):
            DemandMatch.objects.bulk_create(
                [DemandMatch(**{name: getattr(m, name) for name in MATCH_COLUMNS}) for m in chunk],
                update_conflicts=True,
                unique_fields=["demand", "product"],
                update_fields=UPDATE_FIELDS,
            )
        return
    columns = ", ".join(MATCH_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in MATCH_COLUMNS if c not in ("demand_id", "product_id"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_UPSERT_TABLE} (demand_id bigint, product_id bigint,"
            " provider_id bigint, fits boolean, score numeric(5, 2), failed_count smallint, reasons jsonb,"
            " failures jsonb, fast_track boolean, is_best boolean, demand_published_at timestamptz,"
            " computed_at timestamptz) ON COMMIT DELETE ROWS"
        )
        cursor.execute(f"TRUNCATE {_UPSERT_TABLE}")
        with cursor.cursor.copy(f"COPY {_UPSERT_TABLE} ({columns}) FROM STDIN") as copy:
            for m in matches:
                copy.write_row(
                    (
                        m.demand_id,
                        m.product_id,
                        m.provider_id,
                        m.fits,
                        m.score,
                        m.failed_count,
                        json.dumps(m.reasons, ensure_ascii=False),
                        json.dumps(m.failures, ensure_ascii=False),
                        m.fast_track,
                        m.is_best,
                        m.demand_published_at,
                        m.computed_at,
                    )
                )
        cursor.execute(
            f"INSERT INTO {_table(DemandMatch)} ({columns}) SELECT {columns} FROM {_UPSERT_TABLE}"
            f" ON CONFLICT (demand_id, product_id) DO UPDATE SET {updates}"
        )


def _delete(ids: Sequence[int]) -> None:
    for chunk in _chunks(list(ids)):
        DemandMatch.objects.filter(pk__in=chunk).delete()


# ---- notifications -------------------------------------------------------------------------------------------


def _matches_link(demand_id: int) -> str:
    return reverse("financing:matching-demand-matches", args=[demand_id])


def _amount_param(amount: Decimal) -> str:
    return f"¥{amount:,.2f}"


def _notify_providers(demand: Demand, new_fits: list[MatchRow], now: datetime.datetime) -> None:
    """Tell each provider with a newly fitting product, once per (demand, provider), if it can see the demand."""
    by_provider: dict[int, MatchRow] = {}
    for match in sorted(new_fits, key=lambda m: (-m.score, m.product_id)):
        by_provider.setdefault(match.provider_id, match)
    if not by_provider:
        return
    already = set(
        DemandMatch.objects.filter(
            demand_id=demand.pk, provider_id__in=list(by_provider), provider_notified_at__isnull=False
        ).values_list("provider_id", flat=True)
    )
    wanted = [pk for pk in by_provider if pk not in already]
    if not wanted:
        return
    providers = institutions_that_can_see(demand).filter(pk__in=wanted)
    names = dict(Product.objects.filter(pk__in=[by_provider[pk].product_id for pk in wanted]).values_list("pk", "name"))
    told = []
    for provider in providers:
        match = by_provider[provider.pk]
        notify_organizations(
            organizations=[provider],
            kind=notices.DEMAND_MATCHED,
            params={
                "enterprise": demand.enterprise.name,
                "amount": _amount_param(demand.amount),
                "product": names.get(match.product_id, ""),
            },
            link=_matches_link(demand.pk),
        )
        told.append(provider.pk)
    if told:
        DemandMatch.objects.filter(demand_id=demand.pk, provider_id__in=told, is_best=True).update(
            provider_notified_at=now
        )


def _notify_firms(
    product: Product, new_fits: list[MatchRow], rows: dict[int, DemandRow], now: datetime.datetime
) -> None:
    """Tell each firm with an open demand this product newly fits, once per (product, firm)."""
    by_firm: dict[int, MatchRow] = {}
    for match in new_fits:
        row = rows.get(match.demand_id)
        if row is not None and row.organization_id is not None:
            by_firm.setdefault(row.firm.enterprise_id, match)
    if not by_firm:
        return
    already = set(
        DemandMatch.objects.filter(
            product_id=product.pk, demand__enterprise_id__in=list(by_firm), firm_notified_at__isnull=False
        ).values_list("demand__enterprise_id", flat=True)
    )
    wanted = {enterprise_id: match for enterprise_id, match in by_firm.items() if enterprise_id not in already}
    if not wanted:
        return
    organizations = Organization.objects.in_bulk([rows[m.demand_id].organization_id for m in wanted.values()])
    provider_name = product.provider.name
    told = []
    for match in wanted.values():
        organization = organizations.get(rows[match.demand_id].organization_id)
        if organization is None or not organization.is_active:
            continue
        notify_organizations(
            organizations=[organization],
            kind=notices.PRODUCT_PUBLISHED_FOR_YOU,
            params={"provider": provider_name, "product": product.name},
            link=_matches_link(match.demand_id),
        )
        told.append(match.demand_id)
    for chunk in _chunks(told):
        DemandMatch.objects.filter(product_id=product.pk, demand_id__in=chunk).update(firm_notified_at=now)


# ---- services ------------------------------------------------------------------------------------------------


def _is_available(product: Product, today: datetime.date) -> bool:
    return (
        product.status == ProductStatus.PUBLISHED
        and (product.valid_from is None or product.valid_from <= today)
        and (product.valid_until is None or product.valid_until >= today)
    )


def demand_match_refresh(*, demand_id: int, today: datetime.date | None = None) -> int:
    """Recompute every product's match with one demand; returns how many matches (fits and near misses) it has.

    An open demand (published, taken up, under review or approved) is evaluated against every available
    product; a closed or unknown demand loses its matches. Providers whose product newly fits are notified
    once per (demand, provider) when the demand is shown to them. Called by the matching task (any time after
    the demand changed) and by matches_refresh_on_request; checks no permission; raises nothing.
    """
    now = timezone.now()
    with transaction.atomic():
        demand = (
            Demand.objects.select_for_update(of=("self",)).select_related("enterprise").filter(pk=demand_id).first()
        )
        if demand is None:
            return 0
        if not demand_is_open(demand):
            DemandMatch.objects.filter(demand_id=demand.pk).delete()
            return 0
        ctx = match_context(today)
        existing = dict(DemandMatch.objects.filter(demand_id=demand.pk).values_list("product_id", "fits"))
        row = demand_facts([demand.pk])[demand.pk]
        matches = matches_for_demand(row, ctx, {}, now)
        _mark_best_in_memory(matches)
        kept = {m.product_id for m in matches}
        stale = [pk for pk in existing if pk not in kept]
        if stale:
            DemandMatch.objects.filter(demand_id=demand.pk, product_id__in=stale).delete()
        _upsert(matches)
        new_fits = [m for m in matches if m.fits and not existing.get(m.product_id, False)]
        _notify_providers(demand, new_fits, now)
        return len(matches)


def product_match_refresh(*, product_id: int, today: datetime.date | None = None) -> int:
    """Recompute one product's matches with every open demand, in batches; returns how many it has.

    A product that is not available (draft, withdrawn, outside its validity dates) loses its matches. Each
    demand keeps its best MAX_NEAR_MISSES near misses. Firms whose open demand the product newly fits are
    notified once per (product, firm). The provider's best product per demand (its inbox row) is recomputed
    for every demand touched. Called by the matching task; checks no permission; raises nothing.
    """
    now = timezone.now()
    with transaction.atomic():
        product = (
            Product.objects.select_for_update(of=("self",)).select_related("provider").filter(pk=product_id).first()
        )
        if product is None:
            return 0
        ctx = match_context(today)
        existing = {
            demand_id: (match_id, fits)
            for match_id, demand_id, fits in DemandMatch.objects.filter(product_id=product.pk).values_list(
                "id", "demand_id", "fits"
            )
        }
        if not _is_available(product, ctx.today):
            _delete([match_id for match_id, _fits in existing.values()])
            _refresh_best(provider_id=product.provider_id, demand_ids=sorted(existing))
            return 0
        facts = product_facts([product.pk], ctx)
        candidates = sorted(demands_for_product(facts[product.pk], ctx))
        new_fits: list[MatchRow] = []
        rows_seen: dict[int, DemandRow] = {}
        kept: set[int] = set()
        fitting: set[int] = set()
        for chunk in _chunks(candidates):
            # a near miss that cannot enter the demand's best MAX_NEAR_MISSES is not even evaluated
            thresholds = _near_miss_thresholds([d for d, _failed in chunk], exclude_product=product.pk)
            wanted = [d for d, failed in chunk if failed == 0 or d not in thresholds or failed <= thresholds[d][0]]
            rows = demand_facts(wanted)
            matches = [
                m
                for m in evaluate_pairs(((d, product.pk) for d in wanted), facts, rows, ctx, now)
                if m.fits or m.demand_id not in thresholds or near_miss_rank(m) < thresholds[m.demand_id]
            ]
            _upsert(matches)
            _trim_near_misses([m.demand_id for m in matches if not m.fits])
            for match in matches:
                kept.add(match.demand_id)
                if match.fits:
                    fitting.add(match.demand_id)
                    if not existing.get(match.demand_id, (0, False))[1]:
                        new_fits.append(match)
                        rows_seen[match.demand_id] = rows[match.demand_id]
        _delete([match_id for demand_id, (match_id, _fits) in existing.items() if demand_id not in kept])
        # only fits take part in the provider's best product per demand
        was_fitting = {demand_id for demand_id, (_match_id, fits) in existing.items() if fits}
        _refresh_best(provider_id=product.provider_id, demand_ids=sorted(fitting | was_fitting))
        _notify_firms(product, new_fits, rows_seen, now)
        return DemandMatch.objects.filter(product_id=product.pk).count()


def matches_rebuild(
    *,
    demand_ids: Sequence[int] | None = None,
    today: datetime.date | None = None,
    batch_size: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Recompute the matches of many open demands (all when `demand_ids` is None), `batch_size` demands per
    transaction: for loading data and repairing. The available products are read once into a ProductIndex,
    so each demand costs no query of its own. `progress(done, total)` is called after each batch. Sends no
    notification; checks no permission; returns how many matches the demands have."""
    ctx = match_context(today)
    open_demands = Demand.objects.filter(status__in=OPEN_STATUSES, published_at__isnull=False)
    if demand_ids is not None:
        for chunk in _chunks(sorted(demand_ids)):
            DemandMatch.objects.filter(demand_id__in=chunk).exclude(demand__in=open_demands).delete()
        open_demands = open_demands.filter(pk__in=list(demand_ids))
    ids = list(open_demands.order_by("pk").values_list("pk", flat=True))
    available = Product.objects.filter(status=ProductStatus.PUBLISHED).filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=ctx.today),
        Q(valid_until__isnull=True) | Q(valid_until__gte=ctx.today),
    )
    products = product_facts(list(available.order_by("pk").values_list("pk", flat=True)), ctx)
    index = ProductIndex(list(products.values()), ctx.today)
    total = done = 0
    now = timezone.now()
    for chunk in _chunks(ids, batch_size):
        with transaction.atomic():
            rows = demand_facts(chunk)
            matches: list[MatchRow] = []
            for row in rows.values():
                matches += matches_for_demand_indexed(row, index, products, ctx, now)
            _mark_best_in_memory(matches)
            kept = {(m.demand_id, m.product_id) for m in matches}
            stale = [
                match_id
                for match_id, demand_id, product_id in DemandMatch.objects.filter(demand_id__in=chunk).values_list(
                    "id", "demand_id", "product_id"
                )
                if (demand_id, product_id) not in kept
            ]
            _delete(stale)
            _upsert(matches)
            total += len(matches)
        if progress is not None:
            done += len(chunk)
            progress(done, len(ids))
    return total


def matches_refresh_on_request(*, actor: Any, demand: Demand) -> int:
    """Recompute a demand's matches now ("refresh matches"); returns how many it has.

    Who may: the firm (financing.post_demand in its own organisation) or government staff whose remit covers
    the firm (financing.record_demand_on_behalf). Raises NotFound when the actor may not see the demand,
    PermissionDenied when they may see it but not refresh it, Conflict when the demand is not open.
    """
    demand = demand_get(actor=actor, pk=demand.pk)
    if not can_refresh_matches(actor=actor, demand=demand):
        raise PermissionDenied()
    if not demand_is_open(demand):
        raise Conflict(MSG_NOT_OPEN, code="demand_not_open")
    count = demand_match_refresh(demand_id=demand.pk)
    log_event(actor=actor, action="demand_matches_refresh", obj=demand, after={"matches": count})
    return count
