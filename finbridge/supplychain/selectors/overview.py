"""The supply-chain overview: volumes confirmed, asked for, financed and settled, days paid early and overdue
amounts, by debtor (core enterprise), by funder, by voucher tier and by month.

Each party sees its own side only, chosen by the organisation it looks from (a "viewpoint"):
- the district authority: everything;
- a core enterprise (or any firm holding supplychain.view_overview): the receivables it owes;
- a bank: what it was asked to fund and what it financed (a head office also sees its branches').
A bank viewpoint is the same restriction as the funder filter ("funder side"): the figures then count what was asked
of those funders, financed by them and paid to them; confirmation and voucher volumes are not theirs to see
(None).

Definitions (period [start, end], local dates; months in Asia/Shanghai):
- confirmed: receivables whose debtor confirmed them in the period (by confirmation time; payables a debtor
  uploaded count on upload);
- asked for: the face amount of the receivables and voucher parts in financing requests sent in the period, each
  item once; per funder (and on the funder side), once for each funder the request was sent to;
- financed: registrations (pledge or transfer) made in the period, at face amount, and the amount advanced;
- settled: the debtor's payments recorded as paid in the period; days paid early = due date - payment date,
  averaged weighted by amount (negative: paid late);
- voucher volume: the amount reaching each tier in the period (parts issued or transferred there; a part kept by
  its holder after a split is not new volume);
- overdue: unpaid amounts past their due date TODAY (whatever the period): receivables flagged overdue and not
  yet settled; for a funder, the face amount of its active registrations on them.

Whole closed months add up stored monthly figures (selectors/overview_months.py, models/overview.py); the open
months and the partial months at the ends of the period are aggregated from the fact tables, and the overdue
amounts always are. docs/performance.md ("Supply-chain finance") gives the figures at 1,000,000 receivables.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.choices import OrgType
from finbridge.accounts.models import Organization
from finbridge.accounts.roles import codes_for
from finbridge.analytics.selectors import Period, clean_period, default_period
from finbridge.core.errors import PermissionDenied, ValidationFailed
from finbridge.core.money import quantize_amount
from finbridge.core.permissions import has_perm
from finbridge.supplychain import permissions as perms
from finbridge.supplychain.choices import ReceivableStatus, RegistrationStatus
from finbridge.supplychain.models import Receivable, Registration
from finbridge.supplychain.selectors import overview_months as months_store
from finbridge.supplychain.selectors.overview_months import (
    ADDITIVE,
    DIRECT_TIER,
    FINANCED,
    REQUESTED,
    SETTLED,
    VOUCHER,
    Figures,
    Key,
)

__all__ = ["Figures", "Overview", "Viewpoint", "compute_overview", "overview_viewpoints", "supplychain_overview"]

AUTHORITY = "authority"
DEBTOR = "debtor"
FUNDER = "funder"
VIEWPOINT_KINDS = (AUTHORITY, DEBTOR, FUNDER)
DEBTOR_TYPES = frozenset({OrgType.CORE_ENTERPRISE, OrgType.MSME})
FUNDER_TYPES = frozenset({OrgType.BANK})
# Unpaid statuses: a receivable in one of them that is flagged overdue is an overdue amount.
OUTSTANDING = (
    ReceivableStatus.CONFIRMED,
    ReceivableStatus.FINANCING_REQUESTED,
    ReceivableStatus.FINANCED,
    ReceivableStatus.VOUCHER_ISSUED,
)
GROUP_ROWS = 100  # rows of the debtor and funder tables; the rest is added up as "others"

MSG_ORGANIZATION = _("Choose one of your organisations that may see the overview.")
MSG_DEBTOR = _("Choose a debtor: the number of a firm on the platform.")
MSG_FUNDER = _("Choose a funder: the number of a bank on the platform.")


# ---- results ---------------------------------------------------------------------------------------------------


@dataclass
class GroupRow:
    organization: Organization
    figures: Figures


@dataclass
class TierRow:
    tier: int
    figures: Figures

    @property
    def label(self) -> str:
        if self.tier == DIRECT_TIER:
            return str(_("Receivables (no voucher)"))
        return str(_("Tier %(tier)s")) % {"tier": self.tier}


@dataclass
class MonthRow:
    month: datetime.date
    figures: Figures


@dataclass(frozen=True)
class Viewpoint:
    """Whose side the overview shows: the district authority (everything), a debtor or a funder."""

    kind: str
    organization: Organization
    debtor_ids: frozenset[int] | None = None
    funder_ids: frozenset[int] | None = None


@dataclass
class Overview:
    period: Period
    viewpoint: Viewpoint
    debtor: Organization | None
    funder: Organization | None
    as_of: datetime.date
    totals: Figures = field(default_factory=Figures)
    by_debtor: list[GroupRow] = field(default_factory=list)
    other_debtors: Figures | None = None
    other_debtors_count: int = 0
    by_funder: list[GroupRow] = field(default_factory=list)
    other_funders: Figures | None = None
    other_funders_count: int = 0
    by_tier: list[TierRow] = field(default_factory=list)
    by_month: list[MonthRow] = field(default_factory=list)
    funder_side: bool = False  # a bank's side or a funder filter: confirmation and voucher volumes are not shown


# ---- who looks -------------------------------------------------------------------------------------------------


def overview_viewpoints(*, actor: Any) -> list[Viewpoint]:
    """The organisations the actor may look from (memberships granting supplychain.view_overview): the district
    authority first, then firms, then banks, each by name. Raises nothing."""
    if not has_perm(actor, perms.VIEW_OVERVIEW):
        return []
    found: dict[int, Organization] = {}
    for membership in actor.active_memberships:
        org = membership.organization
        if perms.VIEW_OVERVIEW in codes_for(org.org_type, membership.role):
            found[org.pk] = org
    order = {OrgType.DISTRICT_AUTHORITY: 0, OrgType.CORE_ENTERPRISE: 1, OrgType.MSME: 1, OrgType.BANK: 2}
    result = []
    for org in sorted(found.values(), key=lambda o: (order.get(o.org_type, 9), o.name, o.pk)):
        viewpoint = _viewpoint_of(org)
        if viewpoint is not None:
            result.append(viewpoint)
    return result


def _viewpoint_of(org: Organization) -> Viewpoint | None:
    if org.org_type == OrgType.DISTRICT_AUTHORITY:
        return Viewpoint(AUTHORITY, org)
    if org.org_type in DEBTOR_TYPES:
        return Viewpoint(DEBTOR, org, debtor_ids=frozenset({org.pk}))
    if org.org_type in FUNDER_TYPES:
        branches = Organization.objects.filter(parent=org, org_type=OrgType.BANK).values_list("pk", flat=True)
        return Viewpoint(FUNDER, org, funder_ids=frozenset({org.pk, *branches}))
    return None


def _choose_viewpoint(actor: Any, organization: Any) -> Viewpoint:
    viewpoints = overview_viewpoints(actor=actor)
    if not viewpoints:
        raise PermissionDenied()
    if organization in (None, ""):
        return viewpoints[0]
    wanted = organization.pk if isinstance(organization, Organization) else _positive_int(organization)
    for viewpoint in viewpoints:
        if viewpoint.organization.pk == wanted:
            return viewpoint
    raise ValidationFailed(
        MSG_ORGANIZATION, code="invalid_organization", fields={"organization": [str(MSG_ORGANIZATION)]}
    )


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _filter_org(value: Any, name: str, org_types: frozenset[str], message: Any) -> Organization | None:
    """The organisation a filter names (None when not given); ValidationFailed "invalid_filter" otherwise."""
    if value in (None, ""):
        return None
    if isinstance(value, Organization):
        org = value if value.org_type in org_types else None
    else:
        pk = _positive_int(value)
        org = Organization.objects.filter(pk=pk, org_type__in=org_types).first() if pk else None
    if org is None:
        raise ValidationFailed(message, code="invalid_filter", fields={name: [str(message)]})
    return org


# ---- entry point -----------------------------------------------------------------------------------------------


def supplychain_overview(
    *,
    actor: Any,
    start: Any = None,
    end: Any = None,
    debtor: Any = None,
    funder: Any = None,
    organization: Any = None,
    rows: int = GROUP_ROWS,
) -> Overview:
    """The overview of [start, end] (default: the last twelve months) as seen from `organization` (one of the
    actor's organisations holding supplychain.view_overview; default: the first of overview_viewpoints),
    optionally for one debtor and/or one funder (organisation ids), with the `rows` biggest debtors and funders
    (the rest added up). See the module docstring for the figures.

    Who: holders of supplychain.view_overview (district authority, core enterprises, banks). Raises
    PermissionDenied, or ValidationFailed with code "invalid_period", "invalid_filter" or
    "invalid_organization" (field messages) for bad input."""
    viewpoint = _choose_viewpoint(actor, organization)
    default = default_period()
    period = clean_period(start or default.start, end or default.end)
    debtor_org = _filter_org(debtor, "debtor", DEBTOR_TYPES, MSG_DEBTOR)
    funder_org = _filter_org(funder, "funder", FUNDER_TYPES, MSG_FUNDER)
    return compute_overview(period=period, viewpoint=viewpoint, debtor=debtor_org, funder=funder_org, rows=rows)


def compute_overview(
    *,
    period: Period,
    viewpoint: Viewpoint,
    debtor: Organization | None = None,
    funder: Organization | None = None,
    today: datetime.date | None = None,
    rows: int = GROUP_ROWS,
    stored_months: bool = True,
) -> Overview:
    """The overview without input checks (the benchmark and the tests call it). stored_months=False aggregates
    every month from the fact tables (the same figures; the tests compare them)."""
    scope = _Scope.of(viewpoint, debtor, funder)
    today = today or timezone.localdate()
    result = Overview(period=period, viewpoint=viewpoint, debtor=debtor, funder=funder, as_of=today)
    result.funder_side = scope.funder_ids is not None
    stored, live = _plan(period, today, stored_months and months_store.stored_months_available())
    if scope.empty:
        stored, live = [], []
    if stored:  # outside the transaction below, so that the months computed are committed for every reader
        months_store.ensure_months(stored, today=today)
    with transaction.atomic():
        _tune()
        fold = _Fold(scope)
        fold.add_stored(stored)
        pairs = scope.debtor_ids is not None or scope.funder_ids is not None  # the authority needs no pair rows
        live_rows = months_store.grain_rows(live, debtor_ids=scope.debtor_ids, funder_ids=scope.funder_ids, pairs=pairs)
        fold.add_live(live_rows)
        if not scope.empty:
            fold.add_overdue()
        fold.build(result, period, rows)
    return result


def _plan(
    period: Period, today: datetime.date, use_stored: bool
) -> tuple[list[datetime.date], list[tuple[datetime.date, datetime.date]]]:
    """The period's whole closed months (stored figures) and the date ranges aggregated from the fact tables."""
    stored, live = [], []
    for month in months_store.months_between(period.start, period.end):
        last = months_store.last_of_month(month)
        whole = period.start <= month and last <= period.end
        if use_stored and whole and months_store.is_closed(month, today):
            stored.append(month)
        else:
            live.append((max(month, period.start), min(last, period.end)))
    return stored, live


# On PostgreSQL the queries run in one transaction without JIT compilation (it costs more than the queries), with
# room to aggregate in memory (as the league table does), and costing random reads as the cached reads they are
# (the default 4 makes the planner scan a million receivables to join a month's registrations to them).
POSTGRES_SETTINGS = ("SET LOCAL jit = off", "SET LOCAL work_mem = '32MB'", "SET LOCAL random_page_cost = 1.1")


def _tune() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for statement in POSTGRES_SETTINGS:
                cursor.execute(statement)


# ---- adding up -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    """Debtors and funders every figure is restricted to (None: any). An empty set means nothing to show."""

    debtor_ids: frozenset[int] | None
    funder_ids: frozenset[int] | None

    @classmethod
    def of(cls, viewpoint: Viewpoint, debtor: Organization | None, funder: Organization | None) -> _Scope:
        return cls(debtor_ids=_narrow(viewpoint.debtor_ids, debtor), funder_ids=_narrow(viewpoint.funder_ids, funder))

    @property
    def empty(self) -> bool:
        return self.debtor_ids == frozenset() or self.funder_ids == frozenset()


def _narrow(ids: frozenset[int] | None, org: Organization | None) -> frozenset[int] | None:
    if org is None:
        return ids
    return frozenset({org.pk}) if ids is None else ids & {org.pk}


ZERO_ID = "zero"  # grain rows "of every debtor" (or funder): id 0
EACH_ID = "each"  # grain rows of one debtor (or funder) each: id > 0
TIER_MEASURES = FINANCED + SETTLED + VOUCHER
FUNDER_MEASURES = REQUESTED + FINANCED + SETTLED
GROUP_INDEX = {"month": 0, "debtor_id": 1, "funder_id": 2, "tier": 3}


@dataclass(frozen=True)
class _Use:
    """Which grain rows (debtor and funder: ZERO_ID, EACH_ID or a set of ids) add which measures to which group."""

    debtors: Any
    funders: Any
    group: str  # "month", "debtor_id", "funder_id" or "tier"
    measures: Sequence[str]

    def condition(self) -> Q:
        return _id_condition("debtor_id", self.debtors) & _id_condition("funder_id", self.funders)

    def matches(self, key: Key) -> bool:
        return _id_matches(key[1], self.debtors) and _id_matches(key[2], self.funders)


def _id_condition(name: str, spec: Any) -> Q:
    if spec == ZERO_ID:
        return Q(**{name: 0})
    if spec == EACH_ID:
        return Q(**{f"{name}__gt": 0})
    return Q(**{f"{name}__in": spec})


def _id_matches(value: int, spec: Any) -> bool:
    if spec == ZERO_ID:
        return value == 0
    if spec == EACH_ID:
        return value > 0
    return value in spec


def _uses(scope: _Scope) -> list[_Use]:
    """How the grain rows make up the groups for this scope (selectors/overview_months.py describes the rows)."""
    debtors, funders = scope.debtor_ids, scope.funder_ids
    each_debtor = EACH_ID if debtors is None else debtors
    if funders is None:  # the debtor side: debtor rows; the funders from the funder (or pair) rows
        side = (each_debtor, ZERO_ID)
        funder_side = (ZERO_ID, EACH_ID) if debtors is None else (debtors, EACH_ID)
        return [
            _Use(*side, "debtor_id", ADDITIVE),
            _Use(*side, "month", ADDITIVE),
            _Use(*side, "tier", TIER_MEASURES),
            _Use(*funder_side, "funder_id", FUNDER_MEASURES),
        ]
    side = (ZERO_ID, funders) if debtors is None else (debtors, funders)
    return [
        _Use(*side, "month", ADDITIVE),
        _Use(*side, "tier", TIER_MEASURES),
        _Use(*side, "funder_id", FUNDER_MEASURES),
        _Use(each_debtor, funders, "debtor_id", ADDITIVE),
    ]


class _Fold:
    """Adds stored and live grain rows, and today's overdue amounts, into the groups of the overview."""

    def __init__(self, scope: _Scope) -> None:
        self.scope = scope
        self.uses = _uses(scope)
        self.groups: dict[str, dict[Any, Figures]] = {name: defaultdict(Figures) for name in GROUP_INDEX}
        self.overdue = Figures()

    def add_stored(self, months: Sequence[datetime.date]) -> None:
        for use in self.uses:
            target = self.groups[use.group]
            for row in months_store.stored_sums(use.condition(), months, use.group):
                target[_group_key(use.group, row[use.group])].add(row, use.measures)

    def add_live(self, rows: dict[Key, Figures]) -> None:
        for key, figures in rows.items():
            for use in self.uses:
                if use.matches(key):
                    self.groups[use.group][key[GROUP_INDEX[use.group]]].add(figures, use.measures)

    def add_overdue(self) -> None:
        """Overdue today: receivables' unpaid amounts by debtor (on the funder side: the funders' active
        registrations on them), and each funder's active registrations on overdue receivables."""
        debtors, funders = self.groups["debtor_id"], self.groups["funder_id"]
        registrations = Registration.objects.filter(
            status=RegistrationStatus.ACTIVE, root_receivable__is_overdue=True, root_receivable__status__in=OUTSTANDING
        )
        if self.scope.funder_ids is not None:
            registrations = registrations.filter(funder_id__in=self.scope.funder_ids)
        if self.scope.debtor_ids is not None:
            registrations = registrations.filter(root_receivable__debtor_id__in=self.scope.debtor_ids)
        rows = registrations.order_by().values("funder_id", debtor=F("root_receivable__debtor_id"))
        funder_side = self.scope.funder_ids is not None
        for row in rows.annotate(n=Count("*"), total=months_store._sum("face_amount")):
            targets = [funders[row["funder_id"]]]
            if funder_side:  # a funder's side: what it financed is its overdue amount
                targets += [debtors[row["debtor"]], self.overdue]
            _add_overdue(targets, row)
        if funder_side:
            return
        receivables = Receivable.objects.filter(is_overdue=True, status__in=OUTSTANDING)
        if self.scope.debtor_ids is not None:
            receivables = receivables.filter(debtor_id__in=self.scope.debtor_ids)
        for row in receivables.order_by().values("debtor_id").annotate(n=Count("*"), total=months_store._sum("amount")):
            _add_overdue([debtors[row["debtor_id"]], self.overdue], row)

    def build(self, result: Overview, period: Period, limit: int) -> None:
        totals = Figures()
        for figures in self.groups["month"].values():
            totals.add(figures)
        totals.add(self.overdue, ("overdue_count", "overdue_amount"))
        result.totals = _rounded(totals)
        debtors = _nonzero(self.groups["debtor_id"])
        funders = _nonzero(self.groups["funder_id"])
        organizations = Organization.objects.in_bulk([*debtors, *funders])
        result.by_debtor, result.other_debtors, result.other_debtors_count = _group_rows(
            debtors, organizations, limit, key=lambda f: (f.confirmed_amount, f.financed_amount, f.settled_amount)
        )
        result.by_funder, result.other_funders, result.other_funders_count = _group_rows(
            funders, organizations, limit, key=lambda f: (f.financed_amount, f.requested_amount, f.settled_amount)
        )
        tiers = _nonzero(self.groups["tier"])
        result.by_tier = [TierRow(tier, _rounded(tiers[tier])) for tier in sorted(tiers)]
        months = self.groups["month"]
        result.by_month = [
            MonthRow(month, _rounded(months.get(month, Figures())))
            for month in months_store.months_between(period.start, period.end)
        ]


def _group_key(group: str, value: Any) -> Any:
    return months_store._as_date(value) if group == "month" else value


def _add_overdue(targets: Iterable[Figures], row: dict[str, Any]) -> None:
    for figures in targets:
        figures.overdue_count += row["n"]
        figures.overdue_amount += row["total"]


def _nonzero(groups: dict[Any, Figures]) -> dict[Any, Figures]:
    empty = Figures()
    return {key: figures for key, figures in groups.items() if figures != empty}


def _rounded(figures: Figures) -> Figures:
    """Amounts to the fen, counts as int (sums read back from the database may come as Decimal)."""
    for name in ADDITIVE:
        value = getattr(figures, name)
        setattr(figures, name, int(value) if name.endswith("_count") else quantize_amount(value))
    return figures


def _group_rows(
    groups: dict[int, Figures], organizations: dict[int, Organization], limit: int, *, key: Any
) -> tuple[list[GroupRow], Figures | None, int]:
    """Rows of the biggest `limit` groups (by `key`, then name), and the others added up (None if none)."""
    rows = [GroupRow(organizations[pk], _rounded(figures)) for pk, figures in groups.items() if pk in organizations]
    rows.sort(key=lambda row: (row.organization.name, row.organization.pk))
    rows.sort(key=lambda row: key(row.figures), reverse=True)
    if len(rows) <= limit:
        return rows, None, 0
    others = Figures()
    for row in rows[limit:]:
        others.add(row.figures)
    return rows[:limit], others, len(rows) - limit


def filter_choices(*, viewpoint: Viewpoint) -> dict[str, list[Organization]]:
    """Organisations the page offers as filters: debtors (core enterprises; a debtor viewpoint: none) and funders
    (banks; a bank viewpoint: itself and its branches). The API accepts any firm or bank id."""
    debtors: Iterable[Organization] = []
    if viewpoint.kind != DEBTOR:
        debtors = Organization.objects.filter(org_type=OrgType.CORE_ENTERPRISE, is_active=True)
    funders = Organization.objects.filter(org_type=OrgType.BANK)
    if viewpoint.funder_ids is not None:
        funders = funders.filter(pk__in=viewpoint.funder_ids)
    return {
        "debtors": sorted(debtors, key=lambda o: (o.name, o.pk)),
        "funders": sorted(funders, key=lambda o: (o.name, o.pk)),
    }
