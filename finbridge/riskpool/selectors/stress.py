"""Reads for the stress test: the covered portfolio as arrays for the engine (riskpool/stress.py), the default
probabilities and loss rates the platform's own history suggests, and the stored runs.

Who sees stress tests: government users who can see the pool (pools.pool_get): the district authority and
the industry and subdistrict offices. Banks, guarantee agencies and insurers do not (NotFound, like a missing
run). Running one is a service (services/stress.py, riskpool.run_stress_test).

The portfolio as it stands on a day (`stress_portfolio`):
- the pool's covered enrolments (status active); exposure = the loan's outstanding balance, at most the
  covered amount; lost interest should it default = exposure × the loan's annual rate × `interest_months` / 12
  (counted only where the loan's rule version covers interest);
- loans already non-performing (substandard or worse) or with a claim under review (submitted or returned)
  default in every simulated year;
- loans are grouped by (rule version, category, flags); each group's terms come from the rule version through
  the sharing engine (stress.group_terms), so uplifts and their limits are those of a claim;
- caps across loans (per bank and year, the pool as a whole, the EU cap rate): when the covered loans fall
  under several rule versions, the least binding version's cap applies to all (a cap missing in one version
  means no cap), so the test never understates payouts. The per-bank-year cap applies in full to the
  simulated year; the pool-wide cap and the cap rate count the payouts granted so far (Payout.amount);
- the free balance is the pool's cash less what it owes banks (pools.pool_summary).
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    TextField,
)
from django.db.models.functions import Cast, Least, TruncDate
from django.utils import timezone

from finbridge.accounts.models import Organization
from finbridge.accounts.selectors import actor_scope
from finbridge.core.errors import NotFound
from finbridge.core.money import quantize_amount, quantize_rate
from finbridge.financing.choices import NON_PERFORMING
from finbridge.riskpool.choices import ClaimStatus, EnrolmentStatus, ReleaseReason
from finbridge.riskpool.models import Claim, Enrolment, Payout, Pool, Recovery, RuleVersion, StressRun
from finbridge.riskpool.selectors.pools import pool_get, pool_summary, rule_set_of
from finbridge.riskpool.sharing import Category, RuleSet
from finbridge.riskpool.stress import GroupTerms, Portfolio, group_terms

ZERO = Decimal("0")
DAYS_PER_YEAR = Decimal("365.25")
DEFAULT_INTEREST_MONTHS = 3  # a claim follows about a quarter of unpaid interest (90 days overdue)
# Starting values offered on the form when the pool has no history for a category (the authority sets its own).
STARTING_RISKS: Mapping[str, tuple[Decimal, Decimal]] = {
    Category.DIRECT: (Decimal("0.030000"), Decimal("0.600000")),
    Category.GUARANTEED: (Decimal("0.020000"), Decimal("0.500000")),
    Category.INSURED: (Decimal("0.020000"), Decimal("0.500000")),
}
# Claims that show the loan became non-performing (a rejected claim too: claims are filed on such loans only).
DEFAULT_CLAIM = frozenset(ClaimStatus.values) - {ClaimStatus.WITHDRAWN}
PENDING_CLAIM = frozenset({ClaimStatus.SUBMITTED, ClaimStatus.RETURNED})


# ---- stored runs ------------------------------------------------------------------------------------------


def _can_see_runs(actor: Any, pool: Pool) -> bool:
    pool_get(actor=actor, pk=pool.pk)  # NotFound when the pool is not visible
    return actor_scope(actor).is_government


def stress_run_list(*, actor: Any, pool: Pool) -> QuerySet[StressRun]:
    """The stress tests of a pool, newest first, for government users who see the pool; NotFound when the pool
    is not visible; empty for institutions."""
    qs = StressRun.objects.filter(pool=pool).select_related("created_by").order_by("-created_at", "-id")
    return qs if _can_see_runs(actor, pool) else qs.none()


def stress_run_get(*, actor: Any, pool: Pool, pk: Any) -> StressRun:
    """One stress test of the pool; NotFound when missing, of another pool or not visible to the actor."""
    try:
        return stress_run_list(actor=actor, pool=pool).get(pk=int(pk))
    except (StressRun.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


# ---- history ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryHistory:
    """What the pool's own record says about one loan category."""

    category: str
    enrolments: int  # ever enrolled (except those released as enrolled in error)
    loan_years: Decimal  # covered exposure in years, up to the default, the release or today
    defaults: int  # enrolments that became non-performing (a claim other than withdrawn, or classified so)
    probability_of_default: Decimal | None  # defaults per loan-year, at most 1; None without exposure
    paid_claims: int  # claims with a payout (decided)
    lost_principal: Decimal  # lost principal accepted on those claims
    recovered: Decimal  # recovered by the banks after those payouts
    covered_amount: Decimal  # covered amounts of those loans at enrolment
    loss_rate: Decimal | None  # (lost principal − recovered) ÷ covered amount; None without paid claims


