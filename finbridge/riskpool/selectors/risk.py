"""Risk control figures per bank in a pool: covered balance, non-performing ratio, claims and compensation.

Definitions (all in CNY, over the pool's enrolments of the bank):
- covered balance: Σ covered amount of its covered (active) enrolments (what counts against capacity);
- outstanding: Σ current outstanding balance (loans ledger) of those loans;
- non-performing ratio: Σ outstanding of those loans classified substandard, doubtful or loss ÷ outstanding
  (0 when the bank has nothing covered) — the figure compared with the pool's suspension threshold;
- claims: claims filed (not withdrawn), open ones, and the loss claimed (principal + interest);
- compensation granted / paid / owed / recovered: the pool's payouts to the bank, what it paid at once or
  has settled, what it still owes, and what came back from recoveries;
- compensation ratio: compensation granted ÷ Σ covered amount of every loan the bank ever enrolled (the
  pool's 代偿率 for the bank);
- loss share compensated: compensation granted ÷ loss accepted on the paid claims.

Visibility: government members who see the pool get every bank; a bank gets its own row only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, Sum

from finbridge.accounts.models import Organization
from finbridge.accounts.selectors import actor_scope
from finbridge.core.errors import NotFound
from finbridge.financing.choices import NON_PERFORMING
from finbridge.riskpool.choices import ClaimStatus, EnrolmentStatus, MemberRole, OwedStatus
from finbridge.riskpool.models import Claim, Enrolment, OwedAmount, Payout, Pool
from finbridge.riskpool.selectors.pools import pool_get, visible_institution_ids

ZERO = Decimal("0")
RATIO_PLACES = Decimal("0.000001")
OPEN_CLAIMS = (ClaimStatus.SUBMITTED, ClaimStatus.RETURNED, ClaimStatus.APPROVED)


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    if not denominator:
        return ZERO
    return (numerator / denominator).quantize(RATIO_PLACES)


def _enrolment_figures(pool: Pool, bank_ids: list[int] | None = None, *, active_only: bool = True) -> dict[int, dict]:
    """Per bank: covered loans, covered balance, outstanding and non-performing figures of the ACTIVE
    enrolments, and (all statuses) the total covered amount ever enrolled — one pass over the enrolments."""
    qs = Enrolment.objects.filter(pool=pool)
    if active_only:
        qs = qs.filter(status=EnrolmentStatus.ACTIVE)
    if bank_ids is not None:
        qs = qs.filter(bank_id__in=bank_ids)
    active = Q(status=EnrolmentStatus.ACTIVE)
    npl = active & Q(loan__classification__in=list(NON_PERFORMING))
    rows = qs.values("bank_id").annotate(
        loans=Count("id", filter=active),
        covered=Sum("covered_amount", filter=active),
        outstanding=Sum("loan__outstanding_balance", filter=active),
        npl_loans=Count("id", filter=npl),
        npl_outstanding=Sum("loan__outstanding_balance", filter=npl),
        enrolled_total=Sum("covered_amount"),
    )
    return {row["bank_id"]: row for row in rows.order_by()}


def bank_npl_ratio(*, pool: Pool, bank: Any) -> Decimal:
    """The bank's non-performing ratio of covered loans in the pool (see the module definitions); 0 when it
    has nothing covered. No visibility check (risk control calls it)."""
    row = _enrolment_figures(pool, [bank.pk]).get(bank.pk)
    if row is None:
        return ZERO
    return _ratio(row["npl_outstanding"] or ZERO, row["outstanding"] or ZERO)


def bank_npl_ratios(*, pool: Pool) -> dict[int, Decimal]:
    """Every bank's non-performing ratio in the pool by bank id (banks with covered loans only)."""
    return {
        bank_id: _ratio(row["npl_outstanding"] or ZERO, row["outstanding"] or ZERO)
        for bank_id, row in _enrolment_figures(pool).items()
    }


@dataclass(frozen=True)
class BankRiskRow:
    """One line of the per-bank risk table."""

    bank: Any
    is_member: bool
    is_suspended: bool
    loans: int
    covered_balance: Decimal
    outstanding: Decimal
    npl_loans: int
    npl_outstanding: Decimal
    npl_ratio: Decimal
    above_threshold: bool
    enrolled_total: Decimal
    claims: int
    open_claims: int
    loss_claimed: Decimal
    compensation: Decimal
    compensation_paid: Decimal
    compensation_owed: Decimal
    recovered: Decimal
    compensation_ratio: Decimal
    loss_share_compensated: Decimal


