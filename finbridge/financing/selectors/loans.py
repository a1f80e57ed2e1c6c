"""Reads of the loans ledger: loans, their monthly status reports and spreadsheet import runs.

Who sees which loan (row visibility lives here and nowhere else):
- the district financial authority: every loan;
- an industry authority: loans to the enterprises it manages; a subdistrict office: loans to enterprises in
  its subdistrict (the same remit as the registry);
- a bank office: the loans it made; a head office also the loans of its branches (every loan whose bank
  is the head office);
- an MSME: its own borrowings (loans whose borrower is its enterprise record);
- everyone else (guarantors, insurers, ...): none.
A loan the actor may not see answers NotFound, exactly like a missing one.

Who records loans (`recording_offices`): a member whose own role in a bank office grants
financing.record_loan records for that office, and, in a head office, for each of its branches too.

A loan's balance on a day (`balance_on`, also the rule of the league tables and of the inclusive flag):
0 before it is disbursed; otherwise the balance of its latest monthly status report whose month (the first
day of the month reported on) is on or before the day; without such a report, the amount until the
maturity date and 0 from then on. Its classification on a day follows the same report (normal without one).
The loan row carries its latest report (`status_month`, `outstanding_balance`, `classification`) and the
month of its earliest (`first_status_month`), so the report table is read only for loans reported both
before and after the day.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.db.models import (
    Case,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.choices import OrgType
from finbridge.accounts.models import Organization
from finbridge.accounts.roles import codes_for
from finbridge.accounts.selectors import actor_scope
from finbridge.core.errors import NotFound, ValidationFailed
from finbridge.core.money import AMOUNT_DECIMAL_PLACES, AMOUNT_MAX_DIGITS
from finbridge.core.permissions import has_perm
from finbridge.financing import permissions as perms
from finbridge.financing.choices import LoanClassification, LoanSource
from finbridge.financing.models import Loan, LoanImportRun, LoanStatusReport

MAX_ID = 2**63 - 1
FILTER_NAMES = (
    "q",
    "lender",
    "bank",
    "borrower",
    "disbursed_from",
    "disbursed_to",
    "classification",
    "source",
    "first_time",
    "renewal",
    "credit",
    "tech",
    "inclusive",
)
FLAG_FILTERS = {
    "first_time": "is_first_time",
    "renewal": "is_renewal",
    "credit": "is_credit",
    "tech": "is_tech_enterprise",
    "inclusive": "is_inclusive",
}
ORDERINGS: dict[str, tuple[str, ...]] = {
    "-disbursed_on": ("-disbursed_on", "-id"),
    "disbursed_on": ("disbursed_on", "id"),
    "-amount": ("-amount", "-id"),
    "amount": ("amount", "id"),
    "reference": ("reference", "id"),
    "-reference": ("-reference", "-id"),
    "maturity_on": ("maturity_on", "id"),
    "-maturity_on": ("-maturity_on", "-id"),
    "-outstanding_balance": ("-outstanding_balance", "-id"),
    "outstanding_balance": ("outstanding_balance", "id"),
}
DEFAULT_ORDERING = "-disbursed_on"
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
Q_MAX_LENGTH = 100
MSG_UNKNOWN_FILTER = _("Unknown filter.")
MSG_BAD_FLAG = _("Enter true or false.")
MSG_BAD_DATE = _("Enter a date as YYYY-MM-DD, such as 2026-03-31.")
MSG_BAD_ID = _("Enter a record id.")
MSG_CHOOSE = _("Choose one of: %(choices)s.")
MSG_SORT = _("Sort by one of: %(choices)s.")
MSG_TOO_LONG = _("Search with at most %(limit)d characters.")

_AMOUNT = DecimalField(max_digits=AMOUNT_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES)


def parse_id(value: Any) -> int | None:
    """A record id from user input, or None when it cannot be one (never sent to the database)."""
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


# ---- who records, who sees -------------------------------------------------------------------------------


def recording_offices(*, actor: Any) -> list[Organization]:
    """The bank offices `actor` may record loans for, head offices before their branches, by name.

    A membership whose role grants financing.record_loan in an active bank office covers that office and,
    for a head office, its active branches. Any caller; anonymous users and everyone else get [].
    """
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return []
    granted = [
        m.organization
        for m in actor.active_memberships
        if m.organization.org_type == OrgType.BANK and perms.RECORD_LOAN in codes_for(m.organization.org_type, m.role)
    ]
    if not granted:
        return []
    ids = {org.pk for org in granted}
    offices = Organization.objects.filter(
        Q(pk__in=ids) | Q(parent_id__in=ids), org_type=OrgType.BANK, is_active=True
    ).select_related("parent")
    return sorted(offices, key=lambda org: (org.parent_id is not None, org.name, org.pk))


def recording_office_ids(*, actor: Any) -> frozenset[int]:
    """Ids of recording_offices(actor=...), cached on the user object for the request."""
    cached = actor.__dict__.get("_loan_recording_office_ids") if hasattr(actor, "__dict__") else None
    if cached is None:
        cached = frozenset(org.pk for org in recording_offices(actor=actor))
        if hasattr(actor, "__dict__"):
            actor.__dict__["_loan_recording_office_ids"] = cached
    return cached


def can_record_for(*, actor: Any, lender: Organization) -> bool:
    """Whether `actor` may record loans (and monthly statuses) of the bank office `lender`."""
    return lender.pk in recording_office_ids(actor=actor)


def _bank_offices(actor: Any) -> tuple[set[int], set[int]]:
    """(ids of the bank offices the actor belongs to, ids of those that are head offices)."""
    offices: set[int] = set()
    heads: set[int] = set()
    for membership in actor.active_memberships:
        org = membership.organization
        if org.org_type == OrgType.BANK:
            offices.add(org.pk)
            if org.parent_id is None:
                heads.add(org.pk)
    return offices, heads


def _visibility_filter(actor: Any) -> Q | None:
    """A Q selecting the loans `actor` may see; None means every loan."""
    scope = actor_scope(actor)
    if scope.is_district_authority:
        return None
    condition = Q(pk__in=[])
    offices, heads = _bank_offices(actor)
    if offices:
        condition |= Q(lender_id__in=offices)
    if heads:
        condition |= Q(bank_id__in=heads)
    if scope.industry_authority_ids:
        condition |= Q(borrower__managing_authority_id__in=scope.industry_authority_ids)
    if scope.subdistrict_ids:
        condition |= Q(borrower__subdistrict_id__in=scope.subdistrict_ids)
    if scope.own_organization_ids:
        condition |= Q(borrower__organization_id__in=scope.own_organization_ids)
    return condition


def loan_visible_queryset(*, actor: Any) -> QuerySet[Loan]:
    """Every loan the actor may see (unordered). Holders of financing.view_loan only; others see none."""
    if not has_perm(actor, perms.VIEW_LOAN):
        return Loan.objects.none()
    condition = _visibility_filter(actor)
    return Loan.objects.all() if condition is None else Loan.objects.filter(condition)


# ---- list and detail -------------------------------------------------------------------------------------


def _bad_filter(name: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, code="invalid_filter", fields={name: [message]})


def _flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise _bad_filter(name, gettext(MSG_BAD_FLAG))


def _day(name: str, value: Any) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise _bad_filter(name, gettext(MSG_BAD_DATE)) from None


def _id(name: str, value: Any) -> int:
    number = parse_id(value)
    if number is None:
        raise _bad_filter(name, gettext(MSG_BAD_ID))
    return number


def _apply_filters(qs: QuerySet[Loan], filters: Mapping[str, Any]) -> QuerySet[Loan]:
    unknown = [name for name in filters if name not in FILTER_NAMES]
    if unknown:
        raise ValidationFailed(code="invalid_filter", fields={name: [gettext(MSG_UNKNOWN_FILTER)] for name in unknown})
    values = {name: value for name, value in filters.items() if value not in (None, "")}
    if "q" in values:
        text = " ".join(str(values["q"]).split())
        if len(text) > Q_MAX_LENGTH:
            raise _bad_filter("q", gettext(MSG_TOO_LONG) % {"limit": Q_MAX_LENGTH})
        if text:
            qs = qs.filter(
                Q(reference__icontains=text)
                | Q(borrower__name__contains=text)
                | Q(borrower__name_en__icontains=text)
                | Q(borrower__uscc=text.upper())
            )
    for name, column in (("lender", "lender_id"), ("bank", "bank_id"), ("borrower", "borrower_id")):
        if name in values:
            qs = qs.filter(**{column: _id(name, values[name])})
    if "disbursed_from" in values:
        qs = qs.filter(disbursed_on__gte=_day("disbursed_from", values["disbursed_from"]))
    if "disbursed_to" in values:
        qs = qs.filter(disbursed_on__lte=_day("disbursed_to", values["disbursed_to"]))
    if "classification" in values:
        if values["classification"] not in LoanClassification.values:
            raise _bad_filter("classification", gettext(MSG_CHOOSE) % {"choices": ", ".join(LoanClassification.values)})
        qs = qs.filter(classification=values["classification"])
    if "source" in values:
        if values["source"] not in LoanSource.values:
            raise _bad_filter("source", gettext(MSG_CHOOSE) % {"choices": ", ".join(LoanSource.values)})
        qs = qs.filter(source=values["source"])
    for name, column in FLAG_FILTERS.items():
        if name in values:
            qs = qs.filter(**{column: _flag(name, values[name])})
    return qs


def loan_list(*, actor: Any, filters: Mapping[str, Any] | None = None, ordering: str = "") -> QuerySet[Loan]:
    """The loans the actor may see (see the module docstring), filtered and ordered.

    `filters`: q (contract number fragment, borrower name fragment or credit code), lender, bank, borrower
    (ids), disbursed_from / disbursed_to (dates, inclusive), classification, source, and the flags
    first_time, renewal, credit, tech, inclusive (true/false). `ordering`: a key of ORDERINGS (newest
    disbursal first by default). Any signed-in user. Raises ValidationFailed for an unknown filter, value or
    ordering.
    """
    ordering = ordering or DEFAULT_ORDERING
    if ordering not in ORDERINGS:
        raise _bad_filter("ordering", gettext(MSG_SORT) % {"choices": ", ".join(ORDERINGS)})
    qs = _apply_filters(loan_visible_queryset(actor=actor), filters or {})
    return qs.select_related("lender", "bank", "borrower").order_by(*ORDERINGS[ordering])


def loan_get(*, actor: Any, pk: Any) -> Loan:
    """One loan the actor may see, with lender, bank, borrower, demand and product; NotFound otherwise."""
    number = parse_id(pk)
    if number is None:
        raise NotFound()
    try:
        return (
            loan_visible_queryset(actor=actor)
            .select_related("lender", "bank", "borrower", "demand", "product", "recorded_by")
            .get(pk=number)
        )
    except Loan.DoesNotExist:
        raise NotFound() from None


def status_report_list(*, actor: Any, loan: Loan) -> QuerySet[LoanStatusReport]:
    """The monthly status reports of a loan the actor may see, newest month first; NotFound otherwise."""
    if not loan_visible_queryset(actor=actor).filter(pk=loan.pk).exists():
        raise NotFound()
    return LoanStatusReport.objects.filter(loan=loan).select_related("reported_by").order_by("-month")


def lender_choices(*, actor: Any) -> QuerySet[Organization]:
    """Bank offices a loan list may be filtered by: those of the actor's loans (all banks for government)."""
    qs = Organization.objects.filter(org_type=OrgType.BANK).select_related("parent")
    scope = actor_scope(actor)
    if scope.is_government:
        return qs.order_by("name", "id")
    offices, heads = _bank_offices(actor)
    return qs.filter(Q(pk__in=offices) | Q(parent_id__in=heads)).order_by("name", "id")