def stress_history(*, pool: Pool, on: datetime.date | None = None) -> dict[str, CategoryHistory]:
    """Per loan category: the annual default rate and the realised loss rate of the pool's own enrolments.

    Default rate = enrolments that became non-performing ÷ loan-years covered (an enrolment counts from its
    enrolment to its default, release or `on`). Loss rate = (lost principal accepted on paid claims − what the
    banks recovered after the payouts) ÷ the covered amounts of those loans. No visibility check: call it on a
    pool from pool_get."""
    on = on or timezone.localdate()
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # enrolments, days, defaults

    def add(category: str, enrolled_on: datetime.date, end: datetime.date, number: int, defaulted: bool) -> None:
        figures = counts[category]
        figures[0] += number
        figures[1] += max(0, (min(end, on) - enrolled_on).days) * number
        figures[2] += number if defaulted else 0

    enrolments = Enrolment.objects.filter(pool=pool).exclude(
        status=EnrolmentStatus.RELEASED, release_reason=ReleaseReason.ERROR
    )
    defaults = Claim.objects.filter(pool=pool, status__in=DEFAULT_CLAIM)
    with _tuned():
        claimed = (
            defaults.filter(enrolment__in=enrolments)
            .values_list("enrolment_id", "enrolment__category", "enrolment__enrolled_on")
            .annotate(first=Min("defaulted_on"))
            .order_by()
        )
        for _pk, category, enrolled_on, first in claimed:
            add(category, enrolled_on, first, 1, True)
        others = (
            enrolments.exclude(Exists(defaults.filter(enrolment=OuterRef("pk"))))
            .values_list("category", "enrolled_on", TruncDate("released_at"))
            .annotate(number=Count("id"), npl=Count("id", filter=Q(loan__classification__in=NON_PERFORMING)))
            .order_by()
        )
        for category, enrolled_on, released_on, number, npl in others:
            end = released_on or on
            add(category, enrolled_on, end, npl, True)
            add(category, enrolled_on, end, number - npl, False)
        losses = _paid_losses(pool)
    return {
        category: _category_history(category, *counts.get(category, [0, 0, 0]), losses.get(category))
        for category in sorted(set(counts) | set(losses))
    }


def _category_history(
    category: str, enrolments: int, days: int, defaults: int, losses: tuple[int, Decimal, Decimal, Decimal] | None
) -> CategoryHistory:
    loan_years = (Decimal(days) / DAYS_PER_YEAR).quantize(Decimal("0.01"))
    paid, lost, recovered, covered = losses or (0, ZERO, ZERO, ZERO)
    return CategoryHistory(
        category=category,
        enrolments=enrolments,
        loan_years=loan_years,
        defaults=defaults,
        probability_of_default=quantize_rate(min(Decimal(1), defaults / loan_years)) if loan_years > 0 else None,
        paid_claims=paid,
        lost_principal=lost,
        recovered=recovered,
        covered_amount=covered,
        loss_rate=quantize_rate(min(Decimal(1), max(ZERO, (lost - recovered) / covered))) if covered > 0 else None,
    )


