"""The overview's figures per month, debtor, funder and voucher tier ("grain rows"), computed from the fact tables
for any date ranges, and stored for closed months (models/overview.py) so that a year's overview adds up a few
thousand stored rows instead of aggregating every receivable.

Grain rows come in three kinds, told apart by which organisation is 0 ("all"):
- (month, debtor, 0, tier): everything owed by the debtor: confirmed, asked for (each item once), financed,
  settled (to holders and funders), voucher volume;
- (month, 0, funder, tier): what was asked of the funder (per offer), financed by it, paid to it;
- (month, debtor, funder, tier): the same for the pair.
Tier 0 is a receivable as such (confirmation, request or registration of the receivable itself, payment of a
receivable not issued as a voucher); 1, 2, ... are voucher tiers.

A month is closed from the second day after it ends (no transaction runs that long). Its stored rows stay current
because the services stamp what they record with the time of recording, which falls in an open month; only rows
written with an earlier date change a closed month: a payment recorded as paid on an earlier day, or a bulk load.
Every read therefore looks at the rows added to the fact tables since the stored months were checked (ids above
their watermarks, which only count rows recorded more than ten minutes before, so a transaction still open cannot
be passed over) and computes again any closed month they fall in. Loaders that write history directly may call
overview_months_reset().
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Count, DateField, DecimalField, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from finbridge.supplychain.choices import PayeeRole, VoucherOrigin
from finbridge.supplychain.models import (
    FinancingRequest,
    FinancingRequestItem,
    Payment,
    Receivable,
    Registration,
    Voucher,
)
from finbridge.supplychain.models.overview import OverviewMonth, OverviewMonthState

ZERO = Decimal("0.00")
DAYS = Decimal("0.1")
DIRECT_TIER = 0
ALL = 0  # "every debtor" / "every funder" in a grain row
NEW_VOLUME_ORIGINS = (VoucherOrigin.ISSUED, VoucherOrigin.TRANSFERRED)
SETTLE_MINUTES = 10  # rows recorded this recently may belong to a transaction not yet committed
_MONEY = DecimalField(max_digits=18, decimal_places=2)
_WEIGHTED = DecimalField(max_digits=30, decimal_places=2)

KEY_NAMES = ("k_month", "k_debtor", "k_funder", "k_tier")  # query aliases, apart from the field names
Key = tuple[datetime.date, int, int, int]  # (month, debtor id, funder id, tier)
Ranges = Sequence[tuple[datetime.date, datetime.date]]  # inclusive local dates


@dataclass
class Figures:
    """The figures of one group (a debtor, a funder, a tier, a month, everything, or one grain row)."""

    confirmed_count: int = 0
    confirmed_amount: Decimal = ZERO
    requested_count: int = 0
    requested_amount: Decimal = ZERO
    financed_count: int = 0
    financed_amount: Decimal = ZERO
    advanced_amount: Decimal = ZERO
    settled_count: int = 0
    settled_amount: Decimal = ZERO
    early_weighted: Decimal = ZERO  # sum of days paid early x amount, for the weighted average
    voucher_count: int = 0
    voucher_amount: Decimal = ZERO
    overdue_count: int = 0
    overdue_amount: Decimal = ZERO

    @property
    def average_days_early(self) -> Decimal | None:
        """Days paid before the due date, averaged over the payments weighted by amount; None without payments."""
        if not self.settled_amount:
            return None
        return (Decimal(self.early_weighted) / self.settled_amount).quantize(DAYS, ROUND_HALF_UP)

    def add(self, other: Any, names: Iterable[str] | None = None) -> None:
        """Add another group's figures (or a row of sums with the same names), all or only `names`."""
        getter = other.get if isinstance(other, dict) else lambda name, default=0: getattr(other, name, default)
        for name in names or ADDITIVE:
            setattr(self, name, getattr(self, name) + (getter(name, 0) or 0))


