"""The bank league table: every bank (head office) or every bank office (branches, sci-tech branches and head
offices lending themselves) compared over a period [start, end], in a few aggregate SQL queries.

Who: holders of financing.view_league_table (government users and bank staff). The table is a public
comparison: every bank sees every row (other banks' names and figures included), never another bank's loans.

Figures (all loans of the platform's ledger, counted at the bank or at the lending office by `level`):

- inclusive_balance_end / inclusive_balance_start: the balance of inclusive loans (micro or small borrower,
  total credit at most 10 million CNY) at the end of the period and at the end of the day before it starts
  ("opening"). A loan's balance on a day is the balance of its latest monthly status report whose month is on
  or before that day; without one, its amount until maturity and 0 after (financing.selectors.loans).
  inclusive_growth = end − start; inclusive_growth_rate = growth / start (none when start is 0).
- balance_end: the balance of every loan at the end; npl_ratio = the balance at the end of loans whose
  classification at the end (the same report) is substandard, doubtful or loss, divided by balance_end.
- msme_borrowers: borrowers (micro, small or medium when the loan was recorded) with a balance at the end.
- Loans disbursed in the period (disbursal date from start to end, inclusive): loans_count, loans_amount;
  first_time_count/amount; renewal_count/amount (renewal_without_repayment_count among them);
  credit_share = amount of credit loans / loans_amount; tech_count/amount (technology-enterprise loans);
  average_rate = amount-weighted average annual rate.
- tech_balance: the balance at the end of technology-enterprise loans.
- Demands published in the period (their publication date from start to end), and the office's (or any office
  of the bank's) answers to them:
  response_compliance = answers given on time / answers;
  take_up_rate = demands taken up / demands in the denominator, where the denominator is every demand it
  answered (taken up or passed) together with every demand it could see whose answer deadline (respond_by)
  passed before the as-of day (the end, or today when earlier) without its answer — leaving out demands
  withdrawn, expired or funded (closed) on or before their deadline. A demand visible to all institutions is
  visible to every office; a demand shown to chosen institutions is visible to the chosen offices, and to all
  offices of a chosen head office. At bank level, a demand counts once however many of its offices saw or
  answered it;
  approval_rate = take-ups approved or disbursed / take-ups decided (approved, disbursed or declined).
- median_days_to_money: the median, over loans disbursed in the period that fund a demand, of the days from
  the demand's publication (local date) to the loan's disbursal (stored on the loan when it is recorded).
Ratios whose denominator is 0 are None ("—" on pages).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.choices import BankTier, OrgType
from finbridge.accounts.models import Organization
from finbridge.core.errors import ValidationFailed
from finbridge.core.money import quantize_amount
from finbridge.core.permissions import require_perm
from finbridge.enterprises.choices import SizeClass
from finbridge.financing import permissions as perms
from finbridge.financing.choices import (
    NON_PERFORMING,
    DemandVisibility,
    EngagementStatus,
    ResponseKind,
)
from finbridge.financing.models import Demand, DemandResponse, Loan, LoanStatusReport

BANK = "bank"
BRANCH = "branch"
LEVELS = (BANK, BRANCH)
EARLIEST = datetime.date(2000, 1, 1)
MAX_PERIOD_DAYS = 366 * 10
MSME_SIZES = (SizeClass.MICRO, SizeClass.SMALL, SizeClass.MEDIUM)
RATIO = Decimal("0.0001")
RATE = Decimal("0.000001")
RATE_AMOUNT = Decimal("0.00000001")

MSG_LEVEL = _("Choose the level bank or branch.")
MSG_DATE = _("Enter a date as YYYY-MM-DD, such as 2026-03-31.")
MSG_ORDER = _("The period must start on or before its end.")
MSG_FUTURE = _("The period cannot end after today.")
MSG_EARLY = _("The period cannot start before %(date)s.")
MSG_LONG = _("Choose a period of at most ten years.")


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date

    @property
    def opening(self) -> datetime.date:
        """The day whose closing balances open the period (the day before it starts)."""
        return self.start - datetime.timedelta(days=1)

    @property
    def as_of(self) -> datetime.date:
        """The day deadlines are judged on: the end, or today when the period is not over."""
        return min(self.end, timezone.localdate())


@dataclass
class LeagueRow:
    """One bank or office of the league table, with its figures and the components of its ratios."""

    unit: Organization
    bank: Organization
    tier: str
    inclusive_balance_end: Decimal = Decimal("0.00")
    inclusive_balance_start: Decimal = Decimal("0.00")
    balance_end: Decimal = Decimal("0.00")
    npl_balance_end: Decimal = Decimal("0.00")
    tech_balance: Decimal = Decimal("0.00")
    msme_borrowers: int = 0
    loans_count: int = 0
    loans_amount: Decimal = Decimal("0.00")
    first_time_count: int = 0
    first_time_amount: Decimal = Decimal("0.00")
    renewal_count: int = 0
    renewal_amount: Decimal = Decimal("0.00")
    renewal_without_repayment_count: int = 0
    credit_amount: Decimal = Decimal("0.00")
    tech_count: int = 0
    tech_amount: Decimal = Decimal("0.00")
    rate_weighted_amount: Decimal = Decimal("0")
    responses: int = 0
    responses_on_time: int = 0
    taken_up: int = 0
    take_up_denominator: int = 0
    approved: int = 0
    decided: int = 0
    median_days_to_money: Decimal | None = None
    rank: int = 0

    @property
    def inclusive_growth(self) -> Decimal:
        return self.inclusive_balance_end - self.inclusive_balance_start

    @property
    def inclusive_growth_rate(self) -> Decimal | None:
        return _ratio(self.inclusive_growth, self.inclusive_balance_start)

    @property
    def npl_ratio(self) -> Decimal | None:
        return _ratio(self.npl_balance_end, self.balance_end)

    @property
    def credit_share(self) -> Decimal | None:
        return _ratio(self.credit_amount, self.loans_amount)

    @property
    def average_rate(self) -> Decimal | None:
        if not self.loans_amount:
            return None
        return (Decimal(self.rate_weighted_amount) / self.loans_amount).quantize(RATE, ROUND_HALF_UP)

    @property
    def response_compliance(self) -> Decimal | None:
        return _ratio(self.responses_on_time, self.responses)

    @property
    def take_up_rate(self) -> Decimal | None:
        return _ratio(self.taken_up, self.take_up_denominator)

    @property
    def approval_rate(self) -> Decimal | None:
        return _ratio(self.approved, self.decided)

    @property
    def is_scitech(self) -> bool:
        return self.tier == BankTier.SCITECH_BRANCH

    def value(self, key: str) -> Any:
        """A figure by its key (a field or a property)."""
        return getattr(self, key)


def _ratio(part: Any, whole: Any) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATIO, ROUND_HALF_UP)


@dataclass
class LeagueTable:
    period: Period
    level: str
    rows: list[LeagueRow] = field(default_factory=list)

    @property
    def totals(self) -> LeagueRow:
        """Every row added up (ratios recomputed from their parts; borrowers and the median are not additive)."""
        total = LeagueRow(unit=None, bank=None, tier="")  # type: ignore[arg-type]
        additive = [
            f.name
            for f in fields(LeagueRow)
            if f.name not in {"unit", "bank", "tier", "median_days_to_money", "rank", "msme_borrowers"}
        ]
        for row in self.rows:
            for name in additive:
                setattr(total, name, getattr(total, name) + getattr(row, name))
        total.msme_borrowers = None  # type: ignore[assignment]
        return total


# ---- input ----------------------------------------------------------------------------------------------------


def _day(name: str, value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationFailed(MSG_DATE, code="invalid_period", fields={name: [str(MSG_DATE)]}) from None


def clean_period(start: Any, end: Any) -> Period:
    """A Period from dates or YYYY-MM-DD text; ValidationFailed (code "invalid_period") when it is not one."""
    period = Period(_day("start", start), _day("end", end))
    problems: dict[str, list[str]] = {}
    if period.start > period.end:
        problems["end"] = [str(MSG_ORDER)]
    elif period.end > timezone.localdate():
        problems["end"] = [str(MSG_FUTURE)]
    elif period.start < EARLIEST:
        problems["start"] = [str(MSG_EARLY) % {"date": EARLIEST.isoformat()}]
    elif (period.end - period.start).days > MAX_PERIOD_DAYS:
        problems["start"] = [str(MSG_LONG)]
    if problems:
        raise ValidationFailed(next(iter(problems.values()))[0], code="invalid_period", fields=problems)
    return period


def default_period(today: datetime.date | None = None) -> Period:
    """The last twelve months: from the first day of the month eleven months ago to today."""
    today = today or timezone.localdate()
    month = today.month - 11
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return Period(datetime.date(year, month, 1), today)


# ---- SQL ------------------------------------------------------------------------------------------------------


class _Query:
    """SQL text with named parameters: `p(value)` adds a value and returns its placeholder."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def p(self, value: Any) -> str:
        if isinstance(value, datetime.datetime):
            value = connection.ops.adapt_datetimefield_value(value)
        elif isinstance(value, datetime.date):
            value = connection.ops.adapt_datefield_value(value)
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"%({name})s"

    def embed(self, sql: str, params: Iterable[Any]) -> str:
        """SQL made by Django with positional %s placeholders, its parameters turned into named ones."""
        for value in params:
            sql = sql.replace("%s", self.p(value), 1)
        return sql

    def rows(self, sql: str) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, self.params)
            return cursor.fetchall()


