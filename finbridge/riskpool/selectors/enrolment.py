"""Reads of enrolments and the eligibility of a loan for a pool.

Who sees which enrolment:
- government with riskpool.view_pool: every enrolment of the pools it sees;
- a bank office: enrolments of the loans it made, and at a head office every enrolment whose bank it is;
- guarantee agencies and insurers: enrolments naming them;
- nobody else. An enrolment the actor may not see answers NotFound.

Eligibility (`enrolment_eligibility`) returns every reason a loan cannot be enrolled, each a stable code and a
translated message (empty: eligible). The checks, in order:
  pool        pool_not_open (not active, or today outside the policy period), no_rule_version
  bank        not_a_member, agreement_not_in_force, bank_suspended
  borrower    size_class_unknown / not_sme (the 2011 MIIT class is not among the pool's eligible classes),
              not_in_district (no Pingshan subdistrict), industry_excluded (code starts with an excluded
              prefix), serious_bad_credit
  loan        loan_non_performing, loan_repaid (no balance, or past maturity), amount_above_limit,
              term_above_limit, purpose_missing / purpose_not_allowed, disbursed_outside_period
  category    category_not_covered (the rule version has no such category), guarantor_required /
              guarantor_not_member, insurer_required / insurer_not_member, flag_unknown, flag_conflicts_credit
  other       already_enrolled
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.selectors import actor_scope
from finbridge.core.errors import NotFound
from finbridge.core.permissions import has_perm
from finbridge.financing.choices import NON_PERFORMING, DemandPurpose
from finbridge.financing.models import Loan
from finbridge.riskpool import permissions as perms
from finbridge.riskpool.choices import (
    BLOCKING_ENROLMENT,
    LOAN_DERIVED_FLAGS,
    LoanCategory,
    MemberRole,
    MemberStatus,
    UpliftFlag,
)
from finbridge.riskpool.models import Enrolment, Pool, PoolMember
from finbridge.riskpool.selectors.pools import (
    own_institution_ids,
    pool_list,
    rule_set_of,
    rule_version_in_force,
)

# Flags that mean the loan has collateral: a credit loan (no collateral, no guarantee) cannot carry them.
COLLATERAL_FLAGS = frozenset({UpliftFlag.IP_PLEDGE, UpliftFlag.RECEIVABLES_PLEDGE})

MESSAGES = {
    "pool_not_open": _("The pool is not open for enrolments."),
    "no_rule_version": _("The pool has no sharing rule in force today."),
    "not_a_member": _("%(bank)s is not an admitted bank of this pool."),
    "agreement_not_in_force": _("The agreement of %(bank)s with the pool is not in force today."),
    "bank_suspended": _("%(bank)s is suspended from new enrolments."),
    "size_class_unknown": _("The borrower's size class is unknown: its registry record lacks the figures."),
    "not_sme": _("The borrower is not an eligible small or medium-sized enterprise (size class: %(size)s)."),
    "not_in_district": _("The borrower does not operate in the district (no subdistrict on its registry record)."),
    "industry_excluded": _("The borrower's industry %(industry)s is excluded from the pool."),
    "serious_bad_credit": _("The borrower has a serious bad credit record."),
    "loan_non_performing": _("The loan is already non-performing (%(classification)s)."),
    "loan_repaid": _("The loan has no outstanding balance or has matured."),
    "amount_above_limit": _("The loan amount %(amount)s CNY is above the pool's limit of %(limit)s CNY."),
    "term_above_limit": _("The term of %(term)s months is above the pool's limit of %(limit)s months."),
    "purpose_missing": _("State the loan's purpose: the pool covers only some purposes."),
    "purpose_not_allowed": _("The pool does not cover loans for %(purpose)s."),
    "disbursed_outside_period": _("The loan was disbursed on %(date)s, outside the policy period."),
    "category_not_covered": _("The sharing rule in force does not cover %(category)s."),
    "guarantor_required": _("Name the guarantee agency of a guaranteed loan."),
    "guarantor_not_member": _("%(organization)s is not an admitted guarantee agency of this pool."),
    "insurer_required": _("Name the insurer of an insured loan."),
    "insurer_not_member": _("%(organization)s is not an admitted insurer of this pool."),
    "flag_unknown": _("Unknown loan feature: %(flag)s."),
    "flag_conflicts_credit": _("A credit loan has no collateral: it cannot be declared %(flag)s."),
    "already_enrolled": _("The loan is already enrolled in a risk-sharing pool."),
}


@dataclass(frozen=True)
class Reason:
    """Why a loan cannot be enrolled: a stable code and a translated message."""

    code: str
    message: str


def reason(code: str, **params: Any) -> Reason:
    """The Reason of `code` with its message filled in the active language."""
    text = str(MESSAGES[code])
    return Reason(code, text % params if params else text)


@dataclass(frozen=True)
class EnrolmentRequest:
    """What a bank asks to enrol: the loan, its category and what it declares."""

    loan: Loan
    category: str = LoanCategory.DIRECT
    guarantor: Any = None
    insurer: Any = None
    flags: tuple[str, ...] = ()
    purpose: str = ""

    def effective_purpose(self) -> str:
        """The declared purpose, or the purpose of the demand the loan funds."""
        if self.purpose:
            return self.purpose
        demand = self.loan.demand if self.loan.demand_id else None
        return demand.purpose if demand is not None else ""

    def all_flags(self) -> list[str]:
        """The loan's features for uplifts: those the ledger records, and those the bank declares."""
        loan = self.loan
        derived = {
            UpliftFlag.FIRST_TIME: loan.is_first_time,
            UpliftFlag.CREDIT: loan.is_credit,
            UpliftFlag.TECH_ENTERPRISE: loan.is_tech_enterprise,
        }
        declared = set(self.flags) - LOAN_DERIVED_FLAGS
        return [f for f in UpliftFlag.values if derived.get(f) or f in declared]


