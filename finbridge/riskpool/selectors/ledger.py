"""Reads of the pool ledger: balances, statements per pool, per bank and per period, and the invariants.

Who sees what (riskpool.view_ledger):
- government members who see the pool: the whole ledger;
- a bank (or a branch of it) that is a member: its own statement only (lines naming it: payouts, amounts
  owed and settled, recoveries);
- nobody else (NotFound, like a missing pool).

Balances are shown on each account's normal side: cash and payouts as debits, the others as credits.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, QuerySet, Sum

from finbridge.accounts.selectors import actor_scope
from finbridge.core.errors import NotFound
from finbridge.core.permissions import has_perm
from finbridge.riskpool import permissions as perms
from finbridge.riskpool.choices import DEBIT_NORMAL, Account, EnrolmentStatus, OwedStatus
from finbridge.riskpool.models import Enrolment, JournalEntry, JournalLine, OwedAmount, Payout, Pool, Recovery
from finbridge.riskpool.selectors.pools import pool_get, visible_institution_ids

ZERO = Decimal("0")
ACCOUNTS: tuple[str, ...] = tuple(Account.values)


def natural(account: str, debit: Decimal, credit: Decimal) -> Decimal:
    """A balance on the account's normal side (debit-normal: debits − credits; otherwise credits − debits)."""
    return debit - credit if account in DEBIT_NORMAL else credit - debit


def _balances(lines: QuerySet[JournalLine]) -> dict[str, Decimal]:
    result = dict.fromkeys(ACCOUNTS, ZERO)
    for row in lines.values("account").annotate(d=Sum("debit"), c=Sum("credit")).order_by():
        result[row["account"]] = natural(row["account"], row["d"] or ZERO, row["c"] or ZERO)
    return result


def account_balances(
    *, pool: Pool, until: datetime.date | None = None, bank: Any = None, before: datetime.date | None = None
) -> dict[str, Decimal]:
    """Every account's balance (normal side) of a pool: all lines, or those dated up to `until` (inclusive)
    or before `before`, optionally only lines naming `bank`. No visibility check."""
    lines = JournalLine.objects.filter(pool=pool)
    if until is not None:
        lines = lines.filter(value_date__lte=until)
    if before is not None:
        lines = lines.filter(value_date__lt=before)
    if bank is not None:
        lines = lines.filter(counterparty=bank)
    return _balances(lines)


# ---- statements ------------------------------------------------------------------------------------------


@dataclass
class StatementRow:
    """One entry of a statement: what it moved on each account (normal side), and the cash after it."""

    entry_id: int
    number: int
    value_date: datetime.date
    kind: str
    memo: str
    counterparty: str
    claim_reference: str
    amounts: dict[str, Decimal]
    cash_after: Decimal | None = None

    @property
    def cash_in(self) -> Decimal:
        return max(self.amounts.get(Account.CASH, ZERO), ZERO)

    @property
    def cash_out(self) -> Decimal:
        return max(-self.amounts.get(Account.CASH, ZERO), ZERO)


@dataclass
class Statement:
    """A statement of a pool (or of one bank in it) over a period: opening and closing balances, the
    movements per account and per kind of entry, and the entries."""

    pool: Pool
    bank: Any
    date_from: datetime.date | None
    date_to: datetime.date | None
    opening: dict[str, Decimal]
    closing: dict[str, Decimal]
    movements: dict[str, Decimal]
    by_kind: dict[str, Decimal]
    rows: list[StatementRow] = field(default_factory=list)
    truncated: bool = False


def _require_ledger_pool(actor: Any, pool: Pool) -> Pool:
    if not has_perm(actor, perms.VIEW_LEDGER):
        raise NotFound()
    return pool_get(actor=actor, pk=pool.pk)