def _t(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _local_date(q: _Query, column: str) -> str:
    """SQL for the local (TIME_ZONE) date of a datetime column."""
    sql, params = connection.ops.datetime_cast_date_sql(column, (), timezone.get_current_timezone_name())
    return q.embed(sql, params)


def _flag(column: str) -> str:
    """A boolean column as a condition, for PostgreSQL (boolean) and SQLite (0/1)."""
    return f"{column} = TRUE" if connection.vendor == "postgresql" else f"{column} = 1"


# ---- the loans: a fast pass on the loan rows, and an exact correction for loans reported around a day --------
#
# A loan row carries its latest report (status_month, outstanding_balance, classification) and the month of its
# earliest (first_status_month). On a day D its balance is therefore known from the row alone unless it was
# reported both on or before D and after D ("deferred" on D): then it is the balance of its latest report on or
# before D, read from the report table. The fast pass counts deferred loans as 0 and tells how many there are; the
# correction pass (run only when there are some) adds their exact balances. Keeping correlated look-ups out of
# the fast pass lets PostgreSQL aggregate it in parallel, in a hash table.


def _simple_balance(q: _Query, day: datetime.date) -> str:
    """A loan's balance on `day` from its row alone (0 when deferred on `day`), for loans disbursed by then."""
    return (
        f"CASE WHEN lo.status_month <= {q.p(day)} THEN lo.outstanding_balance"
        f" WHEN lo.first_status_month <= {q.p(day)} THEN 0"
        f" WHEN lo.maturity_on > {q.p(day)} THEN lo.amount ELSE 0 END"
    )


def _deferred(q: _Query, day: datetime.date) -> str:
    """The loan was reported both on or before `day` and after it."""
    return f"(lo.status_month > {q.p(day)} AND lo.first_status_month <= {q.p(day)})"


def _latest_report(q: _Query, column: str, day: datetime.date) -> str:
    """The `column` of the loan's latest report on or before `day` (a correlated look-up)."""
    return (
        f"(SELECT r.{column} FROM {_t(LoanStatusReport)} r WHERE r.loan_id = lo.id AND r.month <= {q.p(day)}"
        f" ORDER BY r.month DESC LIMIT 1)"
    )


def _npl_values(q: _Query) -> str:
    return ", ".join(q.p(value) for value in sorted(NON_PERFORMING))


def _live(q: _Query, period: Period) -> str:
    """The loans that may hold a balance at the opening or at the end: disbursed by the end, and not matured by the
    opening with (if reported at all) a last report of 0 by then. Leaving the others out changes no figure."""
    return (
        f"lo.disbursed_on <= {q.p(period.end)}"
        f" AND NOT (lo.maturity_on <= {q.p(period.opening)} AND (lo.status_month IS NULL"
        f" OR (lo.outstanding_balance = 0 AND lo.status_month <= {q.p(period.opening)})))"
    )


def _opening_applies(q: _Query, period: Period) -> str:
    return f"{_flag('lo.is_inclusive')} AND lo.disbursed_on <= {q.p(period.opening)}"


# The loan flags that key the groups of the loan queries, in their column order.
GROUP_FLAGS = (
    "is_inclusive",
    "is_first_time",
    "is_renewal",
    "is_renewal_without_repayment",
    "is_credit",
    "is_tech_enterprise",
)


def _loan_groups(q: _Query, period: Period, level: str) -> str:
    """The fast pass, grouped by unit and loan flags (real columns: the planner foresees a few thousand groups and
    aggregates them in a hash table, in parallel). Per group: count, amount and amount x rate of the loans
    disbursed in the period; balances at the end (all; non-performing) and at the opening (inclusive loans);
    and the number of deferred loans. Each row feeds seven sums, added up per unit in Python (per group)."""
    unit = "lo.bank_id" if level == BANK else "lo.lender_id"
    flags = ", ".join(f"lo.{name}" for name in GROUP_FLAGS)
    inner = (
        f"SELECT {unit} AS unit, {flags},"
        f" CASE WHEN lo.disbursed_on >= {q.p(period.start)} THEN lo.amount END AS flow,"
        f" CASE WHEN lo.disbursed_on >= {q.p(period.start)} THEN lo.amount * lo.annual_rate END AS rated,"
        f" {_simple_balance(q, period.end)} AS bal_end,"
        f" CASE WHEN lo.status_month <= {q.p(period.end)} AND lo.classification IN ({_npl_values(q)})"
        f" THEN lo.outstanding_balance END AS npl_end,"
        f" CASE WHEN {_opening_applies(q, period)} THEN {_simple_balance(q, period.opening)} END AS bal_open,"
        f" CASE WHEN {_deferred(q, period.end)} OR ({_opening_applies(q, period)} AND {_deferred(q, period.opening)})"
        f" THEN 1 END AS deferred"
        f" FROM {_t(Loan)} lo WHERE {_live(q, period)}"
    )
    keys = ", ".join(("unit", *GROUP_FLAGS))
    # Sums skip NULLs: a loan adds to a sum only what applies to it (numeric arithmetic is the cost of this scan).
    return (
        f"SELECT {keys}, COUNT(flow), SUM(flow), SUM(rated), SUM(bal_end), SUM(npl_end), SUM(bal_open),"
        f" COUNT(deferred) FROM ({inner}) per_loan GROUP BY {keys}"
    )


def _deferred_groups(q: _Query, period: Period, level: str) -> str:
    """The correction pass: for loans deferred on the end or the opening, their balances on that day (and whether
    non-performing at the end) from their latest report on or before it, grouped like the fast pass."""
    unit = "lo.bank_id" if level == BANK else "lo.lender_id"
    flags = ", ".join(f"lo.{name}" for name in GROUP_FLAGS)
    end_fallback = f"CASE WHEN lo.maturity_on > {q.p(period.end)} THEN lo.amount ELSE 0 END"
    open_fallback = f"CASE WHEN lo.maturity_on > {q.p(period.opening)} THEN lo.amount ELSE 0 END"
    inner = (
        f"SELECT {unit} AS unit, {flags},"
        f" CASE WHEN {_deferred(q, period.end)} THEN COALESCE({_latest_report(q, 'outstanding_balance', period.end)},"
        f" {end_fallback}) ELSE 0 END AS bal_end,"
        f" CASE WHEN {_deferred(q, period.end)} AND {_latest_report(q, 'classification', period.end)}"
        f" IN ({_npl_values(q)}) THEN 1 ELSE 0 END AS npl,"
        f" CASE WHEN {_opening_applies(q, period)} AND {_deferred(q, period.opening)}"
        f" THEN COALESCE({_latest_report(q, 'outstanding_balance', period.opening)}, {open_fallback}) ELSE 0 END"
        f" AS bal_open"
        f" FROM {_t(Loan)} lo WHERE lo.disbursed_on <= {q.p(period.end)}"
        f" AND ({_deferred(q, period.end)} OR ({_opening_applies(q, period)} AND {_deferred(q, period.opening)}))"
    )
    keys = ", ".join(("unit", *GROUP_FLAGS))
    return (
        f"SELECT {keys}, 0, 0, 0, SUM(bal_end), SUM(npl * bal_end), SUM(bal_open), 0"
        f" FROM ({inner}) per_loan GROUP BY {keys}"
    )


def _borrowers(q: _Query, period: Period, level: str, *, with_deferred: bool) -> str:
    """Per unit, the borrowers (micro, small or medium when the loan was recorded) with a balance at the end; the
    balances of loans deferred on the end are looked up only when `with_deferred`."""
    unit = "lo.bank_id" if level == BANK else "lo.lender_id"
    sizes = ", ".join(q.p(value) for value in MSME_SIZES)
    pairs = (
        f"SELECT {unit} AS unit, lo.borrower_id FROM {_t(Loan)} lo"
        f" WHERE {_live(q, period)} AND lo.borrower_size_class IN ({sizes}) AND {_simple_balance(q, period.end)} > 0"
    )
    if with_deferred:
        sizes = ", ".join(q.p(value) for value in MSME_SIZES)
        pairs += (
            f" UNION SELECT {unit} AS unit, lo.borrower_id FROM {_t(Loan)} lo"
            f" WHERE lo.disbursed_on <= {q.p(period.end)} AND {_deferred(q, period.end)}"
            f" AND lo.borrower_size_class IN ({sizes})"
            f" AND {_latest_report(q, 'outstanding_balance', period.end)} > 0"
        )
        return f"SELECT unit, COUNT(*) FROM ({pairs}) pairs GROUP BY unit"
    return f"SELECT unit, COUNT(*) FROM ({pairs} GROUP BY {unit}, lo.borrower_id) pairs GROUP BY unit"


def _add_loan_groups(rows: dict[int, LeagueRow], groups: Iterable[tuple]) -> int:
    """Add a loan query's groups up into the rows (per group, not per loan); returns the deferred loans seen."""
    deferred_total = 0
    for (
        unit,
        inclusive,
        first,
        renewal,
        without,
        credit,
        tech,
        count,
        amount,
        rated,
        end,
        npl,
        opening,
        deferred,
    ) in groups:
        deferred_total += int(deferred or 0)
        row = rows.get(unit)
        if row is None:
            continue
        count, amount, end, opening = int(count or 0), _amount(amount), _amount(end), _amount(opening)
        row.balance_end += end
        row.npl_balance_end += _amount(npl)
        if inclusive:
            row.inclusive_balance_end += end
            row.inclusive_balance_start += opening
        if tech:
            row.tech_balance += end
        row.loans_count += count
        row.loans_amount += amount
        # amount (2 places) x rate (6 places) is exact to 8 places (SQLite sums it as a float: rounded back here)
        row.rate_weighted_amount += Decimal(str(rated or 0)).quantize(RATE_AMOUNT, ROUND_HALF_UP)
        if first:
            row.first_time_count += count
            row.first_time_amount += amount
        if renewal:
            row.renewal_count += count
            row.renewal_amount += amount
        if without:
            row.renewal_without_repayment_count += count
        if credit:
            row.credit_amount += amount
        if tech:
            row.tech_count += count
            row.tech_amount += amount
    return deferred_total


def _bounds(period: Period) -> tuple[datetime.datetime, datetime.datetime]:
    """Aware datetimes: the start of the period's first day and of the day after its last."""
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.datetime.combine(period.start, datetime.time.min), tz)
    after = timezone.make_aware(
        datetime.datetime.combine(period.end + datetime.timedelta(days=1), datetime.time.min), tz
    )
    return start, after