ADDITIVE = tuple(f.name for f in fields(Figures))
STORED = tuple(name for name in ADDITIVE if not name.startswith("overdue"))
CONFIRMED = ("confirmed_count", "confirmed_amount")
REQUESTED = ("requested_count", "requested_amount")
FINANCED = ("financed_count", "financed_amount", "advanced_amount")
SETTLED = ("settled_count", "settled_amount", "early_weighted")
VOUCHER = ("voucher_count", "voucher_amount")


# ---- months ----------------------------------------------------------------------------------------------------


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def last_of_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The first days of every month from `first`'s to `last`'s, inclusive."""
    months, month = [], first_of_month(first)
    while month <= last:
        months.append(month)
        month = last_of_month(month) + datetime.timedelta(days=1)
    return months


def is_closed(month: datetime.date, today: datetime.date) -> bool:
    """Whether the month's figures can be stored: it ended before yesterday."""
    return last_of_month(month) < today - datetime.timedelta(days=1)


def month_ranges(months: Iterable[datetime.date]) -> list[tuple[datetime.date, datetime.date]]:
    """Whole months as date ranges, consecutive months joined."""
    ranges: list[tuple[datetime.date, datetime.date]] = []
    for month in sorted(set(months)):
        if ranges and ranges[-1][1] + datetime.timedelta(days=1) == month:
            ranges[-1] = (ranges[-1][0], last_of_month(month))
        else:
            ranges.append((month, last_of_month(month)))
    return ranges


# ---- grain rows from the fact tables ---------------------------------------------------------------------------


def _moment(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min), timezone.get_current_timezone())


def _in_ranges(field_name: str, ranges: Ranges, *, dates: bool = False) -> Q:
    condition = Q()
    for first, last in ranges:
        if dates:
            condition |= Q(**{f"{field_name}__gte": first, f"{field_name}__lte": last})
        else:
            after = last + datetime.timedelta(days=1)
            condition |= Q(**{f"{field_name}__gte": _moment(first), f"{field_name}__lt": _moment(after)})
    return condition


def _month(field_name: str, *, dates: bool = False) -> TruncMonth:
    if dates:
        return TruncMonth(field_name, output_field=DateField())
    return TruncMonth(field_name, output_field=DateField(), tzinfo=timezone.get_current_timezone())


def _sum(expression: Any, output: DecimalField = _MONEY) -> Coalesce:
    return Coalesce(Sum(expression, output_field=output), Value(ZERO), output_field=output)


def _as_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, str):  # SQLite may hand back text
        return datetime.date.fromisoformat(value[:10])
    return value


class _Grain:
    """Grain rows being added up: {(month, debtor, funder, tier): Figures}."""

    def __init__(self) -> None:
        self.rows: dict[Key, Figures] = defaultdict(Figures)

    def add(self, month: Any, debtor: int | None, funder: int | None, tier: int, values: dict[str, Any]) -> None:
        self.rows[(_as_date(month), debtor or ALL, funder or ALL, tier or DIRECT_TIER)].add(values, values.keys())

    def add_levels(
        self, row: dict[str, Any], values: dict[str, Any], *, debtor_level: bool, funder_level: bool
    ) -> None:
        """Add a (month, debtor, funder, tier) result to the pair and to the debtor and funder levels asked for."""
        month, debtor, funder, tier = row["k_month"], row["k_debtor"], row["k_funder"], row["k_tier"]
        if debtor_level:
            self.add(month, debtor, ALL, tier, values)
        if funder and debtor:
            self.add(month, debtor, funder, tier, values)
        if funder and funder_level:
            self.add(month, ALL, funder, tier, values)