def _bank_reasons(pool: Pool, member: PoolMember | None, bank: Any, today: datetime.date) -> list[Reason]:
    name = str(bank)
    if member is None or member.role != MemberRole.BANK:
        return [reason("not_a_member", bank=name)]
    if member.status != MemberStatus.ACTIVE or not member.agreement_in_force_on(today):
        return [reason("agreement_not_in_force", bank=name)]
    if member.is_suspended:
        return [reason("bank_suspended", bank=name)]
    return []


def _borrower_reasons(pool: Pool, loan: Loan) -> list[Reason]:
    borrower = loan.borrower
    found: list[Reason] = []
    if pool.require_sme:
        if not borrower.size_class:
            found.append(reason("size_class_unknown"))
        elif borrower.size_class not in (pool.eligible_size_classes or []):
            found.append(reason("not_sme", size=str(borrower.get_size_class_display())))
    if pool.require_district_operation and not borrower.subdistrict_id:
        found.append(reason("not_in_district"))
    code = (borrower.industry_code or "").upper()
    if any(code.startswith(prefix) for prefix in pool.excluded_industry_prefixes or []):
        found.append(reason("industry_excluded", industry=code))
    if pool.exclude_serious_bad_credit and borrower.has_serious_bad_credit:
        found.append(reason("serious_bad_credit"))
    return found


def _loan_reasons(pool: Pool, request: EnrolmentRequest, today: datetime.date) -> list[Reason]:
    loan = request.loan
    found: list[Reason] = []
    if loan.classification in NON_PERFORMING:
        found.append(reason("loan_non_performing", classification=str(loan.get_classification_display())))
    if loan.outstanding_balance <= 0 or loan.maturity_on < today:
        found.append(reason("loan_repaid"))
    if pool.max_loan_amount is not None and loan.amount > pool.max_loan_amount:
        found.append(reason("amount_above_limit", amount=f"{loan.amount:,.2f}", limit=f"{pool.max_loan_amount:,.2f}"))
    if pool.max_term_months is not None and loan.term_months > pool.max_term_months:
        found.append(reason("term_above_limit", term=loan.term_months, limit=pool.max_term_months))
    if pool.allowed_purposes:
        purpose = request.effective_purpose()
        if not purpose:
            found.append(reason("purpose_missing"))
        elif purpose not in pool.allowed_purposes:
            label = DemandPurpose(purpose).label if purpose in DemandPurpose.values else purpose
            found.append(reason("purpose_not_allowed", purpose=str(label)))
    if pool.require_disbursed_in_period and not (pool.period_start <= loan.disbursed_on <= pool.period_end):
        found.append(reason("disbursed_outside_period", date=loan.disbursed_on.isoformat()))
    return found


def _party_reasons(pool: Pool, request: EnrolmentRequest) -> list[Reason]:
    found: list[Reason] = []
    checks = (
        (LoanCategory.GUARANTEED, request.guarantor, MemberRole.GUARANTOR, "guarantor"),
        (LoanCategory.INSURED, request.insurer, MemberRole.INSURER, "insurer"),
    )
    for category, organization, role, name in checks:
        if request.category != category:
            continue
        if organization is None:
            found.append(reason(f"{name}_required"))
        elif not pool.members.filter(organization=organization, role=role, status=MemberStatus.ACTIVE).exists():
            found.append(reason(f"{name}_not_member", organization=str(organization)))
    return found


