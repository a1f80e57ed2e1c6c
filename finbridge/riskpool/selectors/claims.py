"""Reads of claims, their documents and timeline, payouts (with the arithmetic), owed amounts and recoveries.

Who sees which claim (riskpool.view_pool needed):
- the pool's managing authority: every claim of its pools;
- a bank: the claims of its head office (from the head office or any branch);
- a guarantee agency or insurer: the claims on loans it guarantees or insures (it bears a share);
- everyone else: none. A claim the actor may not see answers NotFound, like a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from finbridge.core.errors import NotFound
from finbridge.core.permissions import has_perm
from finbridge.riskpool import permissions as perms
from finbridge.riskpool.choices import ClaimStatus, OwedStatus
from finbridge.riskpool.models import Claim, ClaimDocument, ClaimEvent, OwedAmount, Payout, Pool, Recovery
from finbridge.riskpool.selectors.pools import authority_ids, visible_institution_ids
from finbridge.riskpool.sharing import PayoutBreakdown, render_steps
from finbridge.riskpool.transitions import CLAIM_TRANSITIONS

ZERO = Decimal("0")


def _claim_filter(actor: Any, prefix: str = "") -> Q | None:
    """The rows (claims, or records with a `claim` relation at `prefix`) the actor may see; None: nothing."""
    if not has_perm(actor, perms.VIEW_POOL):
        return None
    condition = Q(pk__in=[])
    authorities = authority_ids(actor)
    if authorities:
        condition |= Q(**{f"{prefix}pool__authority_id__in": authorities})
    institutions = visible_institution_ids(actor)
    if institutions:
        condition |= (
            Q(**{f"{prefix}bank_id__in": institutions})
            | Q(**{f"{prefix}enrolment__guarantor_id__in": institutions})
            | Q(**{f"{prefix}enrolment__insurer_id__in": institutions})
        )
    return condition if (authorities or institutions) else None


def claim_list(*, actor: Any, pool: Pool | None = None, status: str | None = None, bank: Any = None) -> QuerySet[Claim]:
    """Claims the actor may see, newest first, optionally of one pool, status or bank."""
    qs = Claim.objects.select_related(
        "pool", "bank", "enrolment__loan__borrower", "enrolment__loan__lender", "rule_version"
    ).order_by("-filed_at", "-id")
    condition = _claim_filter(actor)
    if condition is None:
        return qs.none()
    qs = qs.filter(condition)
    if pool is not None:
        qs = qs.filter(pool=pool)
    if status:
        qs = qs.filter(status=status)
    if bank is not None:
        qs = qs.filter(bank=bank)
    return qs


def claim_get(*, actor: Any, pk: Any) -> Claim:
    """One claim the actor may see; NotFound otherwise (also for a malformed pk)."""
    try:
        return claim_list(actor=actor).get(pk=int(pk))
    except (Claim.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def claim_documents(*, actor: Any, claim: Claim) -> QuerySet[ClaimDocument]:
    """The evidence documents of a claim the actor may see."""
    claim_get(actor=actor, pk=claim.pk)
    return claim.documents.select_related("uploaded_by").order_by("uploaded_at", "id")


def claim_document_get(*, actor: Any, pk: Any) -> ClaimDocument:
    """One evidence document (for download) of a claim the actor may see; NotFound otherwise."""
    condition = _claim_filter(actor, "claim__")
    if condition is None:
        raise NotFound()
    try:
        return ClaimDocument.objects.select_related("claim").filter(condition).get(pk=int(pk))
    except (ClaimDocument.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def claim_events(*, actor: Any, claim: Claim) -> QuerySet[ClaimEvent]:
    """The timeline of a claim the actor may see, oldest first."""
    claim_get(actor=actor, pk=claim.pk)
    return claim.events.select_related("actor").order_by("created_at", "id")


@dataclass(frozen=True)
class PayoutView:
    """A payout with its arithmetic rendered in the active language."""

    payout: Payout
    breakdown: PayoutBreakdown
    rule_version: dict[str, Any]
    steps: list[dict[str, str]]


def payout_view(payout: Payout) -> PayoutView:
    """A payout's stored breakdown read back and its steps rendered (no visibility check: call it on a
    payout from claim_get / payout_list)."""
    breakdown = PayoutBreakdown.from_dict(payout.breakdown)
    return PayoutView(
        payout=payout,
        breakdown=breakdown,
        rule_version=dict(payout.breakdown.get("rule_version") or {}),
        steps=render_steps(breakdown.steps),
    )


def claim_payout(*, actor: Any, claim: Claim) -> PayoutView | None:
    """The payout of a claim the actor may see, with its arithmetic, or None when it has none."""
    claim_get(actor=actor, pk=claim.pk)
    payout = Payout.objects.filter(claim=claim).select_related("rule_version").first()
    return payout_view(payout) if payout is not None else None


def claim_payout_preview(
    *, actor: Any, claim: Claim, principal: Decimal | None = None, interest: Decimal | None = None
) -> PayoutBreakdown:
    """What approving a submitted claim would pay today (for the reviewer), with its arithmetic. Only the
    pool's authority (riskpool.review_claim); NotFound for others."""
    from django.utils import timezone

    from finbridge.riskpool.services.claims import compute_claim_payout

    claim = claim_get(actor=actor, pk=claim.pk)
    if not has_perm(actor, perms.REVIEW_CLAIM) or claim.pool.authority_id not in authority_ids(actor):
        raise NotFound()
    return compute_claim_payout(
        claim=claim,
        principal=claim.lost_principal if principal is None else principal,
        interest=claim.lost_interest if interest is None else interest,
        on=timezone.localdate(),
    )