def grain_rows(
    ranges: Ranges,
    *,
    debtor_ids: frozenset[int] | None = None,
    funder_ids: frozenset[int] | None = None,
    pairs: bool = True,
) -> dict[Key, Figures]:
    """The grain rows of the date ranges. Given debtor_ids or funder_ids, only rows of those debtors or funders
    are right (the others are incomplete); with funder_ids, the debtor-level rows are left out; without `pairs`,
    the (debtor, funder) rows are (two narrow queries per table instead of one grouped by both)."""
    grain = _Grain()
    if not ranges:
        return grain.rows
    builder = _Facts(ranges, debtor_ids, funder_ids, pairs)
    if funder_ids is None:
        builder.confirmed(grain)
        builder.items(grain)
        builder.vouchers(grain)
    builder.offers(grain)
    builder.registrations(grain)
    builder.payments(grain)
    return grain.rows


class _Facts:
    """One grouped query per fact table over the date ranges, restricted to the debtors and funders given."""

    def __init__(
        self, ranges: Ranges, debtor_ids: frozenset[int] | None, funder_ids: frozenset[int] | None, pairs: bool
    ) -> None:
        self.ranges = ranges
        self.debtor_ids = debtor_ids
        self.funder_ids = funder_ids
        self.pairs = pairs

    def _grouped(
        self, qs: QuerySet, keys: dict[str, Any], sums: dict[str, Any], grain: _Grain, *, debtor_level: bool
    ) -> None:
        """Group by (month, debtor, funder, tier), or, without pairs, by (month, debtor, tier) for the debtor level
        and by (month, funder, tier) for the funder level; add the results to the grain."""
        variants = [keys]
        if not self.pairs:
            none = Value(ALL, output_field=IntegerField())
            variants = [{**keys, "k_debtor": none}] + ([{**keys, "k_funder": none}] if debtor_level else [])
        for variant in variants:
            for row in qs.values(**variant).annotate(**sums):
                found = {name: row.pop(name) for name in KEY_NAMES}
                grain.add_levels(found, row, debtor_level=debtor_level, funder_level=True)

    def _debtors(self, qs: QuerySet, *paths: str) -> QuerySet:
        if self.debtor_ids is None:
            return qs
        condition = Q()
        for path in paths:
            condition |= Q(**{f"{path}__in": self.debtor_ids})
        return qs.filter(condition)

    def confirmed(self, grain: _Grain) -> None:
        qs = Receivable.objects.filter(_in_ranges("confirmed_at", self.ranges))
        qs = self._debtors(qs, "debtor_id").order_by()
        rows = qs.values(k_month=_month("confirmed_at"), k_debtor=F("debtor_id"))
        for row in rows.annotate(confirmed_count=Count("*"), confirmed_amount=_sum("amount")):
            grain.add(row.pop("k_month"), row.pop("k_debtor"), ALL, DIRECT_TIER, row)

    def _item_rows(self) -> QuerySet[FinancingRequestItem]:
        qs = FinancingRequestItem.objects.filter(_in_ranges("request__created_at", self.ranges))
        qs = self._debtors(qs, "receivable__debtor_id", "voucher__receivable__debtor_id")
        return qs.order_by()

    @staticmethod
    def _item_keys() -> dict[str, Any]:
        return {
            "k_month": _month("request__created_at"),
            "k_debtor": Coalesce("receivable__debtor_id", "voucher__receivable__debtor_id"),
            "k_tier": Coalesce("voucher__tier", Value(DIRECT_TIER), output_field=IntegerField()),
        }

    def items(self, grain: _Grain) -> None:
        """Asked for, each item once (the debtor level)."""
        rows = self._item_rows().values(**self._item_keys())
        for row in rows.annotate(requested_count=Count("*"), requested_amount=_sum("amount")):
            grain.add(row.pop("k_month"), row.pop("k_debtor"), ALL, row.pop("k_tier"), row)

    def offers(self, grain: _Grain) -> None:
        """Asked for, per funder the request was sent to (the pair and funder levels)."""
        qs = self._item_rows()
        if self.funder_ids is not None:
            qs = qs.filter(request__offers__funder_id__in=self.funder_ids)
        keys = {"k_funder": F("request__offers__funder_id"), **self._item_keys()}
        sums = {"requested_count": Count("*"), "requested_amount": _sum("amount")}
        self._grouped(qs, keys, sums, grain, debtor_level=False)

    def registrations(self, grain: _Grain) -> None:
        qs = Registration.objects.filter(_in_ranges("registered_at", self.ranges))
        qs = self._debtors(qs, "root_receivable__debtor_id")
        if self.funder_ids is not None:
            qs = qs.filter(funder_id__in=self.funder_ids)
        keys = {
            "k_month": _month("registered_at"),
            "k_debtor": F("root_receivable__debtor_id"),
            "k_funder": F("funder_id"),
            "k_tier": Coalesce("voucher__tier", Value(DIRECT_TIER), output_field=IntegerField()),
        }
        sums = {
            "financed_count": Count("*"),
            "financed_amount": _sum("face_amount"),
            "advanced_amount": _sum("advance_amount"),
        }
        self._grouped(qs.order_by(), keys, sums, grain, debtor_level=self.funder_ids is None)

    def payments(self, grain: _Grain) -> None:
        qs = Payment.objects.filter(_in_ranges("paid_on", self.ranges, dates=True))
        qs = self._debtors(qs, "payer_id")
        if self.funder_ids is not None:
            qs = qs.filter(payee_role=PayeeRole.FUNDER, payee_id__in=self.funder_ids)
        keys = {
            "k_month": _month("paid_on", dates=True),
            "k_debtor": F("payer_id"),
            "k_funder": Case(
                When(payee_role=PayeeRole.FUNDER, then=F("payee_id")), default=Value(ALL), output_field=IntegerField()
            ),
            "k_tier": Case(
                When(voucher_id__isnull=True, then=Value(DIRECT_TIER)), default=F("tier"), output_field=IntegerField()
            ),
        }
        sums = {
            "settled_count": Count("*"),
            "settled_amount": _sum("amount"),
            "early_weighted": _sum(F("days_early") * F("amount"), _WEIGHTED),
        }
        self._grouped(qs.order_by(), keys, sums, grain, debtor_level=self.funder_ids is None)

    def vouchers(self, grain: _Grain) -> None:
        """The amount reaching each tier (parts issued or transferred there)."""
        qs = Voucher.objects.filter(_in_ranges("created_at", self.ranges), origin__in=NEW_VOLUME_ORIGINS)
        qs = self._debtors(qs, "receivable__debtor_id").order_by()
        rows = qs.values(k_month=_month("created_at"), k_debtor=F("receivable__debtor_id"), k_tier=F("tier"))
        for row in rows.annotate(voucher_count=Count("*"), voucher_amount=_sum("amount")):
            grain.add(row.pop("k_month"), row.pop("k_debtor"), ALL, row.pop("k_tier"), row)