def _response_figures(q: _Query, period: Period, level: str) -> str:
    """Per unit: answers, answers on time, demands answered, taken up, answered and due, approved, decided.

    Grouped first per unit and demand (a bank's offices may answer the same demand), then per unit: two hash
    aggregations instead of sorting for distinct counts."""
    unit = "COALESCE(o.parent_id, o.id)" if level == BANK else "o.id"
    start, after = _bounds(period)
    take_up = q.p(ResponseKind.TAKE_UP)
    approved = ", ".join(q.p(s) for s in (EngagementStatus.APPROVED, EngagementStatus.DISBURSED))
    decided = ", ".join(
        q.p(s) for s in (EngagementStatus.APPROVED, EngagementStatus.DISBURSED, EngagementStatus.DECLINED)
    )
    per_demand = (
        f"SELECT {unit} AS unit, r.demand_id, COUNT(*) AS answers,"
        f" SUM(CASE WHEN {_flag('r.on_time')} THEN 1 ELSE 0 END) AS on_time,"
        f" MAX(CASE WHEN r.kind = {take_up} THEN 1 ELSE 0 END) AS taken,"
        f" MAX(CASE WHEN {_due(q, period)} THEN 1 ELSE 0 END) AS due,"
        f" SUM(CASE WHEN r.kind = {take_up} AND r.status IN ({approved}) THEN 1 ELSE 0 END) AS approved,"
        f" SUM(CASE WHEN r.kind = {take_up} AND r.status IN ({decided}) THEN 1 ELSE 0 END) AS decided"
        f" FROM {_t(DemandResponse)} r"
        f" JOIN {_t(Demand)} d ON d.id = r.demand_id"
        f" JOIN {_t(Organization)} o ON o.id = r.institution_id"
        f" WHERE o.org_type = {q.p(OrgType.BANK)} AND d.published_at >= {q.p(start)} AND d.published_at < {q.p(after)}"
        f" GROUP BY {unit}, r.demand_id"
    )
    return (
        f"SELECT unit, SUM(answers), SUM(on_time), COUNT(*), SUM(taken), SUM(due), SUM(approved), SUM(decided)"
        f" FROM ({per_demand}) per_demand GROUP BY unit"
    )


