"""The matching rules: one product against one demand and its enterprise, criterion by criterion.

Pure functions over plain facts (no database access): services/matching.py reads the facts, calls
`evaluate()` and stores what it returns; selectors and pages call `render_outcomes()` to turn the stored
codes and parameters into sentences in the reader's language.

Every criterion yields either a reason the product fits (✓) or a failure (✗), each an *outcome*
`{"code": ..., "params": {...}}`; criteria a product does not restrict yield nothing. A product fits when
nothing fails; a product failing one or two criteria is a near miss (stored, with its failures); a product
failing more is not stored.

Criteria, in the order they are shown:
  available     published, and valid on the day (valid_from <= day <= valid_until)
  amount        amount_min <= demand amount <= amount_max
  term          term_min_months <= demand term <= term_max_months
  rate          effective rate (fixed, or one-year LPR in force + spread) <= the firm's highest acceptable rate
  size          size class among eligible_size_classes (empty: any); msme_exclusive excludes large firms
  industry      the firm's GB/T 4754 code starts with one of eligible_industries (empty: any)
  cluster       the firm belongs to one of eligible_clusters (empty: any)
  subdistrict   the firm's subdistrict among eligible_subdistricts (empty: any)
  labels        the firm holds at least one of required_labels (empty: none needed)
  years         full years from established_on to the day >= min_years_in_operation
  revenue       annual revenue >= min_annual_revenue
  collateral    the product accepts one of the collateral the firm offers (credit loans need none)
  guarantee     guarantee_required: the firm offers a third-party guarantee
Two further reasons raise the score without being criteria: first-time friendly (the product suits
first-time borrowers and the firm has no loan on the platform) and fast track (the firm holds a technology
label; the match is flagged `fast_track`).

Score (0–100, two decimals): amount closeness 30 + term closeness 20 + rate headroom 30 + first-time
friendly 10 + label-targeted product 10. A near miss scores the same way (a failed criterion contributes
nothing) minus 10 per failure, never below 0; the selectors rank fits before near misses anyway.
"""

from __future__ import annotations

import datetime
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import get_language, ngettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from finbridge.core.money import quantize_rate, to_decimal, yuan_to_wan
from finbridge.enterprises.choices import SizeClass, TechLabel
from finbridge.financing.choices import Collateral, ProductKind, ProductStatus

MAX_FAILURES = 2  # near misses fail at most this many criteria
WEIGHT_AMOUNT = Decimal(30)
WEIGHT_TERM = Decimal(20)
WEIGHT_RATE = Decimal(30)
WEIGHT_FIRST_TIME = Decimal(10)
WEIGHT_LABELS = Decimal(10)
FAILURE_PENALTY = Decimal(10)
# Without a highest acceptable rate, a rate is scored against this reference (about LPR + 3 points).
REFERENCE_RATE = Decimal("0.060000")
SCORE_PLACES = Decimal("0.01")
ONE = Decimal(1)
ZERO = Decimal(0)
HALF = Decimal("0.5")
NO_COLLATERAL = frozenset({"", Collateral.NONE.value})