def _rows(lines: QuerySet[JournalLine], opening_cash: Decimal | None, limit: int | None) -> tuple[list, bool]:
    rows: dict[int, StatementRow] = {}
    values = lines.values(
        "entry_id",
        "entry__number",
        "value_date",
        "entry__kind",
        "entry__memo",
        "entry__counterparty__name",
        "entry__claim__reference",
        "account",
        "debit",
        "credit",
    ).order_by("entry__number", "id")
    truncated = False
    for line in values.iterator(chunk_size=5000):
        row = rows.get(line["entry_id"])
        if row is None:
            if limit is not None and len(rows) >= limit:
                truncated = True
                break
            row = StatementRow(
                entry_id=line["entry_id"],
                number=line["entry__number"],
                value_date=line["value_date"],
                kind=line["entry__kind"],
                memo=line["entry__memo"] or "",
                counterparty=line["entry__counterparty__name"] or "",
                claim_reference=line["entry__claim__reference"] or "",
                amounts=defaultdict(lambda: ZERO),
            )
            rows[line["entry_id"]] = row
        # Movements are signed as the account's normal side grows (cash in > 0, payout > 0, owed up > 0).
        row.amounts[line["account"]] += natural(line["account"], line["debit"], line["credit"])
    result = list(rows.values())
    if opening_cash is not None:
        cash = opening_cash
        for row in result:
            cash += row.amounts.get(Account.CASH, ZERO)
            row.cash_after = cash
    for row in result:
        row.amounts = dict(row.amounts)
    return result, truncated


def _statement(
    pool: Pool, bank: Any, date_from: datetime.date | None, date_to: datetime.date | None, limit: int | None
) -> Statement:
    lines = JournalLine.objects.filter(pool=pool)
    if bank is not None:
        lines = lines.filter(counterparty=bank)
    opening = _balances(lines.filter(value_date__lt=date_from)) if date_from else dict.fromkeys(ACCOUNTS, ZERO)
    period = lines
    if date_from:
        period = period.filter(value_date__gte=date_from)
    if date_to:
        period = period.filter(value_date__lte=date_to)
    movements = _balances(period)
    closing = {account: opening[account] + movements[account] for account in ACCOUNTS}
    by_kind = {
        row["entry__kind"]: (row["d"] or ZERO) - (row["c"] or ZERO)
        for row in period.filter(account=Account.CASH)
        .values("entry__kind")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .order_by()
    }
    rows, truncated = _rows(period, opening[Account.CASH] if bank is None else None, limit)
    return Statement(pool, bank, date_from, date_to, opening, closing, movements, by_kind, rows, truncated)


def pool_statement(
    *,
    actor: Any,
    pool: Pool,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    limit: int | None = None,
) -> Statement:
    """The pool's statement over a period (value dates, inclusive): government members who see the pool and
    hold riskpool.view_ledger. Rows carry the running cash balance; `limit` keeps the first entries only
    (`truncated` tells). Raises NotFound."""
    pool = _require_ledger_pool(actor, pool)
    if not actor_scope(actor).is_government:
        raise NotFound()
    return _statement(pool, None, date_from, date_to, limit)


def bank_statement(
    *,
    actor: Any,
    pool: Pool,
    bank: Any,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    limit: int | None = None,
) -> Statement:
    """One bank's statement in a pool over a period: compensation granted, paid and owed to it, settlements
    and recoveries shared back. Government members who see the pool, or the bank itself (or its branches).
    Raises NotFound."""
    pool = _require_ledger_pool(actor, pool)
    if not actor_scope(actor).is_government and bank.pk not in visible_institution_ids(actor):
        raise NotFound()
    return _statement(pool, bank, date_from, date_to, limit)


def entry_list(*, actor: Any, pool: Pool, kind: str | None = None, bank: Any = None) -> QuerySet[JournalEntry]:
    """Ledger entries of a pool, newest first (government members, or a bank's own entries)."""
    pool = _require_ledger_pool(actor, pool)
    qs = JournalEntry.objects.filter(pool=pool).select_related("counterparty", "claim", "posted_by")
    if not actor_scope(actor).is_government:
        qs = qs.filter(counterparty_id__in=visible_institution_ids(actor))
    if kind:
        qs = qs.filter(kind=kind)
    if bank is not None:
        qs = qs.filter(counterparty=bank)
    return qs.prefetch_related("lines").order_by("-number")


# ---- invariants ------------------------------------------------------------------------------------------


@dataclass
class InvariantReport:
    """The result of checking a pool's ledger: `ok`, the problems found, and the figures checked."""

    ok: bool
    problems: list[str]
    figures: dict[str, Decimal]


def _sum(qs: QuerySet, expression: Any) -> Decimal:
    return qs.aggregate(total=Sum(expression))["total"] or ZERO