def _due(q: _Query, period: Period) -> str:
    """The demand's answer deadline passed before the as-of day, and it was not closed on or before it."""
    return (
        f"(d.respond_by < {q.p(period.as_of)}"
        f" AND (d.closed_at IS NULL OR {_local_date(q, 'd.closed_at')} > d.respond_by))"
    )


def _due_for_everyone(q: _Query, period: Period) -> str:
    """SQL counting the due demands published in the period that every institution could see."""
    start, after = _bounds(period)
    return (
        f"SELECT COUNT(*) FROM {_t(Demand)} d WHERE d.visibility = {q.p(DemandVisibility.ALL)}"
        f" AND d.published_at >= {q.p(start)} AND d.published_at < {q.p(after)} AND {_due(q, period)}"
    )


def _chosen_due(q: _Query, period: Period, level: str) -> str:
    """SQL counting, per unit, the due demands published in the period that were shown to chosen offices only."""
    start, after = _bounds(period)
    through = connection.ops.quote_name(Demand.chosen_institutions.through._meta.db_table)
    orgs = _t(Organization)
    if level == BANK:
        unit, join = "COALESCE(o.parent_id, o.id)", f"JOIN {orgs} o ON o.id = c.organization_id"
    else:  # the chosen office, and every branch of a chosen head office
        unit = "u.id"
        join = (
            f"JOIN {orgs} u ON (u.id = c.organization_id OR u.parent_id = c.organization_id)"
            f" AND u.org_type = {q.p(OrgType.BANK)}"
        )
    return (
        f"SELECT {unit} AS unit, COUNT(DISTINCT d.id) FROM {_t(Demand)} d"
        f" JOIN {through} c ON c.demand_id = d.id {join}"
        f" WHERE {_due(q, period)} AND d.visibility = {q.p(DemandVisibility.CHOSEN)}"
        f" AND d.published_at >= {q.p(start)} AND d.published_at < {q.p(after)}"
        f" GROUP BY {unit}"
    )