# ---- facts ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Named:
    """A reference row (subdistrict, cluster) with its id and both names, for messages in either language."""

    id: int
    zh: str
    en: str

    def as_param(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


@dataclass(frozen=True)
class ProductFacts:
    """What matching needs of a product. `rate` is its effective annual rate on the day (None: a guarantee
    product, or a floating rate without an LPR in force)."""

    id: int
    provider_id: int
    kind: str
    status: str
    amount_min: Decimal
    amount_max: Decimal
    term_min_months: int
    term_max_months: int
    rate: Decimal | None = None
    rate_floats: bool = False
    valid_from: datetime.date | None = None
    valid_until: datetime.date | None = None
    eligible_size_classes: tuple[str, ...] = ()
    msme_exclusive: bool = True
    eligible_industries: tuple[str, ...] = ()
    clusters: tuple[Named, ...] = ()
    subdistricts: tuple[Named, ...] = ()
    required_labels: tuple[str, ...] = ()
    min_years_in_operation: int = 0
    min_annual_revenue: Decimal | None = None
    collateral_required: tuple[str, ...] = ()
    guarantee_required: bool = False
    suits_first_time_borrowers: bool = False


@dataclass(frozen=True)
class FirmFacts:
    """What matching needs of the enterprise behind a demand. `has_loans`: any loan on the platform."""

    enterprise_id: int
    size_class: str = ""
    industry_code: str = ""
    cluster_ids: frozenset[int] = frozenset()
    subdistrict: Named | None = None
    labels: tuple[str, ...] = ()
    established_on: datetime.date | None = None
    annual_revenue: Decimal | None = None
    has_loans: bool = False


@dataclass(frozen=True)
class DemandFacts:
    """What matching needs of a demand."""

    id: int
    amount: Decimal
    term_months: int
    max_annual_rate: Decimal | None = None
    collateral_offered: tuple[str, ...] = ()


@dataclass
class Evaluation:
    """The result of `evaluate()`: fits, score, reasons and failures (outcomes), fast-track flag."""

    fits: bool
    score: Decimal
    reasons: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    fast_track: bool = False

    @property
    def failed_count(self) -> int:
        return len(self.failures)

    @property
    def is_near_miss(self) -> bool:
        return 0 < len(self.failures) <= MAX_FAILURES

    @property
    def is_kept(self) -> bool:
        """Stored: a fit or a near miss."""
        return len(self.failures) <= MAX_FAILURES


# ---- helpers ----------------------------------------------------------------------------------------


def _outcome(code: str, **params: Any) -> dict[str, Any]:
    return {"code": code, "params": {k: _jsonable(v) for k, v in params.items()}}


_PLAIN = (str, int, bool, type(None))


def _jsonable(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is Decimal:
        return str(value)
    if kind is Named:
        return value.as_param()
    if isinstance(value, (list, tuple, frozenset, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def date_number(day: datetime.date) -> int:
    """A date as the number yyyymmdd (2024-03-01 -> 20240301)."""
    return day.year * 10000 + day.month * 100 + day.day


def years_in_operation(established_on: datetime.date | None, today: datetime.date) -> int | None:
    """Full years from `established_on` to `today` (None when the founding date is not recorded).

    (today as yyyymmdd - founding as yyyymmdd) // 10000 counts birthdays exactly: a firm founded on
    2022-06-16 has 2 full years on 2025-06-15 and 3 on 2025-06-16; one founded on 29 February has its
    anniversary on 1 March of other years.
    """
    if established_on is None:
        return None
    return max(0, (date_number(today) - date_number(established_on)) // 10000)


def founded_on_or_before(years: int, today: datetime.date) -> datetime.date:
    """The latest founding date that gives at least `years` full years on `today` (for SQL prefilters)."""
    target = date_number(today) - years * 10000
    year, rest = divmod(target, 10000)
    month, day = divmod(rest, 100)
    while True:
        try:
            return datetime.date(year, month, day)
        except ValueError:  # 29 February of a common year: the day before is the latest
            day -= 1


def _closeness(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    """1 at the middle of [low, high], 0.5 at either end, 0 outside."""
    if value < low or value > high:
        return ZERO
    if high == low:
        return ONE
    position = (value - low) / (high - low)
    return ONE - abs(2 * position - 1) * HALF


def _rate_fit(rate: Decimal | None, limit: Decimal | None) -> Decimal:
    """1 when the rate is at most half the firm's limit (or the reference rate), falling to 0 at the limit."""
    if rate is None:
        return HALF
    ceiling = limit if limit is not None and limit > 0 else REFERENCE_RATE
    if rate >= ceiling:
        return ZERO
    return min(ONE, (ceiling - rate) / (ceiling * HALF))


def _holds(offered: Iterable[str], wanted: Iterable[str]) -> list[str]:
    wanted_set = set(wanted)
    return [value for value in offered if value in wanted_set]


# ---- the criteria -----------------------------------------------------------------------------------


def evaluate(product: ProductFacts, demand: DemandFacts, firm: FirmFacts, today: datetime.date) -> Evaluation:
    """Evaluate `product` against `demand` of `firm` on `today`: every criterion's reason or failure, the
    score and the fast-track flag. Pure; raises nothing."""
    reasons: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []

    # available
    if product.status != ProductStatus.PUBLISHED:
        failures.append(_outcome("not_published"))
    elif product.valid_from is not None and product.valid_from > today:
        failures.append(_outcome("not_yet_valid", date=product.valid_from))
    elif product.valid_until is not None and product.valid_until < today:
        failures.append(_outcome("expired", date=product.valid_until))
    elif product.valid_until is not None:
        reasons.append(_outcome("available_until", date=product.valid_until))

    # amount
    amount, low, high = demand.amount, product.amount_min, product.amount_max
    if amount < low:
        failures.append(_outcome("amount_below_min", amount=amount, min=low))
    elif amount > high:
        failures.append(_outcome("amount_above_max", amount=amount, max=high))
    else:
        reasons.append(_outcome("amount_in_range", amount=amount, min=low, max=high))

    # term
    if demand.term_months < product.term_min_months:
        failures.append(_outcome("term_too_short", term=demand.term_months, min=product.term_min_months))
    elif demand.term_months > product.term_max_months:
        failures.append(_outcome("term_too_long", term=demand.term_months, max=product.term_max_months))
    else:
        reasons.append(
            _outcome("term_in_range", term=demand.term_months, min=product.term_min_months, max=product.term_max_months)
        )

    # rate
    rate = quantize_rate(product.rate) if product.rate is not None else None
    limit = quantize_rate(demand.max_annual_rate) if demand.max_annual_rate is not None else None
    rate_ok = True
    if rate is None:
        if product.rate_floats and limit is not None:
            failures.append(_outcome("rate_unknown", max=limit))
            rate_ok = False
    elif limit is None:
        reasons.append(_outcome("rate_no_limit", rate=rate))
    elif rate > limit:
        failures.append(_outcome("rate_above_max", rate=rate, max=limit))
        rate_ok = False
    else:
        reasons.append(_outcome("rate_within_max", rate=rate, max=limit))

    # size
    size = firm.size_class or ""
    if product.msme_exclusive and size == SizeClass.LARGE:
        failures.append(_outcome("msme_only", size=size))
    elif product.eligible_size_classes:
        if not size:
            failures.append(_outcome("size_unknown", classes=list(product.eligible_size_classes)))
        elif size not in product.eligible_size_classes:
            failures.append(_outcome("size_not_eligible", size=size, classes=list(product.eligible_size_classes)))
        else:
            reasons.append(_outcome("size_eligible", size=size, classes=list(product.eligible_size_classes)))
    elif product.msme_exclusive and size:
        reasons.append(_outcome("msme_eligible", size=size))

    # industry
    if product.eligible_industries:
        code = (firm.industry_code or "").upper()
        if code and any(code.startswith(prefix) for prefix in product.eligible_industries):
            reasons.append(_outcome("industry_eligible", industry=code, industries=list(product.eligible_industries)))
        else:
            failures.append(
                _outcome("industry_not_eligible", industry=code, industries=list(product.eligible_industries))
            )

    # cluster
    if product.clusters:
        held = [c for c in product.clusters if c.id in firm.cluster_ids]
        if held:
            reasons.append(_outcome("cluster_eligible", cluster=held[0]))
        else:
            failures.append(_outcome("cluster_not_eligible", clusters=list(product.clusters)))

    # subdistrict
    if product.subdistricts:
        here = firm.subdistrict
        if here is not None and any(s.id == here.id for s in product.subdistricts):
            reasons.append(_outcome("subdistrict_eligible", subdistrict=here))
        elif here is None:
            failures.append(_outcome("subdistrict_unknown", subdistricts=list(product.subdistricts)))
        else:
            failures.append(
                _outcome("subdistrict_not_eligible", subdistrict=here, subdistricts=list(product.subdistricts))
            )

    # labels
    if product.required_labels:
        held_labels = _holds(firm.labels, product.required_labels)
        if held_labels:
            reasons.append(_outcome("label_held", labels=held_labels))
        else:
            failures.append(_outcome("label_missing", labels=list(product.required_labels)))

    # years in operation
    if product.min_years_in_operation > 0:
        years = years_in_operation(firm.established_on, today)
        required = product.min_years_in_operation
        if years is None:
            failures.append(_outcome("years_unknown", required=required))
        elif years < required:
            failures.append(_outcome("years_short", required=required, years=years))
        else:
            reasons.append(_outcome("years_enough", required=required, years=years))

    # revenue
    if product.min_annual_revenue is not None and product.min_annual_revenue > 0:
        required_revenue = product.min_annual_revenue
        if firm.annual_revenue is None:
            failures.append(_outcome("revenue_unknown", required=required_revenue))
        elif firm.annual_revenue < required_revenue:
            failures.append(_outcome("revenue_short", required=required_revenue, revenue=firm.annual_revenue))
        else:
            reasons.append(_outcome("revenue_enough", required=required_revenue, revenue=firm.annual_revenue))

    # collateral
    offered = [value for value in demand.collateral_offered if value not in NO_COLLATERAL]
    accepted = [value for value in product.collateral_required if value not in NO_COLLATERAL]
    if product.kind == ProductKind.CREDIT_LOAN:
        reasons.append(_outcome("credit_no_collateral"))
    elif not accepted or len(accepted) < len(product.collateral_required):
        # nothing asked for, or "none" is among the accepted values
        reasons.append(_outcome("no_collateral_needed"))
    else:
        matching = _holds(offered, accepted)
        if matching:
            reasons.append(_outcome("collateral_accepted", collateral=matching))
        else:
            failures.append(_outcome("collateral_missing", accepted=accepted, offered=offered))

    # guarantee
    if product.guarantee_required:
        if Collateral.GUARANTEE.value in demand.collateral_offered:
            reasons.append(_outcome("guarantee_offered"))
        else:
            failures.append(_outcome("guarantee_missing"))

    # score-only reasons
    if product.suits_first_time_borrowers and not firm.has_loans:
        reasons.append(_outcome("first_time_friendly"))
    fast_track = bool(firm.labels)
    if fast_track:
        reasons.append(_outcome("fast_track", labels=list(firm.labels)))

    score = compute_score(product, demand, firm, failed=len(failures), rate_failed=not rate_ok)
    return Evaluation(fits=not failures, score=score, reasons=reasons, failures=failures, fast_track=fast_track)


def compute_score(
    product: ProductFacts, demand: DemandFacts, firm: FirmFacts, *, failed: int, rate_failed: bool
) -> Decimal:
    """The score of a pair that fails `failed` criteria (the rate among them when `rate_failed`): amount and
    term closeness, rate headroom, first-time friendliness, a label-targeted product; minus the failures."""
    total = WEIGHT_AMOUNT * _closeness(demand.amount, product.amount_min, product.amount_max)
    total += WEIGHT_TERM * _closeness(
        Decimal(demand.term_months), Decimal(product.term_min_months), Decimal(product.term_max_months)
    )
    if not rate_failed:
        total += WEIGHT_RATE * _rate_fit(product.rate, demand.max_annual_rate)
    if product.required_labels and _holds(firm.labels, product.required_labels):
        total += WEIGHT_LABELS
    if product.suits_first_time_borrowers and not firm.has_loans:
        total += WEIGHT_FIRST_TIME
    total -= FAILURE_PENALTY * failed
    return max(ZERO, min(Decimal(100), total)).quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)


def rate_fails(product: ProductFacts, demand: DemandFacts) -> bool:
    """Whether the rate criterion fails (above the firm's limit, or floating with no LPR and a limit set)."""
    if demand.max_annual_rate is None:
        return False
    if product.rate is None:
        return product.rate_floats
    return quantize_rate(product.rate) > quantize_rate(demand.max_annual_rate)


# ---- many products at once ----------------------------------------------------------------------------------


class _Threshold:
    """Products by one number, as bitsets: those whose number is at most (or at least) a value."""

    def __init__(self, items: Sequence[tuple[Any, int]]) -> None:
        ordered = sorted(items, key=lambda item: item[0])
        self.values = [value for value, _bit in ordered]
        self.prefix = [0]
        for _value, bit in ordered:
            self.prefix.append(self.prefix[-1] | bit)
        self.all = self.prefix[-1]

    def at_most(self, value: Any) -> int:
        return self.prefix[bisect_right(self.values, value)]

    def at_least(self, value: Any) -> int:
        return self.all & ~self.prefix[bisect_left(self.values, value)]


def _bits(mask: int) -> Iterator[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


class ProductIndex:
    """Many products' criteria as bitsets (one bit per product), to find in microseconds the products that
    fail at most MAX_FAILURES criteria for one demand, with the exact number each fails: the same criteria
    as evaluate(), counted without building the reasons. Built once for a batch of demands (matching many
    demands at once); pure."""

    def __init__(self, products: Sequence[ProductFacts], today: datetime.date) -> None:
        self.products = list(products)
        self.today = today
        everything = 0
        available = 0
        size_restricted = msme = 0
        size_accepts: dict[str, int] = {}
        industry_restricted = 0
        industry_accepts: dict[str, int] = {}
        cluster_restricted = 0
        cluster_accepts: dict[int, int] = {}
        subdistrict_restricted = 0
        subdistrict_accepts: dict[int, int] = {}
        label_restricted = 0
        label_accepts: dict[str, int] = {}
        collateral_free = 0
        collateral_accepts: dict[str, int] = {}
        guarantee_required = 0
        no_rate = 0  # guarantee products and fixed products without a rate: never fail the rate
        unknown_rate = 0  # floating without an LPR: fail whenever the firm sets a limit
        rates: list[tuple[Decimal, int]] = []
        no_revenue_minimum = 0
        revenues: list[tuple[Decimal, int]] = []
        amount_min, amount_max, term_min, term_max, years = [], [], [], [], []
        for index, product in enumerate(self.products):
            bit = 1 << index
            everything |= bit
            if (
                product.status == ProductStatus.PUBLISHED
                and (product.valid_from is None or product.valid_from <= today)
                and (product.valid_until is None or product.valid_until >= today)
            ):
                available |= bit
            amount_min.append((product.amount_min, bit))
            amount_max.append((product.amount_max, bit))
            term_min.append((product.term_min_months, bit))
            term_max.append((product.term_max_months, bit))
            if product.rate is not None:
                rates.append((quantize_rate(product.rate), bit))
            elif product.rate_floats:
                unknown_rate |= bit
            else:
                no_rate |= bit
            if product.msme_exclusive:
                msme |= bit
            if product.eligible_size_classes:
                size_restricted |= bit
                for value in product.eligible_size_classes:
                    size_accepts[value] = size_accepts.get(value, 0) | bit
            if product.eligible_industries:
                industry_restricted |= bit
                for prefix in product.eligible_industries:
                    industry_accepts[prefix] = industry_accepts.get(prefix, 0) | bit
            if product.clusters:
                cluster_restricted |= bit
                for cluster in product.clusters:
                    cluster_accepts[cluster.id] = cluster_accepts.get(cluster.id, 0) | bit
            if product.subdistricts:
                subdistrict_restricted |= bit
                for subdistrict in product.subdistricts:
                    subdistrict_accepts[subdistrict.id] = subdistrict_accepts.get(subdistrict.id, 0) | bit
            if product.required_labels:
                label_restricted |= bit
                for label in product.required_labels:
                    label_accepts[label] = label_accepts.get(label, 0) | bit
            years.append((product.min_years_in_operation, bit))
            if product.min_annual_revenue is not None and product.min_annual_revenue > 0:
                revenues.append((product.min_annual_revenue, bit))
            else:
                no_revenue_minimum |= bit
            accepted = [v for v in product.collateral_required if v not in NO_COLLATERAL]
            if (
                product.kind == ProductKind.CREDIT_LOAN
                or not accepted
                or len(accepted) < len(product.collateral_required)
            ):
                collateral_free |= bit
            else:
                for value in accepted:
                    collateral_accepts[value] = collateral_accepts.get(value, 0) | bit
            if product.guarantee_required:
                guarantee_required |= bit
        self.all = everything
        self.available = available
        self.amount_min, self.amount_max = _Threshold(amount_min), _Threshold(amount_max)
        self.term_min, self.term_max = _Threshold(term_min), _Threshold(term_max)
        self.rates, self.no_rate, self.unknown_rate = _Threshold(rates), no_rate, unknown_rate
        self.msme, self.size_restricted, self.size_accepts = msme, size_restricted, size_accepts
        self.industry_restricted, self.industry_accepts = industry_restricted, industry_accepts
        self.cluster_restricted, self.cluster_accepts = cluster_restricted, cluster_accepts
        self.subdistrict_restricted, self.subdistrict_accepts = subdistrict_restricted, subdistrict_accepts
        self.label_restricted, self.label_accepts = label_restricted, label_accepts
        self.years = _Threshold(years)
        self.revenues, self.no_revenue_minimum = _Threshold(revenues), no_revenue_minimum
        self.collateral_free, self.collateral_accepts = collateral_free, collateral_accepts
        self.guarantee_required = guarantee_required

    def _passes(self, demand: DemandFacts, firm: FirmFacts) -> list[int]:
        """One bitset per criterion: the products that pass it."""
        everything = self.all
        amount, term = demand.amount, demand.term_months
        passes = [
            self.available,
            self.amount_min.at_most(amount) & self.amount_max.at_least(amount),
            self.term_min.at_most(term) & self.term_max.at_least(term),
        ]
        if demand.max_annual_rate is None:
            passes.append(everything)
        else:
            passes.append(self.no_rate | self.rates.at_most(quantize_rate(demand.max_annual_rate)))
        size = firm.size_class or ""
        size_ok = (
            (everything & ~self.size_restricted) | self.size_accepts.get(size, 0)
            if size
            else everything & ~self.size_restricted
        )
        if size == SizeClass.LARGE:
            size_ok &= ~self.msme
        passes.append(size_ok)
        code = (firm.industry_code or "").upper()
        industry_ok = everything & ~self.industry_restricted
        if code:
            for length in range(len(code) + 1):
                industry_ok |= self.industry_accepts.get(code[:length], 0)
        passes.append(industry_ok)
        cluster_ok = everything & ~self.cluster_restricted
        for cluster_id in firm.cluster_ids:
            cluster_ok |= self.cluster_accepts.get(cluster_id, 0)
        passes.append(cluster_ok)
        subdistrict_ok = everything & ~self.subdistrict_restricted
        if firm.subdistrict is not None:
            subdistrict_ok |= self.subdistrict_accepts.get(firm.subdistrict.id, 0)
        passes.append(subdistrict_ok)
        label_ok = everything & ~self.label_restricted
        for label in firm.labels:
            label_ok |= self.label_accepts.get(label, 0)
        passes.append(label_ok)
        years = years_in_operation(firm.established_on, self.today)
        passes.append(self.years.at_most(years if years is not None else 0))
        revenue_ok = self.no_revenue_minimum
        if firm.annual_revenue is not None:
            revenue_ok |= self.revenues.at_most(firm.annual_revenue)
        passes.append(revenue_ok)
        collateral_ok = self.collateral_free
        for value in demand.collateral_offered:
            if value not in NO_COLLATERAL:
                collateral_ok |= self.collateral_accepts.get(value, 0)
        passes.append(collateral_ok)
        if Collateral.GUARANTEE.value in demand.collateral_offered:
            passes.append(everything)
        else:
            passes.append(everything & ~self.guarantee_required)
        return passes

    def candidates(self, demand: DemandFacts, firm: FirmFacts) -> tuple[list[int], list[int], list[int]]:
        """The indexes (into `products`) of the products failing exactly 0, 1 and 2 criteria."""
        everything = self.all
        ones = twos = more = 0
        for passing in self._passes(demand, firm):
            failing = everything & ~passing
            more |= twos & failing
            twos |= ones & failing
            ones |= failing
        exactly_two = twos & ~more
        exactly_one = ones & ~twos
        none = everything & ~ones
        return list(_bits(none)), list(_bits(exactly_one)), list(_bits(exactly_two))


# ---- messages ---------------------------------------------------------------------------------------

# Every message: English msgid with named placeholders. A tuple is a plural (singular, plural, count key).
MESSAGES: dict[str, Any] = {
    # reasons (✓)
    "available_until": _("published and open for applications until %(date)s"),
    "amount_in_range": _("lends %(min)s to %(max)s; this demand asks for %(amount)s"),
    "term_in_range": _("terms of %(min)s to %(max)s months; this demand asks for %(term)s months"),
    "rate_within_max": _("rate %(rate)s a year, within the firm's limit of %(max)s"),
    "rate_no_limit": _("rate %(rate)s a year (the firm set no limit)"),
    "size_eligible": _("for %(classes)s firms; this firm is %(size)s"),
    "msme_eligible": _("for MSMEs; this firm is %(size)s"),
    "industry_eligible": _("for the industries %(industries)s; this firm is in %(industry)s"),
    "cluster_eligible": _("for its industrial clusters; this firm is in %(cluster)s"),
    "subdistrict_eligible": _("for its subdistricts; this firm is in %(subdistrict)s"),
    "label_held": _("for technology firms; this firm is labelled %(labels)s"),
    "years_enough": ngettext_lazy(
        "needs %(required)s year in operation; this firm has %(years)s",
        "needs %(required)s years in operation; this firm has %(years)s",
        "required",
    ),
    "revenue_enough": _("needs annual revenue of at least %(required)s; this firm has %(revenue)s"),
    "credit_no_collateral": _("credit loan: no collateral needed"),
    "no_collateral_needed": _("no collateral needed"),
    "collateral_accepted": _("accepts %(collateral)s as collateral, which this firm offers"),
    "guarantee_offered": _("needs a third-party guarantee, which this firm offers"),
    "first_time_friendly": _("suits first-time borrowers; this firm has no loan on the platform yet"),
    "fast_track": _("technology firm (%(labels)s): fast track"),
    # failures (✗)
    "not_published": _("the product is not published"),
    "not_yet_valid": _("open for applications from %(date)s"),
    "expired": _("closed for applications on %(date)s"),
    "amount_below_min": _("lends at least %(min)s; this demand asks for %(amount)s"),
    "amount_above_max": _("lends at most %(max)s; this demand asks for %(amount)s"),
    "term_too_short": _("terms of at least %(min)s months; this demand asks for %(term)s months"),
    "term_too_long": _("terms of at most %(max)s months; this demand asks for %(term)s months"),
    "rate_above_max": _("rate %(rate)s a year, above the firm's limit of %(max)s"),
    "rate_unknown": _("floating rate with no LPR in force, so it cannot be compared with the firm's limit of %(max)s"),
    "msme_only": _("for MSMEs only; this firm is %(size)s"),
    "size_not_eligible": _("for %(classes)s firms; this firm is %(size)s"),
    "size_unknown": _("for %(classes)s firms; this firm's size class is not known"),
    "industry_not_eligible": _("for the industries %(industries)s; this firm is in %(industry)s"),
    "cluster_not_eligible": _("for firms in %(clusters)s; this firm is in none of them"),
    "subdistrict_not_eligible": _("for firms in %(subdistricts)s; this firm is in %(subdistrict)s"),
    "subdistrict_unknown": _("for firms in %(subdistricts)s; this firm's subdistrict is not recorded"),
    "label_missing": _("needs one of the labels %(labels)s; this firm holds none"),
    "years_short": ngettext_lazy(
        "needs %(required)s year in operation; this firm has %(years)s",
        "needs %(required)s years in operation; this firm has %(years)s",
        "required",
    ),
    "years_unknown": ngettext_lazy(
        "needs %(required)s year in operation; this firm's founding date is not recorded",
        "needs %(required)s years in operation; this firm's founding date is not recorded",
        "required",
    ),
    "revenue_short": _("needs annual revenue of at least %(required)s; this firm has %(revenue)s"),
    "revenue_unknown": _("needs annual revenue of at least %(required)s; this firm's revenue is not recorded"),
    "collateral_missing": _("needs collateral (%(accepted)s); this firm offers %(offered)s"),
    "guarantee_missing": _("needs a third-party guarantee; this firm offers none"),
}
# Shown instead when the reader may not see the firm's figures (an institution without a financials consent).
REDACTED_MESSAGES: dict[str, Any] = {
    "revenue_enough": _("needs annual revenue of at least %(required)s; this firm has that much"),
    "revenue_short": _("needs annual revenue of at least %(required)s; this firm has less"),
}
# Parameters that reveal the firm's figures.
FIGURE_PARAMS = frozenset({"revenue"})
UNKNOWN_MESSAGE = _("criterion %(code)s")

# How each parameter is shown.
_MONEY_PARAMS = frozenset({"amount", "min_amount", "max_amount", "required", "revenue"})
_AMOUNT_CODES = frozenset({"amount_in_range", "amount_below_min", "amount_above_max"})
_RATE_PARAMS = frozenset({"rate", "max"})
_RATE_CODES = frozenset({"rate_within_max", "rate_no_limit", "rate_above_max", "rate_unknown"})
_REVENUE_CODES = frozenset({"revenue_enough", "revenue_short", "revenue_unknown"})


def _is_zh() -> bool:
    return (get_language() or "zh-hans").startswith("zh")


def _join(items: Sequence[str]) -> str:
    return ("、" if _is_zh() else ", ").join(items)


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label).lower() if not _is_zh() else str(choices(value).label)
    except ValueError:
        return str(value)


def _size_label(value: Any) -> str:
    return _label(SizeClass, value)


def _tech_label(value: Any) -> str:
    try:
        return str(TechLabel(value).label)
    except ValueError:
        return str(value)


def _collateral_label(value: Any) -> str:
    return _label(Collateral, value)


def _named(value: Any) -> str:
    if isinstance(value, Mapping):
        return str(value.get("zh") if _is_zh() else value.get("en") or value.get("zh") or "")
    return str(value)


MONEY_TEXT = _("%(amount)s ten-thousand yuan")  # the msgid of the `money` template filter


def format_money(value: Any) -> str:
    """An amount in CNY yuan shown in 万元 with the unit, as the `money` template filter shows it (English and
    Chinese group digits alike, 1,234.56), without Babel's per-call cost: a list of matches shows hundreds."""
    try:
        wan = yuan_to_wan(to_decimal(value))
    except ValueError:
        return str(value)
    return str(MONEY_TEXT) % {"amount": f"{wan:,.2f}"}


def format_rate(value: Any) -> str:
    """A fractional rate as a percentage with two to four decimals, as financing.rates.percent shows it."""
    try:
        text = f"{to_decimal(value) * 100:,.4f}"
    except ValueError:
        return str(value)
    whole, _dot, decimals = text.partition(".")
    decimals = decimals.rstrip("0").ljust(2, "0")
    return f"{whole}.{decimals}%"


def _format_date(value: Any) -> str:
    try:
        return date_format(datetime.date.fromisoformat(str(value)), "Y-m-d")
    except ValueError:
        return str(value)


def _format_param(code: str, name: str, value: Any) -> Any:
    if value is None:
        return "—"
    if code in _AMOUNT_CODES and name in ("amount", "min", "max"):
        return format_money(value)
    if code in _REVENUE_CODES and name in ("required", "revenue"):
        return format_money(value)
    if code in _RATE_CODES and name in _RATE_PARAMS:
        return format_rate(value)
    if name == "date":
        return _format_date(value)
    if name in ("size",):
        return _size_label(value)
    if name == "classes":
        return _join([_size_label(v) for v in value])
    if name == "labels":
        return _join([_tech_label(v) for v in value])
    if name in ("collateral", "accepted"):
        return _join([_collateral_label(v) for v in value])
    if name == "offered":
        return _join([_collateral_label(v) for v in value]) if value else _collateral_label(Collateral.NONE)
    if name in ("cluster", "subdistrict"):
        return _named(value)
    if name in ("clusters", "subdistricts"):
        return _join([_named(v) for v in value])
    if name == "industries":
        return _join([str(v) for v in value])
    if name == "industry":
        return str(value) or "—"
    return value


# Sentences already rendered, by (language, show_figures, code, repr of the parameters). The parameters are
# decoded JSON (text, numbers, booleans, None, lists, objects), whose repr is exact and far cheaper than
# dumping them as canonical JSON; emptied when full.
_RENDERED: dict[tuple[str, bool, str, str], str] = {}
RENDERED_CACHE_SIZE = 20_000


def render_outcome(outcome: Mapping[str, Any], *, show_figures: bool = True) -> str:
    """One stored outcome as a sentence in the active language.

    `show_figures=False` hides the firm's own figures (its revenue) from readers who may not see them.
    Unknown codes render as a neutral text; bad parameters never raise. Sentences are cached per language:
    the same reasons recur across matches and requests.
    """
    code = str(outcome.get("code", ""))
    raw = outcome.get("params") or {}
    params = raw if isinstance(raw, dict) else dict(raw) if isinstance(raw, Mapping) else {}
    key = (get_language() or "", show_figures, code, repr(params))
    text = _RENDERED.get(key)
    if text is None:
        if len(_RENDERED) >= RENDERED_CACHE_SIZE:
            _RENDERED.clear()
        text = _RENDERED[key] = _render(code, params, show_figures)
    return text


def _render(code: str, params: dict[str, Any], show_figures: bool) -> str:
    template = MESSAGES.get(code)
    if not show_figures and code in REDACTED_MESSAGES:
        template = REDACTED_MESSAGES[code]
        params = {k: v for k, v in params.items() if k not in FIGURE_PARAMS}
    if template is None:
        return str(UNKNOWN_MESSAGE) % {"code": code}
    shown = {name: _format_param(code, name, value) for name, value in params.items()}
    try:
        return str(template % shown)
    except (KeyError, TypeError, ValueError):
        return str(UNKNOWN_MESSAGE) % {"code": code}


def render_outcomes(outcomes: Iterable[Mapping[str, Any]], *, show_figures: bool = True) -> list[dict[str, str]]:
    """Stored outcomes as [{"code", "message"}] in the active language (see render_outcome)."""
    return [{"code": str(o.get("code", "")), "message": render_outcome(o, show_figures=show_figures)} for o in outcomes]


def years_phrase(years: int) -> str:
    """ "3 years" in the active language (for pages that show a firm's years in operation)."""
    return ngettext("%(years)s year", "%(years)s years", years) % {"years": years}


def to_amount(value: Any) -> Decimal:
    """Parse a stored amount (string or number) into Decimal."""
    return to_decimal(value)