@contextmanager
def _tuned() -> Iterator[None]:
    """One transaction for the reads; on PostgreSQL without JIT compilation, which costs more than it saves on
    these scans (about 0.8 s of a 1.6 s query over 200,000 enrolments)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        yield


def _paid_losses(pool: Pool) -> dict[str, tuple[int, Decimal, Decimal, Decimal]]:
    """Per category: (paid claims, lost principal accepted, recovered after payout, covered amount)."""
    paid = (
        Payout.objects.filter(pool=pool)
        .values(category=F("claim__enrolment__category"))
        .annotate(claims=Count("id"), lost=Sum("loss_principal"), covered=Sum("claim__enrolment__covered_amount"))
        .order_by()
    )
    recovered = dict(
        Recovery.objects.filter(pool=pool)
        .values_list("claim__enrolment__category")
        .annotate(total=Sum("recovered_amount"))
        .order_by()
    )
    return {
        row["category"]: (
            int(row["claims"]),
            row["lost"] or ZERO,
            recovered.get(row["category"]) or ZERO,
            row["covered"] or ZERO,
        )
        for row in paid
    }


@dataclass(frozen=True)
class SuggestedRisk:
    """A starting value of the form for one category, and where it comes from ("history" or "default")."""

    category: str
    probability_of_default: Decimal
    loss_rate: Decimal
    pd_source: str
    loss_rate_source: str


def stress_suggested_risks(*, pool: Pool, categories: Iterable[str] | None = None) -> dict[str, SuggestedRisk]:
    """Starting values for the stress-test form: the pool's history where it has some, else STARTING_RISKS.
    `categories` defaults to the categories of the covered loans (at least direct loans)."""
    history = stress_history(pool=pool)
    if categories is None:
        categories = covered_categories(pool=pool) or [Category.DIRECT]
    result = {}
    for category in categories:
        pd, loss_rate = STARTING_RISKS.get(category, STARTING_RISKS[Category.DIRECT])
        known = history.get(category)
        known_pd = known.probability_of_default if known and known.defaults else None
        known_loss = known.loss_rate if known else None
        result[category] = SuggestedRisk(
            category=category,
            probability_of_default=known_pd if known_pd is not None else pd,
            loss_rate=known_loss if known_loss is not None else loss_rate,
            pd_source="history" if known_pd is not None else "default",
            loss_rate_source="history" if known_loss is not None else "default",
        )
    return result


def covered_categories(*, pool: Pool) -> list[str]:
    """The loan categories of the pool's covered enrolments."""
    return sorted(covered_loans_by_category(pool=pool))


def covered_loans_by_category(*, pool: Pool) -> dict[str, int]:
    """How many covered enrolments the pool has in each loan category (one grouped count, no loan read)."""
    rows = (
        Enrolment.objects.filter(pool=pool, status=EnrolmentStatus.ACTIVE)
        .order_by()
        .values_list("category")
        .annotate(loans=Count("id"))
    )
    return dict(rows)


# ---- the portfolio ----------------------------------------------------------------------------------------


@dataclass
class StressPortfolio:
    """The engine's Portfolio and what the page shows about it (amounts as Decimal, rounded to fen)."""

    portfolio: Portfolio
    loans: int
    exposure: Decimal
    certain: int
    free_balance: Decimal
    by_category: dict[str, dict[str, Any]]
    groups: list[dict[str, Any]]
    caps: dict[str, Any]
    rule_versions: list[int] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """JSON-ready (amounts as strings)."""
        return {
            "loans": self.loans,
            "exposure": str(self.exposure),
            "already_non_performing": self.certain,
            "free_balance": str(self.free_balance),
            "by_category": self.by_category,
            "groups": self.groups,
            "caps": self.caps,
            "rule_versions": self.rule_versions,
        }