def _median_days(q: _Query, period: Period, level: str) -> str:
    """Per unit, the median days from demand to money of the loans disbursed in the period that fund a demand (the
    loan stores the days: an index-only scan of a small partial index, then a window over those loans)."""
    unit = "lo.bank_id" if level == BANK else "lo.lender_id"
    base = (
        f"SELECT {unit} AS unit, lo.days_from_demand AS days FROM {_t(Loan)} lo"
        f" WHERE lo.demand_id IS NOT NULL AND lo.disbursed_on >= {q.p(period.start)}"
        f" AND lo.disbursed_on <= {q.p(period.end)} AND lo.days_from_demand IS NOT NULL"
    )
    ranked = (
        f"SELECT unit, days, ROW_NUMBER() OVER (PARTITION BY unit ORDER BY days) AS position,"
        f" COUNT(*) OVER (PARTITION BY unit) AS total FROM ({base}) base"
    )
    return (
        f"SELECT unit, AVG(days) FROM ({ranked}) ranked"
        f" WHERE position IN ((total + 1) / 2, (total + 2) / 2) GROUP BY unit"
    )


# ---- the table ------------------------------------------------------------------------------------------------


def _units(level: str) -> list[Organization]:
    offices = Organization.objects.filter(org_type=OrgType.BANK, is_active=True).select_related("parent")
    if level == BANK:
        offices = offices.filter(parent__isnull=True)
    return list(offices.order_by("name", "id"))