def ledger_check_invariants(pool: Pool, *, with_records: bool = True) -> InvariantReport:
    """Check everything that must always hold for a pool's money (tests, the daily task, the admin):

    every entry balances and the ledger as a whole; entry numbers run 1..n; cash, capital and each bank's
    owed amount are never negative; the pool row's cash, capital and covered balances equal the ledger and
    the enrolments; cash = capital + recoveries + interest − (payouts − owed), i.e. capital and top-ups plus
    recoveries and interest less compensation actually paid; and the claim records agree with the ledger
    (payouts, open owed amounts, recoveries; skipped with `with_records=False`, for tests that post raw
    entries). Reads only."""
    pool = Pool.objects.get(pk=pool.pk)
    problems: list[str] = []
    lines = JournalLine.objects.filter(pool=pool)
    # Compared in Python: SQLite compares decimal sums as floats in SQL.
    grouped = lines.values("entry_id").annotate(d=Sum("debit"), c=Sum("credit")).order_by()
    unbalanced = [row for row in grouped.iterator() if row["d"] != row["c"]]
    for row in unbalanced[:10]:
        problems.append(f"entry {row['entry_id']} does not balance: {row['d']} != {row['c']}")
    totals = lines.aggregate(d=Sum("debit"), c=Sum("credit"))
    if (totals["d"] or ZERO) != (totals["c"] or ZERO):
        problems.append(f"ledger does not balance: debits {totals['d']} != credits {totals['c']}")
    count = JournalEntry.objects.filter(pool=pool).aggregate(n=Count("id"))["n"] or 0
    top = JournalEntry.objects.filter(pool=pool).order_by("-number").values_list("number", flat=True).first() or 0
    if top != count:
        problems.append(f"entry numbers are not 1..{count} (highest {top})")
    b = _balances(lines)
    figures = {f"balance_{account}": value for account, value in b.items()}
    for account in (Account.CASH, Account.CAPITAL, Account.OWED):
        if b[account] < 0:
            problems.append(f"{account} is negative: {b[account]}")
    for row in (
        lines.filter(account=Account.OWED)
        .values("counterparty_id")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .order_by()
    ):
        if (row["c"] or ZERO) - (row["d"] or ZERO) < 0:
            problems.append(f"owed to bank {row['counterparty_id']} is negative")
    if pool.cash_balance != b[Account.CASH]:
        problems.append(f"pool cash_balance {pool.cash_balance} != cash account {b[Account.CASH]}")
    if pool.capital_total != b[Account.CAPITAL]:
        problems.append(f"pool capital_total {pool.capital_total} != capital account {b[Account.CAPITAL]}")
    paid = b[Account.PAYOUTS] - b[Account.OWED]
    expected_cash = b[Account.CAPITAL] + b[Account.RECOVERIES] + b[Account.INTEREST] - paid
    figures.update({"compensation_paid": paid, "expected_cash": expected_cash})
    if b[Account.CASH] != expected_cash:
        problems.append(f"cash {b[Account.CASH]} != capital + recoveries + interest - paid = {expected_cash}")
    covered = _sum(Enrolment.objects.filter(pool=pool, status=EnrolmentStatus.ACTIVE), "covered_amount")
    figures["covered_balance"] = covered
    if pool.covered_balance != covered:
        problems.append(f"pool covered_balance {pool.covered_balance} != covered enrolments {covered}")
    if with_records:
        problems += _record_problems(pool, b)
    return InvariantReport(ok=not problems, problems=problems, figures=figures)


def _record_problems(pool: Pool, b: dict[str, Decimal]) -> list[str]:
    """Disagreements between the claim records (payouts, owed amounts, recoveries) and the ledger."""
    problems: list[str] = []
    payouts = _sum(Payout.objects.filter(pool=pool), "amount")
    if payouts != b[Account.PAYOUTS]:
        problems.append(f"payout records {payouts} != payouts account {b[Account.PAYOUTS]}")
    open_owed = _sum(OwedAmount.objects.filter(pool=pool, status=OwedStatus.OPEN), F("amount") - F("settled_amount"))
    if open_owed != b[Account.OWED]:
        problems.append(f"open owed records {open_owed} != owed account {b[Account.OWED]}")
    recovered = _sum(Recovery.objects.filter(pool=pool), "pool_amount")
    if recovered != b[Account.RECOVERIES]:
        problems.append(f"recovery records {recovered} != recoveries account {b[Account.RECOVERIES]}")
    return problems


def ledger_assert_invariants(pool: Pool, *, with_records: bool = True) -> None:
    """AssertionError listing the problems unless ledger_check_invariants(pool) is ok (for tests)."""
    report = ledger_check_invariants(pool, with_records=with_records)
    assert report.ok, "; ".join(report.problems)
