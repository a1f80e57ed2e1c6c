"""Monthly figures of the loans ledger, computed on demand and kept until a write changes them.

The league table of a period made of whole months (from the first day of a month to the last day of a month, or
to today) adds up stored monthly figures instead of scanning every loan: the loans disbursed in each month of the
period, the balances on the period's last day and on the day before it starts. Each month's figures are computed
by the same SQL as the direct league table (selectors._loan_groups and friends) the first time they are needed,
and again only after a write changed them:

- loan_record marks the flows of the disbursal month and the balances of the months from the disbursal to the
  maturity changed (ledger_changed); loan_status_report marks the balances of the months from the reported one on;
- a reader notes each month's change counters BEFORE it computes, and stores its figures as computed at those
  values: a write committed meanwhile leaves the month marked changed, so nothing is ever lost;
- the current month's balances are kept for the day they were computed for and computed again the next day.
Loaders that bypass the services (the benchmark's COPY) call ledger_reset().
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from finbridge.analytics.models import LedgerMonth, LedgerMonthState

FLOW_FIELDS = (
    "loans_count",
    "loans_amount",
    "first_time_count",
    "first_time_amount",
    "renewal_count",
    "renewal_amount",
    "renewal_without_repayment_count",
    "credit_amount",
    "tech_count",
    "tech_amount",
    "rate_weighted_amount",
)
# LedgerMonth column → LeagueRow attribute, for the balances on a day.
STOCK_FIELDS = {
    "inclusive_balance": "inclusive_balance_end",
    "balance": "balance_end",
    "npl_balance": "npl_balance_end",
    "tech_balance": "tech_balance",
    "msme_borrowers": "msme_borrowers",
}


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


# ---- writers ---------------------------------------------------------------------------------------------------


def ledger_changed(
    *,
    disbursed_on: datetime.date | None = None,
    balances_from: datetime.date,
    balances_until: datetime.date | None = None,
) -> None:
    """Mark stored months changed by a ledger write: the flows of the disbursal month (when a loan was recorded) and
    the balances of the months from `balances_from` to `balances_until` (open-ended when None).

    Call inside the writer's transaction (loan_record, loan_status_report). Rows are locked in one order (level,
    month), so concurrent writers never deadlock on them. Raises nothing."""
    stock = LedgerMonthState.objects.filter(month__gte=first_of_month(balances_from))
    if balances_until is not None:
        stock = stock.filter(month__lte=first_of_month(balances_until))
    with transaction.atomic():  # a savepoint inside the writer's transaction
        ids = list(stock.order_by("level", "month").select_for_update().values_list("pk", flat=True))
        if ids:
            LedgerMonthState.objects.filter(pk__in=ids).update(stock_changes=F("stock_changes") + 1)
        if disbursed_on is not None:
            flows = LedgerMonthState.objects.filter(month=first_of_month(disbursed_on))
            ids = list(flows.order_by("level", "month").select_for_update().values_list("pk", flat=True))
            if ids:
                LedgerMonthState.objects.filter(pk__in=ids).update(flows_changes=F("flows_changes") + 1)


def ledger_reset() -> None:
    """Forget every stored month (after a bulk load that bypassed the services)."""
    with transaction.atomic():
        LedgerMonthState.objects.all().delete()
        LedgerMonth.objects.all().delete()


# ---- readers ---------------------------------------------------------------------------------------------------


def _states(level: str, months: Iterable[datetime.date]) -> dict[datetime.date, LedgerMonthState]:
    """The state rows of the months, created (and committed, when not inside a transaction) before the counters
    are read, so that a writer committing meanwhile finds them and marks them."""
    months = sorted(set(months))
    found = {s.month: s for s in LedgerMonthState.objects.filter(level=level, month__in=months)}
    missing = [LedgerMonthState(level=level, month=month) for month in months if month not in found]
    if missing:
        LedgerMonthState.objects.bulk_create(missing, ignore_conflicts=True)
        found = {s.month: s for s in LedgerMonthState.objects.filter(level=level, month__in=months)}
    return found


def ensure_months(
    *, level: str, flow_months: Iterable[datetime.date], stock_days: dict[datetime.date, datetime.date]
) -> int:
    """Compute whatever is not current among the flows of `flow_months` and the balances of `stock_days`
    ({month: day}); returns how many month computations it ran. Called by the league table."""
    from finbridge.analytics import selectors

    flow_months = set(flow_months)
    states = _states(level, flow_months | set(stock_days))
    computed = 0
    for month, state in sorted(states.items()):
        flows = month in flow_months and state.flows_computed != state.flows_changes
        day = stock_days.get(month)
        stock = day is not None and (state.stock_computed != state.stock_changes or state.stock_as_of != day)
        if not (flows or stock):
            continue
        flow_version, stock_version = state.flows_changes, state.stock_changes
        rows = selectors.month_figures(level=level, month=month, flows=flows, stock_day=day if stock else None)
        _store(level, month, rows, flows=flows, stock=stock)
        update: dict[str, Any] = {}
        if flows:
            update["flows_computed"] = flow_version
        if stock:
            update.update(stock_computed=stock_version, stock_as_of=day)
        LedgerMonthState.objects.filter(pk=state.pk).update(**update)
        computed += 1
    return computed


def _store(level: str, month: datetime.date, rows: dict[int, Any], *, flows: bool, stock: bool) -> None:
    """Write the month's figures of every unit (zeros included, so that a figure that fell to 0 is stored as 0)."""
    fields = (list(FLOW_FIELDS) if flows else []) + (list(STOCK_FIELDS) if stock else [])
    records = []
    for unit_id, row in rows.items():
        values = {name: getattr(row, name) for name in FLOW_FIELDS} if flows else {}
        if stock:
            values.update({column: getattr(row, attribute) for column, attribute in STOCK_FIELDS.items()})
        records.append(LedgerMonth(level=level, month=month, unit_id=unit_id, **values))
    try:
        with transaction.atomic():
            LedgerMonth.objects.bulk_create(
                records,
                update_conflicts=True,
                unique_fields=["level", "month", "unit"],
                update_fields=fields,
                batch_size=500,
            )
    except IntegrityError:  # a unit deleted meanwhile: the next reader computes the month again
        pass


def month_rows(*, level: str, months: Iterable[datetime.date]) -> list[LedgerMonth]:
    """The stored figures of the months (call ensure_months first)."""
    return list(LedgerMonth.objects.filter(level=level, month__in=list(months)))