def _amount(value: Any) -> Decimal:
    return quantize_amount(value or 0)


def league_table(*, actor: Any, start: Any, end: Any, level: str = BANK) -> LeagueTable:
    """Every bank (level "bank") or bank office (level "branch") with its figures over [start, end] (module
    docstring), in name order. Who: holders of financing.view_league_table. Raises PermissionDenied, or
    ValidationFailed (code "invalid_period" / "invalid_level") for a bad period or level."""
    require_perm(actor, perms.VIEW_LEAGUE_TABLE)
    if level not in LEVELS:
        raise ValidationFailed(MSG_LEVEL, code="invalid_level", fields={"level": [str(MSG_LEVEL)]})
    period = clean_period(start, end)
    return compute_league_table(period=period, level=level)


# On PostgreSQL the table's queries run in one transaction without JIT compilation (which costs more than the
# queries themselves: about two seconds on the benchmark machine) and with room to aggregate in memory.
POSTGRES_SETTINGS = ("SET LOCAL jit = off", "SET LOCAL work_mem = '64MB'")


def _tune() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for statement in POSTGRES_SETTINGS:
                cursor.execute(statement)


def whole_months(period: Period) -> bool:
    """Whether the period runs from the first day of a month to the last day of a month (or to today)."""
    from finbridge.analytics.ledger import last_of_month

    return period.start.day == 1 and (period.end == last_of_month(period.end) or period.end == timezone.localdate())