def stress_portfolio(*, pool: Pool, interest_months: int = DEFAULT_INTEREST_MONTHS) -> StressPortfolio:
    """The pool's covered loans as the stress engine needs them (see the module docstring). No visibility
    check: call it on a pool from pool_get. Raises ValidationFailed ("rule_invalid") only for a stored rule
    version the sharing engine refuses."""
    pending = Claim.objects.filter(enrolment=OuterRef("pk"), status__in=PENDING_CLAIM)
    query = (
        Enrolment.objects.filter(pool=pool, status=EnrolmentStatus.ACTIVE)
        .order_by()
        .annotate(
            exposure=Cast(Least(F("loan__outstanding_balance"), F("covered_amount")), FloatField()),
            rate=Cast(F("loan__annual_rate"), FloatField()),
            flag_text=Cast("flags", output_field=TextField()),
            certain=ExpressionWrapper(
                Exists(pending) | Q(loan__classification__in=NON_PERFORMING), output_field=BooleanField()
            ),
        )
        .values_list("bank_id", "rule_version_id", "category", "flag_text", "exposure", "rate", "certain")
    )
    with _tuned(), connection.cursor() as cursor:  # plain rows: no per-value conversion by the ORM
        cursor.execute(*query.query.sql_with_params())
        rows = cursor.fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [()] * 7
    bank_ids, version_ids, categories, flag_texts, exposure, rates, certain = columns
    keys = list(zip(version_ids, categories, flag_texts, strict=True))
    group_of = {key: index for index, key in enumerate(dict.fromkeys(keys))}
    banks = sorted(set(bank_ids))
    bank_of = {bank: index for index, bank in enumerate(banks)}
    versions = {v.pk: v for v in RuleVersion.objects.filter(pk__in=set(version_ids))}
    rule_sets = {pk: rule_set_of(version) for pk, version in versions.items()}
    terms = [_terms(rule_sets[version], versions[version], category, text) for version, category, text in group_of]
    balance = np.array(exposure, dtype=float).reshape(-1)
    interest = balance * np.array(rates, dtype=float).reshape(-1) * (interest_months / 12)
    group = np.array([group_of[key] for key in keys], dtype=np.int64)
    bank = np.array([bank_of[b] for b in bank_ids], dtype=np.int64)
    certain_mask = np.array(certain, dtype=bool).reshape(-1)
    caps = _caps(pool, list(rule_sets.values()), banks)
    summary = pool_summary(pool=pool)
    names = dict(Organization.objects.filter(pk__in=banks).values_list("pk", "name"))
    portfolio = Portfolio(
        balance=balance,
        group=group,
        bank=bank,
        groups=tuple(terms),
        banks=tuple(names.get(b, str(b)) for b in banks),
        free_balance=float(summary.free_balance),
        interest=interest,
        certain=certain_mask,
        bank_year_caps={bank_of[b]: float(cap) for b, cap in caps["per_bank"].items()},
        pool_cap=None if caps["pool_remaining"] is None else float(caps["pool_remaining"]),
    )
    return StressPortfolio(
        portfolio=portfolio,
        loans=len(rows),
        exposure=quantize_amount(repr(float(balance.sum()))),
        certain=int(certain_mask.sum()),
        free_balance=summary.free_balance,
        by_category=_by_category(categories, balance, certain_mask),
        groups=_group_rows(terms, group, balance),
        caps=_caps_summary(caps, names),
        rule_versions=sorted(v.number for v in versions.values()),
    )


def _terms(rules: RuleSet, version: RuleVersion, category: str, flag_text: str | None) -> GroupTerms:
    flags = _flags(flag_text)
    label = f"v{version.number} {category}" + (f" +{'+'.join(flags)}" if flags else "")
    if not rules.covers(category):  # enrolment refuses such loans; if one slipped in, the pool owes it nothing
        return GroupTerms(category=category, pool_share=0.0, label=label)
    return group_terms(rules, category, flags, label=label)