# ---- balances on a day -----------------------------------------------------------------------------------


def first_of_month(day: datetime.date) -> datetime.date:
    """The first day of the month of `day` (status reports are keyed by it)."""
    return day.replace(day=1)


def balance_on(day: datetime.date) -> Any:
    """An expression for a loan's outstanding balance on `day` (module docstring rule), for annotate()."""
    fallback = Case(When(maturity_on__gt=day, then=F("amount")), default=Value(0), output_field=_AMOUNT)
    latest = (
        LoanStatusReport.objects.filter(loan_id=OuterRef("pk"), month__lte=day)
        .order_by("-month")
        .values("outstanding_balance")[:1]
    )
    return Case(
        When(disbursed_on__gt=day, then=Value(0)),
        When(status_month__lte=day, then=F("outstanding_balance")),
        When(first_status_month__lte=day, then=Coalesce(Subquery(latest, output_field=_AMOUNT), fallback)),
        default=fallback,
        output_field=_AMOUNT,
    )


# ---- import runs -------------------------------------------------------------------------------------------


def loan_import_run_list(*, actor: Any) -> QuerySet[LoanImportRun]:
    """Import runs of the bank offices `actor` records loans for, newest first (none for anyone else)."""
    return (
        LoanImportRun.objects.filter(organization_id__in=recording_office_ids(actor=actor))
        .select_related("organization", "created_by")
        .defer("errors")
        .order_by("-created_at", "-pk")
    )


def loan_import_run_get(*, actor: Any, pk: Any) -> LoanImportRun:
    """One import run of a bank office `actor` records loans for, with its errors; NotFound otherwise."""
    number = parse_id(pk)
    if number is None:
        raise NotFound()
    try:
        return LoanImportRun.objects.select_related("organization", "created_by").get(
            pk=number, organization_id__in=recording_office_ids(actor=actor)
        )
    except LoanImportRun.DoesNotExist:
        raise NotFound() from None