def compute_league_table(*, period: Period, level: str, stored_months: bool = True) -> LeagueTable:
    """The league table without the permission check (the benchmark and the checks call it).

    A period of whole months adds up the stored monthly figures of the loans (finbridge.analytics.ledger; computed
    first when missing or changed); any other period, or stored_months=False, scans the loans directly. Both give
    the same figures (the tests compare them)."""
    from finbridge.analytics import ledger

    use_months = stored_months and whole_months(period)
    if use_months:  # outside the transaction below, so that the months' state rows are committed before use
        ledger.ensure_months(
            level=level,
            flow_months=ledger.months_between(period.start, period.end),
            stock_days={
                ledger.first_of_month(period.end): period.end,
                ledger.first_of_month(period.opening): period.opening,
            },
        )
    with transaction.atomic():
        _tune()
        rows = _unit_rows(level)
        if use_months:
            _add_month_figures(rows, period, level)
        else:
            _add_loan_figures(rows, period, level)
        _add_demand_figures(rows, period, level)
    units = {unit.pk for unit in _units(level)}
    return LeagueTable(period=period, level=level, rows=[row for pk, row in rows.items() if pk in units])


def _unit_rows(level: str) -> dict[int, LeagueRow]:
    """An empty row for every bank (level bank) or bank office (level branch), active or not."""
    offices = Organization.objects.filter(org_type=OrgType.BANK).select_related("parent")
    if level == BANK:
        offices = offices.filter(parent__isnull=True)
    return {
        unit.pk: LeagueRow(
            unit=unit,
            bank=unit.parent if unit.parent_id else unit,
            tier=unit.bank_tier or (BankTier.HEAD_OFFICE if unit.parent_id is None else BankTier.BRANCH),
        )
        for unit in offices.order_by("name", "id")
    }


def _add_loan_figures(rows: dict[int, LeagueRow], period: Period, level: str) -> None:
    """The loan figures of the period, straight from the loans (one scan, a correction pass when needed)."""
    q = _Query()
    deferred = _add_loan_groups(rows, q.rows(_loan_groups(q, period, level)))
    if deferred:
        q = _Query()
        _add_loan_groups(rows, q.rows(_deferred_groups(q, period, level)))
    q = _Query()
    for unit, count in q.rows(_borrowers(q, period, level, with_deferred=bool(deferred))):
        if unit in rows:
            rows[unit].msme_borrowers = int(count)


def _flow_groups(q: _Query, start: datetime.date, end: datetime.date, level: str) -> str:
    """The loans disbursed from `start` to `end`, grouped like the loan pass (balances left 0)."""
    unit = "lo.bank_id" if level == BANK else "lo.lender_id"
    keys = ", ".join(("unit", *GROUP_FLAGS))
    flags = ", ".join(f"lo.{name}" for name in GROUP_FLAGS)
    return (
        f"SELECT {keys}, COUNT(*), SUM(amount), SUM(amount * annual_rate), 0, 0, 0, 0 FROM"
        f" (SELECT {unit} AS unit, {flags}, lo.amount, lo.annual_rate FROM {_t(Loan)} lo"
        f" WHERE lo.disbursed_on >= {q.p(start)} AND lo.disbursed_on <= {q.p(end)}) flows GROUP BY {keys}"
    )


def month_figures(
    *, level: str, month: datetime.date, flows: bool, stock_day: datetime.date | None
) -> dict[int, LeagueRow]:
    """One month's loan figures for every unit: the loans disbursed in it (when `flows`) and the balances on
    `stock_day` (when given), by the same SQL as the direct table. Used by finbridge.analytics.ledger."""
    from finbridge.analytics.ledger import last_of_month

    rows = _unit_rows(level)
    with transaction.atomic():
        _tune()
        if flows:
            q = _Query()
            end = min(last_of_month(month), timezone.localdate())
            _add_loan_groups(rows, q.rows(_flow_groups(q, month, end, level)))
        if stock_day is not None:
            # A period starting the day after stock_day and ending on it: no flows, balances on stock_day.
            _add_loan_figures(rows, Period(stock_day + datetime.timedelta(days=1), stock_day), level)
    return rows


def _add_month_figures(rows: dict[int, LeagueRow], period: Period, level: str) -> None:
    """The loan figures of a period of whole months, from the stored months (ensure_months ran before)."""
    from finbridge.analytics.ledger import FLOW_FIELDS, STOCK_FIELDS, first_of_month, month_rows, months_between

    end_month, opening_month = first_of_month(period.end), first_of_month(period.opening)
    flow_months = set(months_between(period.start, period.end))
    for stored in month_rows(level=level, months=flow_months | {end_month, opening_month}):
        row = rows.get(stored.unit_id)
        if row is None:
            continue
        if stored.month in flow_months:
            for name in FLOW_FIELDS:
                setattr(row, name, getattr(row, name) + getattr(stored, name))
        if stored.month == end_month:
            for column, attribute in STOCK_FIELDS.items():
                setattr(row, attribute, getattr(stored, column))
        if stored.month == opening_month:
            row.inclusive_balance_start = stored.inclusive_balance