def _flags(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    try:
        value = json.loads(text)
    except ValueError:
        return ()
    return tuple(sorted(str(flag) for flag in value)) if isinstance(value, list) else ()


def _caps(pool: Pool, rule_sets: Sequence[RuleSet], banks: Sequence[int]) -> dict[str, Any]:
    """The caps across loans for the simulated year: per bank (min of the per-bank-year cap and what is left
    under the cap rate) and what is left under the pool-wide cap; the least binding version's (see above)."""
    year_cap = _least_binding([rules.per_bank_year_cap for rules in rule_sets])
    pool_cap = _least_binding([rules.pool_cap for rules in rule_sets])
    rates = [
        rules.cap_rate * rules.cap_guarantee_rate
        if rules.cap_rate is not None and rules.cap_guarantee_rate is not None
        else None
        for rules in rule_sets
    ]
    cap_rate = _least_binding(rates)
    granted = Payout.objects.filter(pool=pool)
    by_pool = granted.aggregate(total=Sum("amount"))["total"] or ZERO
    per_bank: dict[int, Decimal] = {}
    if cap_rate is not None:
        volumes = dict(
            Enrolment.objects.filter(pool=pool, bank_id__in=banks)
            .exclude(status=EnrolmentStatus.RELEASED, release_reason=ReleaseReason.ERROR)
            .values_list("bank_id")
            .annotate(total=Sum("loan_amount"))
            .order_by()
        )
        paid = dict(granted.values_list("bank_id").annotate(total=Sum("amount")).order_by())
        for bank in banks:
            per_bank[bank] = max(ZERO, quantize_amount(volumes.get(bank, ZERO) * cap_rate) - paid.get(bank, ZERO))
    if year_cap is not None:
        for bank in banks:
            per_bank[bank] = min(per_bank.get(bank, year_cap), year_cap)
    return {
        "per_bank_year_cap": year_cap,
        "cap_rate_product": cap_rate,
        "per_bank": per_bank,
        "pool_cap": pool_cap,
        "pool_remaining": None if pool_cap is None else max(ZERO, pool_cap - by_pool),
    }


def _least_binding(values: Sequence[Decimal | None]) -> Decimal | None:
    if not values or any(value is None for value in values):
        return None
    return max(value for value in values if value is not None)


def _caps_summary(caps: Mapping[str, Any], names: Mapping[int, str]) -> dict[str, Any]:
    def text(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return {
        "per_bank_year_cap": text(caps["per_bank_year_cap"]),
        "cap_rate_product": text(caps["cap_rate_product"]),
        "pool_cap": text(caps["pool_cap"]),
        "pool_remaining": text(caps["pool_remaining"]),
        "per_bank": [{"bank": names.get(b, str(b)), "cap": str(cap)} for b, cap in sorted(caps["per_bank"].items())],
    }


def _by_category(categories: Sequence[str], balance: np.ndarray, certain: np.ndarray) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    labels = np.array(categories, dtype=object)
    for category in sorted(set(categories)):
        mask = labels == category
        result[category] = {
            "loans": int(mask.sum()),
            "exposure": str(quantize_amount(repr(float(balance[mask].sum())))),
            "already_non_performing": int((mask & certain).sum()),
        }
    return result


def _group_rows(terms: Sequence[GroupTerms], group: np.ndarray, balance: np.ndarray) -> list[dict[str, Any]]:
    counts = np.bincount(group, minlength=len(terms))
    sums = np.bincount(group, weights=balance, minlength=len(terms))
    return [
        {
            "label": term.label,
            "category": term.category,
            "pool_share": str(quantize_rate(repr(term.pool_share))),
            "principal_cap_share": None
            if term.principal_cap_share is None
            else str(quantize_rate(repr(term.principal_cap_share))),
            "loan_cap": None if term.loan_cap is None else str(quantize_amount(repr(term.loan_cap))),
            "counts_interest": term.counts_interest,
            "loans": int(counts[index]),
            "exposure": str(quantize_amount(repr(float(sums[index])))),
        }
        for index, term in enumerate(terms)
    ]
