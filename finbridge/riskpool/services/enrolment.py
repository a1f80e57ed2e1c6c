"""Writes of enrolments: a bank covers its loans by a pool (one by one or in bulk), releases them; claims
mark them compensated.

Rules:
- Who: a member holding riskpool.enrol_loan of the bank office that made the loan or of its head office
  (the loan's bank); a loan the actor may not act for answers NotFound.
- Eligibility: every check of selectors/enrolment.py; any failure is ValidationFailed "ineligible" whose
  `reasons` lists (code, message) pairs (also in fields["eligibility"]).
- Capacity: the covered amount (the loan's outstanding balance now) must fit in the pool's free capacity:
  covered balance + covered amount ≤ maximum covered balance, checked under the pool row lock so parallel
  enrolments never exceed it (Conflict "pool_at_capacity").
- One enrolment per loan across pools while covered or compensated (Conflict "already_enrolled"; a
  database constraint backs it).
- The enrolment keeps the rule version in force today, the loan's features (flags) and its amounts.
- Release (repaid, matured, withdrawn, in error): the bank or the authority, while no claim on it is open;
  the covered amount leaves the covered balance.
- Compensation (claim paid): services/claims.py calls enrolment_compensate inside the approval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.audit.services import log_event, snapshot
from finbridge.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from finbridge.core.permissions import has_perm
from finbridge.financing.choices import DemandPurpose
from finbridge.financing.models import Loan
from finbridge.riskpool import permissions as perms
from finbridge.riskpool.choices import (
    ClaimStatus,
    EnrolmentStatus,
    LoanCategory,
    MemberRole,
    ReleaseReason,
)
from finbridge.riskpool.models import Enrolment, Pool
from finbridge.riskpool.selectors.enrolment import EnrolmentRequest, Reason, enrolment_eligibility, reason
from finbridge.riskpool.selectors.pools import member_of, own_institution_ids, rule_version_in_force
from finbridge.riskpool.services.alerts import pool_capacity_alert_refresh
from finbridge.riskpool.services.locks import pool_lock, refresh_instance
from finbridge.riskpool.transitions import assert_enrolment_transition

ACTION_CREATE = "riskpool.enrolment_create"
ACTION_RELEASE = "riskpool.enrolment_release"
ACTION_COMPENSATE = "riskpool.enrolment_compensate"
MAX_BULK = 5000
OPEN_CLAIM = (ClaimStatus.SUBMITTED, ClaimStatus.RETURNED, ClaimStatus.APPROVED)

MSG_INELIGIBLE = _("The loan cannot be enrolled: %(reasons)s")
MSG_CAPACITY = _("The pool is at capacity: it can cover %(free)s CNY more, and this loan needs %(amount)s CNY.")
MSG_CATEGORY = _("Choose the loan category: %(choices)s.")
MSG_PURPOSE = _("Choose a purpose among: %(choices)s.")
MSG_FLAGS = _("Give the loan features as a list.")
MSG_RELEASE_REASON = _("Choose why the loan leaves the pool.")
MSG_CLAIM_OPEN = _("A claim on this loan is open: it cannot be released.")
MSG_TOO_MANY = _("At most %(limit)d loans at a time.")
MSG_LOAN_MISSING = _("Choose a loan.")


class Ineligible(ValidationFailed):
    """The loan fails some eligibility checks; `reasons` lists them."""

    def __init__(self, reasons: Sequence[Reason]) -> None:
        self.reasons = list(reasons)
        super().__init__(
            MSG_INELIGIBLE,
            code="ineligible",
            params={"reasons": "; ".join(r.message for r in self.reasons)},
            fields={"eligibility": [r.message for r in self.reasons]},
        )


def _check_actor_for_loan(actor: Any, loan: Loan) -> None:
    if not has_perm(actor, perms.ENROL_LOAN):
        raise PermissionDenied()
    own = own_institution_ids(actor)
    if loan.bank_id not in own and loan.lender_id not in own:
        raise NotFound()


def _request(loan: Loan, category: Any, guarantor: Any, insurer: Any, flags: Any, purpose: Any) -> EnrolmentRequest:
    errors: dict[str, list[str]] = {}
    if category not in LoanCategory.values:
        errors["category"] = [str(MSG_CATEGORY % {"choices": ", ".join(LoanCategory.values)})]
    if purpose and purpose not in DemandPurpose.values:
        errors["purpose"] = [str(MSG_PURPOSE % {"choices": ", ".join(DemandPurpose.values)})]
    if not isinstance(flags, (list, tuple, set, frozenset)):
        errors["flags"] = [str(MSG_FLAGS)]
        flags = ()
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    keep_guarantor = category == LoanCategory.GUARANTEED
    return EnrolmentRequest(
        loan=loan,
        category=str(category),
        guarantor=guarantor if keep_guarantor else None,
        insurer=insurer if category == LoanCategory.INSURED else None,
        flags=tuple(str(f) for f in flags),
        purpose=str(purpose or ""),
    )


def _create_locked(actor: Any, pool: Pool, request: EnrolmentRequest) -> Enrolment:
    """Check and write one enrolment; the pool row is locked by the caller."""
    loan = request.loan
    member = member_of(pool=pool, organization=loan.bank, role=MemberRole.BANK)
    today = timezone.localdate()
    reasons = enrolment_eligibility(pool=pool, request=request, member=member, on=today)
    if [r.code for r in reasons] == ["already_enrolled"]:
        raise Conflict(reasons[0].message, code="already_enrolled")
    if reasons:
        raise Ineligible(reasons)
    amount = loan.outstanding_balance
    if pool.covered_balance + amount > pool.max_covered_balance:
        raise Conflict(
            MSG_CAPACITY,
            code="pool_at_capacity",
            params={"free": f"{pool.free_capacity:,.2f}", "amount": f"{amount:,.2f}"},
        )
    try:
        with transaction.atomic():
            enrolment = Enrolment.objects.create(
                pool=pool,
                loan=loan,
                bank=loan.bank,
                member=member,
                category=request.category,
                guarantor=request.guarantor,
                insurer=request.insurer,
                flags=request.all_flags(),
                purpose=request.effective_purpose(),
                rule_version=rule_version_in_force(pool=pool, on=today),
                loan_amount=loan.amount,
                covered_amount=amount,
                eligibility=["pool", "bank", "borrower", "loan", "category"],
                enrolled_on=today,
                enrolled_by=actor,
            )
    except IntegrityError:
        raise Conflict(reason("already_enrolled").message, code="already_enrolled") from None
    pool.covered_balance += amount
    Pool.objects.filter(pk=pool.pk).update(covered_balance=pool.covered_balance)
    log_event(actor=actor, action=ACTION_CREATE, obj=enrolment, after=snapshot(enrolment))
    pool_capacity_alert_refresh(pool=pool)
    return enrolment


def enrolment_create(
    *,
    actor: Any,
    pool: Pool,
    loan: Loan,
    category: str = LoanCategory.DIRECT,
    guarantor: Any = None,
    insurer: Any = None,
    flags: Sequence[str] = (),
    purpose: str = "",
) -> Enrolment:
    """Enrol one loan of the actor's bank in a pool (see the module rules).

    `flags` are the features the bank declares (ip_pledge, green, receivables_pledge); first-time, credit and
    technology-enterprise come from the loans ledger. Raises PermissionDenied, NotFound (a loan the actor may
    not act for), ValidationFailed (bad input; "ineligible" with `reasons`), Conflict ("already_enrolled",
    "pool_at_capacity"); nothing written on error."""
    _check_actor_for_loan(actor, loan)
    request = _request(loan, category, guarantor, insurer, flags, purpose)
    with transaction.atomic():
        locked = pool_lock(pool)
        enrolment = _create_locked(actor, locked, request)
    refresh_instance(pool, locked)
    return enrolment


@dataclass
class BulkRejection:
    """One loan of a bulk enrolment that was not enrolled, with every reason."""

    index: int
    loan: Loan | None
    label: str
    reasons: list[Reason]


@dataclass
class BulkEnrolmentResult:
    """What a bulk enrolment did: the enrolments written and the loans refused (with reasons)."""

    enrolled: list[Enrolment] = field(default_factory=list)
    rejected: list[BulkRejection] = field(default_factory=list)


def _resolve_loan(actor: Any, item: Mapping[str, Any]) -> Loan:
    """The loan of a bulk item: `loan` (a Loan or its pk) or `reference` (the contract number at the actor's
    bank offices); NotFound when the actor may not act for it."""
    loan = item.get("loan")
    own = own_institution_ids(actor)
    if isinstance(loan, Loan):
        return loan
    visible = Loan.objects.filter(Q(bank_id__in=own) | Q(lender_id__in=own)).select_related("borrower", "bank")
    try:
        if loan is not None:
            return visible.get(pk=int(loan))
        if item.get("reference"):
            return visible.get(reference=str(item["reference"]).strip())
    except (Loan.DoesNotExist, Loan.MultipleObjectsReturned, ValueError, TypeError):
        raise NotFound() from None
    raise ValidationFailed(MSG_LOAN_MISSING, fields={"loan": [str(MSG_LOAN_MISSING)]})


def _reasons_of(error: DomainError) -> list[Reason]:
    found = getattr(error, "reasons", None)
    return list(found) if found else [Reason(error.code, error.message)]


def enrolment_bulk(*, actor: Any, pool: Pool, items: Sequence[Mapping[str, Any]]) -> BulkEnrolmentResult:
    """Enrol many loans, each on its own (one refusal does not stop the others): items are mappings with
    `loan` (Loan or pk) or `reference`, and optional category, guarantor, insurer, flags, purpose.

    Returns the enrolments and, per refused item, its index and every reason. Raises PermissionDenied
    (no riskpool.enrol_loan) and ValidationFailed (more than MAX_BULK items) before enrolling anything."""
    if not has_perm(actor, perms.ENROL_LOAN):
        raise PermissionDenied()
    if len(items) > MAX_BULK:
        raise ValidationFailed(MSG_TOO_MANY, code="too_many", params={"limit": MAX_BULK})
    result = BulkEnrolmentResult()
    for index, item in enumerate(items):
        loan: Loan | None = None
        try:
            loan = _resolve_loan(actor, item)
            result.enrolled.append(
                enrolment_create(
                    actor=actor,
                    pool=pool,
                    loan=loan,
                    category=item.get("category") or LoanCategory.DIRECT,
                    guarantor=item.get("guarantor"),
                    insurer=item.get("insurer"),
                    flags=item.get("flags") or (),
                    purpose=item.get("purpose") or "",
                )
            )
        except DomainError as error:
            label = loan.reference if loan is not None else str(item.get("reference") or item.get("loan") or "")
            result.rejected.append(BulkRejection(index, loan, label, _reasons_of(error)))
    return result


def _check_release_actor(actor: Any, enrolment: Enrolment) -> None:
    if has_perm(actor, perms.MANAGE_POOL) and enrolment.pool.authority_id in {
        m.organization_id for m in actor.active_memberships
    }:
        return
    _check_actor_for_loan(actor, enrolment.loan)


def _leave_pool(enrolment: Enrolment, pool: Pool, status: str) -> None:
    """Move an enrolment (locked) out of the covered balance of its (locked) pool."""
    assert_enrolment_transition(enrolment.status, status)
    enrolment.status = status
    pool.covered_balance -= enrolment.covered_amount
    Pool.objects.filter(pk=pool.pk).update(covered_balance=pool.covered_balance)
    pool_capacity_alert_refresh(pool=pool)


def enrolment_release(*, actor: Any, enrolment: Enrolment, reason: str) -> Enrolment:
    """Take a covered loan out of the pool (the loan's bank office or the pool's authority); its covered
    amount leaves the covered balance. Raises PermissionDenied, NotFound, ValidationFailed, Conflict
    ("invalid_transition", "claim_open"); nothing changed on error."""
    if reason not in ReleaseReason.values:
        raise ValidationFailed(MSG_RELEASE_REASON, fields={"reason": [str(MSG_RELEASE_REASON)]})
    _check_release_actor(actor, enrolment)
    with transaction.atomic():
        pool = pool_lock(enrolment.pool_id)
        locked = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        if locked.claims.filter(status__in=OPEN_CLAIM).exists():
            raise Conflict(MSG_CLAIM_OPEN, code="claim_open")
        before = snapshot(locked)
        _leave_pool(locked, pool, EnrolmentStatus.RELEASED)
        locked.release_reason, locked.released_at, locked.released_by = reason, timezone.now(), actor
        locked.save(update_fields=["status", "release_reason", "released_at", "released_by"])
        log_event(actor=actor, action=ACTION_RELEASE, obj=locked, before=before, after=snapshot(locked))
    enrolment.status, enrolment.release_reason = locked.status, reason
    return locked


def enrolment_compensate(*, actor: Any, enrolment: Enrolment) -> Enrolment:
    """Mark an enrolment compensated when a claim on it is approved (called by the claim services inside
    their transaction; they check permissions): its cover is used up and it leaves the covered balance.
    Raises Conflict ("invalid_transition") when it is not covered."""
    with transaction.atomic():
        pool = pool_lock(enrolment.pool_id)
        locked = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        _leave_pool(locked, pool, EnrolmentStatus.COMPENSATED)
        locked.save(update_fields=["status"])
        log_event(actor=actor, action=ACTION_COMPENSATE, obj=locked, after={"status": locked.status})
    enrolment.status = locked.status
    return locked


def enrolments_release_repaid(*, pool: Pool | None = None) -> int:
    """Release (reason "repaid") every covered loan whose outstanding balance is now zero (daily task;
    system actor). Returns how many were released."""
    qs = Enrolment.objects.filter(status=EnrolmentStatus.ACTIVE, loan__outstanding_balance__lte=0)
    if pool is not None:
        qs = qs.filter(pool=pool)
    released = 0
    for enrolment in qs.select_related("pool").order_by("pool_id", "id").iterator():
        with transaction.atomic():
            locked_pool = pool_lock(enrolment.pool_id)
            locked = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
            if locked.status != EnrolmentStatus.ACTIVE or locked.claims.filter(status__in=OPEN_CLAIM).exists():
                continue
            _leave_pool(locked, locked_pool, EnrolmentStatus.RELEASED)
            locked.release_reason, locked.released_at = ReleaseReason.REPAID, timezone.now()
            locked.save(update_fields=["status", "release_reason", "released_at"])
            log_event(actor=None, action=ACTION_RELEASE, obj=locked, after={"reason": ReleaseReason.REPAID})
            released += 1
    return released