def _grouped(qs: Any, **aggregates: Any) -> dict[int, dict[str, Any]]:
    return {row["bank_id"]: row for row in qs.values("bank_id").annotate(**aggregates).order_by()}


def bank_risk_table(*, actor: Any, pool: Pool) -> list[BankRiskRow]:
    """The per-bank risk table of a pool (see the module docstring), banks by name. Raises NotFound when
    the actor may not see the pool."""
    pool = pool_get(actor=actor, pk=pool.pk)
    only: list[int] | None = None
    if not actor_scope(actor).is_government:
        only = sorted(visible_institution_ids(actor))
    members = {
        m.organization_id: m
        for m in pool.members.filter(role=MemberRole.BANK).select_related("organization")
        if only is None or m.organization_id in only
    }
    claims = Claim.objects.filter(pool=pool).exclude(status=ClaimStatus.WITHDRAWN)
    payouts = Payout.objects.filter(pool=pool)
    owed = OwedAmount.objects.filter(pool=pool, status=OwedStatus.OPEN)
    if only is not None:
        claims = claims.filter(bank_id__in=only)
        payouts, owed = payouts.filter(bank_id__in=only), owed.filter(bank_id__in=only)
    active = _enrolment_figures(pool, only, active_only=False)
    claim_rows = _grouped(
        claims,
        n=Count("id"),
        open=Count("id", filter=Q(status__in=OPEN_CLAIMS)),
        loss=Sum(F("lost_principal") + F("lost_interest")),
    )
    payout_rows = _grouped(
        payouts,
        amount=Sum("amount"),
        recovered=Sum("recovered_amount"),
        basis=Sum(F("loss_principal") + F("loss_interest")),
    )
    owed_rows = _grouped(owed, left=Sum(F("amount") - F("settled_amount")))
    bank_ids = set(members) | set(active) | set(claim_rows)
    if only is not None:
        bank_ids &= set(only)
    banks = {org.pk: org for org in Organization.objects.filter(pk__in=bank_ids)}
    rows = []
    for bank_id in bank_ids:
        a, p = active.get(bank_id, {}), payout_rows.get(bank_id, {})
        c = claim_rows.get(bank_id, {})
        outstanding, npl_out = a.get("outstanding") or ZERO, a.get("npl_outstanding") or ZERO
        compensation = p.get("amount") or ZERO
        owed_left = owed_rows.get(bank_id, {}).get("left") or ZERO
        total_enrolled = a.get("enrolled_total") or ZERO
        ratio = _ratio(npl_out, outstanding)
        member = members.get(bank_id)
        rows.append(
            BankRiskRow(
                bank=banks[bank_id],
                is_member=member is not None,
                is_suspended=bool(member and member.is_suspended),
                loans=a.get("loans") or 0,
                covered_balance=a.get("covered") or ZERO,
                outstanding=outstanding,
                npl_loans=a.get("npl_loans") or 0,
                npl_outstanding=npl_out,
                npl_ratio=ratio,
                above_threshold=ratio > pool.npl_suspension_threshold,
                enrolled_total=total_enrolled,
                claims=c.get("n") or 0,
                open_claims=c.get("open") or 0,
                loss_claimed=c.get("loss") or ZERO,
                compensation=compensation,
                compensation_paid=compensation - owed_left,
                compensation_owed=owed_left,
                recovered=p.get("recovered") or ZERO,
                compensation_ratio=_ratio(compensation, total_enrolled),
                loss_share_compensated=_ratio(compensation, p.get("basis") or ZERO),
            )
        )
    return sorted(rows, key=lambda row: (row.bank.name, row.bank.pk))


def bank_risk_row(*, actor: Any, pool: Pool, bank: Any) -> BankRiskRow:
    """One bank's row of the risk table; NotFound when the actor may not see it."""
    for row in bank_risk_table(actor=actor, pool=pool):
        if row.bank.pk == bank.pk:
            return row
    raise NotFound()