def _flag_reasons(request: EnrolmentRequest) -> list[Reason]:
    found = [reason("flag_unknown", flag=str(flag)) for flag in request.flags if flag not in UpliftFlag.values]
    if request.loan.is_credit:
        found += [
            reason("flag_conflicts_credit", flag=str(UpliftFlag(flag).label))
            for flag in request.flags
            if flag in COLLATERAL_FLAGS
        ]
    return found


def _category_reasons(pool: Pool, request: EnrolmentRequest, today: datetime.date) -> list[Reason]:
    version = rule_version_in_force(pool=pool, on=today)
    if version is None:
        return [reason("no_rule_version")]
    if request.category not in LoanCategory.values or not rule_set_of(version).covers(request.category):
        label = LoanCategory(request.category).label if request.category in LoanCategory.values else request.category
        return [reason("category_not_covered", category=str(label))]
    return _party_reasons(pool, request)


def enrolment_eligibility(
    *, pool: Pool, request: EnrolmentRequest, member: PoolMember | None, on: datetime.date | None = None
) -> list[Reason]:
    """Every reason `request.loan` cannot be enrolled in `pool` today (see the module docstring); empty when
    it can. `member` is the loan's bank's membership (None when it has none). Reads only; no permission
    check (the enrolment service checks who asks)."""
    today = on or timezone.localdate()
    found: list[Reason] = []
    if not pool.is_open_on(today):
        found.append(reason("pool_not_open"))
    found += _bank_reasons(pool, member, request.loan.bank, today)
    found += _borrower_reasons(pool, request.loan)
    found += _loan_reasons(pool, request, today)
    found += _category_reasons(pool, request, today)
    found += _flag_reasons(request)
    if Enrolment.objects.filter(loan=request.loan, status__in=BLOCKING_ENROLMENT).exists():
        found.append(reason("already_enrolled"))
    return found


# ---- lists ------------------------------------------------------------------------------------------------


def enrolment_visible_queryset(actor: Any) -> QuerySet[Enrolment]:
    """Every enrolment the actor may see (see the module docstring)."""
    qs = Enrolment.objects.select_related("pool", "loan", "loan__borrower", "bank", "rule_version")
    if not has_perm(actor, perms.VIEW_POOL):
        return qs.none()
    if actor_scope(actor).is_government:
        return qs.filter(pool__in=pool_list(actor=actor))
    own = own_institution_ids(actor)
    if not own:
        return qs.none()
    return qs.filter(Q(bank_id__in=own) | Q(loan__lender_id__in=own) | Q(guarantor_id__in=own) | Q(insurer_id__in=own))


def enrolment_list(
    *,
    actor: Any,
    pool: Pool | None = None,
    bank: Any = None,
    status: str | Iterable[str] | None = None,
) -> QuerySet[Enrolment]:
    """Enrolments the actor may see, newest first, optionally of one pool, one bank and some statuses."""
    qs = enrolment_visible_queryset(actor)
    if pool is not None:
        qs = qs.filter(pool=pool)
    if bank is not None:
        qs = qs.filter(bank=bank)
    if status:
        qs = qs.filter(status__in=[status] if isinstance(status, str) else list(status))
    return qs.order_by("-enrolled_at", "-id")


def enrolment_get(*, actor: Any, pk: Any) -> Enrolment:
    """One enrolment the actor may see; NotFound otherwise."""
    try:
        return enrolment_visible_queryset(actor).get(pk=int(pk))
    except (Enrolment.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def enrolable_loans(*, actor: Any, pool: Pool) -> QuerySet[Loan]:
    """Loans of the actor's bank offices not yet enrolled anywhere, performing and with a balance (a
    starting list for the enrolment page; eligibility is checked per loan when enrolling)."""
    own = own_institution_ids(actor)
    if not own or not has_perm(actor, perms.ENROL_LOAN):
        return Loan.objects.none()
    return (
        Loan.objects.filter(Q(bank_id__in=own) | Q(lender_id__in=own), outstanding_balance__gt=0)
        .exclude(classification__in=NON_PERFORMING)
        .exclude(riskpool_enrolments__status__in=BLOCKING_ENROLMENT)
        .select_related("borrower", "lender")
        .order_by("-disbursed_on", "-id")
    )


__all__ = [
    "EnrolmentRequest",
    "Reason",
    "enrolable_loans",
    "enrolment_eligibility",
    "enrolment_get",
    "enrolment_list",
    "enrolment_visible_queryset",
]