# ---- stored months ---------------------------------------------------------------------------------------------

# Fact tables whose rows fall in a month: (model, the field giving the month, it is a date, when it was recorded).
WATCHED = {
    "receivable": (Receivable, "confirmed_at", False, "created_at"),
    "request": (FinancingRequest, "created_at", False, "created_at"),
    "registration": (Registration, "registered_at", False, "registered_at"),
    "voucher": (Voucher, "created_at", False, "created_at"),
    "payment": (Payment, "paid_on", True, "recorded_at"),
}
_available: list[bool] = []


def stored_months_available() -> bool:
    """Whether the stored-months tables exist (their migration has run)."""
    if _available:
        return True
    with connection.cursor() as cursor:
        names = set(connection.introspection.table_names(cursor))
    found = {OverviewMonth._meta.db_table, OverviewMonthState._meta.db_table} <= names
    if found:
        _available.append(True)
    return found


def _watermarks(settled_before: datetime.datetime | None = None) -> dict[str, int]:
    """The highest id of each watched table (among rows recorded before `settled_before`, when given)."""
    marks = {}
    for name, (model, _field, _dates, recorded) in WATCHED.items():
        qs = model.objects.all()
        if settled_before is not None:
            qs = qs.filter(**{f"{recorded}__lt": settled_before})
        marks[name] = qs.order_by("-pk").values_list("pk", flat=True).first() or 0
    return marks