def payout_list(*, actor: Any, pool: Pool | None = None, bank: Any = None) -> QuerySet[Payout]:
    """Payouts the actor may see (those of claims it may see), newest first."""
    condition = _claim_filter(actor, "claim__")
    qs = Payout.objects.select_related("claim", "bank", "rule_version").order_by("-created_at", "-id")
    if condition is None:
        return qs.none()
    qs = qs.filter(condition)
    if pool is not None:
        qs = qs.filter(pool=pool)
    if bank is not None:
        qs = qs.filter(bank=bank)
    return qs


def owed_queue(*, actor: Any, pool: Pool, include_settled: bool = False) -> QuerySet[OwedAmount]:
    """What the pool owes, in the order it will be settled (oldest first); the settled ones too on request."""
    condition = _claim_filter(actor, "payout__claim__")
    qs = OwedAmount.objects.select_related("bank", "payout__claim").filter(pool=pool).order_by("created_at", "id")
    if condition is None:
        return qs.none()
    qs = qs.filter(condition)
    return qs if include_settled else qs.filter(status=OwedStatus.OPEN)


def recovery_list(*, actor: Any, pool: Pool | None = None, claim: Claim | None = None) -> QuerySet[Recovery]:
    """Recoveries the actor may see, newest first."""
    condition = _claim_filter(actor, "claim__")
    qs = Recovery.objects.select_related("claim", "bank").order_by("-recovered_on", "-id")
    if condition is None:
        return qs.none()
    qs = qs.filter(condition)
    if pool is not None:
        qs = qs.filter(pool=pool)
    if claim is not None:
        qs = qs.filter(claim=claim)
    return qs


def recovery_steps(recovery: Recovery) -> list[dict[str, str]]:
    """A recovery's sharing arithmetic in the active language."""
    return render_steps((recovery.breakdown or {}).get("steps") or [])


@dataclass(frozen=True)
class ClaimTotals:
    """Claims of a pool by status, and the money they moved (CNY)."""

    by_status: dict[str, int]
    claimed: Decimal
    granted: Decimal
    paid: Decimal
    owed: Decimal
    recovered_to_pool: Decimal


def claim_totals(*, actor: Any, pool: Pool) -> ClaimTotals:
    """Counts by status and sums of the claims the actor may see in a pool (dashboards)."""
    claims = claim_list(actor=actor, pool=pool).order_by()
    by_status = {row["status"]: row["n"] for row in claims.values("status").annotate(n=Count("id"))}
    claimed = claims.exclude(status=ClaimStatus.WITHDRAWN).aggregate(
        total=Sum("lost_principal"), interest=Sum("lost_interest")
    )
    money = (
        payout_list(actor=actor, pool=pool)
        .order_by()
        .aggregate(
            granted=Sum("amount"), paid=Sum("paid_amount"), owed=Sum("owed_amount"), back=Sum("recovered_amount")
        )
    )
    return ClaimTotals(
        by_status={status: by_status.get(status, 0) for status in ClaimStatus.values},
        claimed=(claimed["total"] or ZERO) + (claimed["interest"] or ZERO),
        granted=money["granted"] or ZERO,
        paid=money["paid"] or ZERO,
        owed=money["owed"] or ZERO,
        recovered_to_pool=money["back"] or ZERO,
    )


def claim_actions(*, actor: Any, claim: Claim) -> frozenset[str]:
    """What the actor may do to a claim now (read-only guard for pages): a subset of "approve", "reject",
    "return", "resubmit", "withdraw", "add_documents", "report_recovery"."""
    allowed: set[str] = set()
    status = claim.status
    reviewer = has_perm(actor, perms.REVIEW_CLAIM) and claim.pool.authority_id in authority_ids(actor)
    if reviewer and status == ClaimStatus.SUBMITTED:
        allowed |= {"approve", "reject", "return"}
    institutions = visible_institution_ids(actor)
    if claim.bank_id in institutions and has_perm(actor, perms.FILE_CLAIM):
        if ClaimStatus.SUBMITTED in CLAIM_TRANSITIONS.get(status, frozenset()) and status == ClaimStatus.RETURNED:
            allowed.add("resubmit")
        if ClaimStatus.WITHDRAWN in CLAIM_TRANSITIONS.get(status, frozenset()):
            allowed.add("withdraw")
        if status in (ClaimStatus.SUBMITTED, ClaimStatus.RETURNED):
            allowed.add("add_documents")
    if (
        claim.bank_id in institutions
        and has_perm(actor, perms.REPORT_RECOVERY)
        and status in (ClaimStatus.APPROVED, ClaimStatus.PAID)
    ):
        allowed.add("report_recovery")
    return frozenset(allowed)