def _add_demand_figures(rows: dict[int, LeagueRow], period: Period, level: str) -> None:
    """Answers, take-ups, approvals and the median days from demand to money (always straight from the tables)."""
    q = _Query()
    for unit, answers, on_time, answered, taken_up, answered_due, approved, decided in q.rows(
        _response_figures(q, period, level)
    ):
        row = rows.get(unit)
        if row is None:
            continue
        row.responses, row.responses_on_time, row.taken_up = int(answers), int(on_time or 0), int(taken_up)
        row.approved, row.decided = int(approved or 0), int(decided or 0)
        row.take_up_denominator = int(answered) - int(answered_due)
    q = _Query()
    due_for_everyone = int(q.rows(_due_for_everyone(q, period))[0][0] or 0)
    for row in rows.values():
        row.take_up_denominator += due_for_everyone
    q = _Query()
    for unit, count in q.rows(_chosen_due(q, period, level)):
        if unit in rows:
            rows[unit].take_up_denominator += int(count)
    q = _Query()
    for unit, median in q.rows(_median_days(q, period, level)):
        if unit in rows and median is not None:
            rows[unit].median_days_to_money = Decimal(str(median)).quantize(Decimal("0.1"), ROUND_HALF_UP)


# ---- ranking --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    """A figure of the table: its key, its title, how it is shown, and whether more is better."""

    key: str
    label: Any
    kind: str  # "money", "count", "ratio", "rate", "days"
    higher_is_better: bool = True
    chart: bool = False


METRICS: tuple[Metric, ...] = (
    Metric("inclusive_balance_end", _("Inclusive loan balance"), "money", chart=True),
    Metric("inclusive_growth", _("Inclusive balance growth"), "money", chart=True),
    Metric("inclusive_growth_rate", _("Inclusive balance growth rate"), "ratio"),
    Metric("msme_borrowers", _("MSME borrowers"), "count", chart=True),
    Metric("first_time_count", _("First-time loans"), "count", chart=True),
    Metric("first_time_amount", _("First-time loan amount"), "money"),
    Metric("renewal_count", _("Renewals"), "count"),
    Metric("renewal_amount", _("Renewal amount"), "money"),
    Metric("credit_share", _("Share of credit loans"), "ratio"),
    Metric("tech_count", _("Technology-enterprise loans"), "count", chart=True),
    Metric("tech_amount", _("Technology-enterprise loan amount"), "money"),
    Metric("tech_balance", _("Technology-enterprise loan balance"), "money"),
    Metric("average_rate", _("Average rate"), "rate", higher_is_better=False),
    Metric("npl_ratio", _("Non-performing ratio"), "ratio", higher_is_better=False, chart=True),
    Metric("response_compliance", _("Answered on time"), "ratio", chart=True),
    Metric("take_up_rate", _("Take-up rate"), "ratio", chart=True),
    Metric("approval_rate", _("Approval rate"), "ratio"),
    Metric("median_days_to_money", _("Median days from demand to money"), "days", higher_is_better=False),
)
METRIC_BY_KEY = {metric.key: metric for metric in METRICS}
DEFAULT_SORT = "inclusive_balance_end"


def ranked(rows: Iterable[LeagueRow], key: str = DEFAULT_SORT, *, descending: bool | None = None) -> list[LeagueRow]:
    """The rows sorted by a figure (best first unless `descending` says otherwise), ranked 1, 2, ... (ties share
    a rank); rows without the figure come last, unranked (rank 0). Raises ValidationFailed for an unknown key."""
    metric = METRIC_BY_KEY.get(key)
    if metric is None:
        message = str(_("Sort by one of: %(choices)s.")) % {"choices": ", ".join(METRIC_BY_KEY)}
        raise ValidationFailed(message, code="invalid_sort", fields={"sort": [message]})
    best_first = metric.higher_is_better if descending is None else descending
    present = sorted((row for row in rows if row.value(key) is not None), key=_name)
    missing = sorted((row for row in rows if row.value(key) is None), key=_name)
    present.sort(key=lambda row: row.value(key), reverse=best_first)  # stable: equal figures stay in name order
    previous, rank = object(), 0
    for index, row in enumerate(present, start=1):
        value = row.value(key)
        if value != previous:
            rank, previous = index, value
        row.rank = rank
    for row in missing:
        row.rank = 0
    return present + missing


def _name(row: LeagueRow) -> str:
    return row.unit.display_name if row.unit is not None else ""