def _touched_months(states: list[OverviewMonthState], before: datetime.date) -> set[datetime.date]:
    """Months before `before` in which rows added since the states' watermarks fall."""
    touched: set[datetime.date] = set()
    for name, (model, field_name, dates, _recorded) in WATCHED.items():
        low = min(int(state.watermarks.get(name, 0)) for state in states)
        limit = {f"{field_name}__lt": before if dates else _moment(before)}
        qs = model.objects.filter(pk__gt=low, **limit).order_by()
        touched |= {_as_date(m) for m in qs.values_list(_month(field_name, dates=dates), flat=True).distinct()}
    return touched


def ensure_months(months: Iterable[datetime.date], *, today: datetime.date | None = None) -> int:
    """Make the stored figures of these closed months current (computing the missing and the changed ones);
    returns how many months it computed. Runs its own transactions: call it outside the reader's."""
    today = today or timezone.localdate()
    wanted = {month for month in months if is_closed(month, today)}
    if not wanted:
        return 0
    # Rows up to `settled` are committed or gone (recorded long enough ago); later ones are checked again next time.
    settled = _watermarks(timezone.now() - datetime.timedelta(minutes=SETTLE_MINUTES))
    latest = _watermarks()
    states = list(OverviewMonthState.objects.filter(month__in=wanted))
    stale = wanted - {state.month for state in states}
    behind = [s for s in states if any(int(s.watermarks.get(name, 0)) < mark for name, mark in latest.items())]
    if behind:
        stale |= _touched_months(behind, first_of_month(today)) & {state.month for state in states}
        checked = [s.pk for s in behind if s.month not in stale and s.watermarks != settled]
        OverviewMonthState.objects.filter(pk__in=checked).update(watermarks=settled)
    for first, last in month_ranges(stale):
        _store(months_between(first, last), grain_rows([(first, last)]), settled)
    return len(stale)


def _store(months: list[datetime.date], rows: dict[Key, Figures], marks: dict[str, int]) -> None:
    records = [
        OverviewMonth(month=month, debtor_id=debtor, funder_id=funder, tier=tier, **{n: getattr(f, n) for n in STORED})
        for (month, debtor, funder, tier), f in rows.items()
    ]
    try:
        with transaction.atomic():
            OverviewMonth.objects.filter(month__in=months).delete()
            OverviewMonth.objects.bulk_create(records, batch_size=2_000)
            for month in months:
                OverviewMonthState.objects.update_or_create(
                    month=month, defaults={"watermarks": marks, "computed_at": timezone.now()}
                )
    except IntegrityError:  # another reader stored the same months meanwhile
        pass


def refresh_recent_months(*, months: int = 24, today: datetime.date | None = None) -> int:
    """Compute the stored figures of the closed months among the last `months` that are missing or changed, so
    that no reader waits for them (for a daily task); returns how many it computed. Raises nothing."""
    if not stored_months_available():
        return 0
    today = today or timezone.localdate()
    first = first_of_month(today)
    for _ in range(months - 1):
        first = first_of_month(first - datetime.timedelta(days=1))
    return ensure_months(months_between(first, today), today=today)


def overview_months_reset() -> None:
    """Forget every stored month (after a load that wrote history directly, bypassing the services)."""
    if stored_months_available():
        with transaction.atomic():
            OverviewMonthState.objects.all().delete()
            OverviewMonth.objects.all().delete()


def stored_sums(condition: Q, months: Sequence[datetime.date], group: str) -> list[dict[str, Any]]:
    """The stored rows of the months matching `condition`, added up per `group` ("debtor_id", "funder_id",
    "tier" or "month")."""
    if not months:
        return []
    qs = OverviewMonth.objects.filter(condition, month__in=list(months)).order_by()
    return list(qs.values(group).annotate(**{name: Sum(name) for name in STORED}))
