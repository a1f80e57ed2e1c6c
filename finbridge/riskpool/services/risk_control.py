"""Risk control: banks suspended from new enrolments by the non-performing ratio of their covered loans, and
the pool's low-free-balance alert.

Rules:
- A bank's non-performing ratio (selectors.risk.bank_npl_ratio: outstanding balance of its covered loans that
  are substandard, doubtful or loss ÷ outstanding balance of all its covered loans) above the pool's
  `npl_suspension_threshold` suspends it from new enrolments (cause npl_threshold); when the ratio falls back
  to the threshold or below, a bank suspended for that cause is resumed (cause npl_recovered). A suspension
  decided by the authority (manual) is never lifted here. The bank and the authority are notified
  (members.member_suspend / member_resume).
- The authority is alerted once when the pool's free balance (cash less owed) falls below
  `free_balance_alert_share` × capital contributed (alerts.pool_alerts_refresh, also run after every entry).

Called by the system (actor None): the daily task for every active pool, and the claim services after an
approval (a compensated loan leaves the covered loans). Raises nothing for a pool or bank without covered loans.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from finbridge.core.errors import Conflict
from finbridge.core.money import quantize_rate
from finbridge.riskpool.choices import MemberRole, MemberStatus, PoolStatus, SuspensionCause
from finbridge.riskpool.models import MemberSuspension, Pool, PoolMember
from finbridge.riskpool.services.alerts import pool_alerts_refresh
from finbridge.riskpool.services.locks import pool_lock
from finbridge.riskpool.services.members import member_resume, member_suspend


def _npl_ratio(pool: Pool, bank: Any) -> Any:
    from finbridge.riskpool.selectors.risk import bank_npl_ratio

    return quantize_rate(bank_npl_ratio(pool=pool, bank=bank))


def _check_member(actor: Any, pool: Pool, member: PoolMember) -> MemberSuspension | None:
    """Suspend or resume one bank member by its ratio; the suspension event recorded, or None."""
    ratio = _npl_ratio(pool, member.organization)
    threshold = pool.npl_suspension_threshold
    try:
        if ratio > threshold and not member.is_suspended:
            member_suspend(
                actor=actor, member=member, cause=SuspensionCause.NPL_THRESHOLD, npl_ratio=ratio, threshold=threshold
            )
        elif ratio <= threshold and member.is_suspended and member.suspension_cause == SuspensionCause.NPL_THRESHOLD:
            member_resume(
                actor=actor, member=member, cause=SuspensionCause.NPL_RECOVERED, npl_ratio=ratio, threshold=threshold
            )
        else:
            return None
    except Conflict:  # suspended or resumed meanwhile by someone else: nothing to do
        return None
    return member.suspensions.order_by("-id").first()


def _bank_members(pool: Pool) -> Any:
    return (
        PoolMember.objects.filter(pool=pool, role=MemberRole.BANK, status=MemberStatus.ACTIVE)
        .select_related("organization", "pool__authority")
        .order_by("id")
    )


def risk_check_bank(*, actor: Any = None, pool: Pool, bank: Any) -> MemberSuspension | None:
    """Suspend or resume one bank of a pool by its non-performing ratio (see the module docstring); returns the
    suspension event recorded, or None when nothing changed (or the bank is not an admitted member)."""
    member = _bank_members(pool).filter(organization=bank).first()
    if member is None:
        return None
    return _check_member(actor, pool, member)


def risk_check_pool(*, actor: Any = None, pool: Pool) -> list[MemberSuspension]:
    """Check every admitted bank of a pool and refresh its low-free-balance alert; returns the suspension
    events recorded. Nothing happens for a pool that is not active."""
    if pool.status != PoolStatus.ACTIVE:
        return []
    events = [event for member in _bank_members(pool) if (event := _check_member(actor, pool, member)) is not None]
    with transaction.atomic():
        pool_alerts_refresh(pool=pool_lock(pool))
    return events


def risk_check_all() -> dict[str, int]:
    """Run risk_check_pool on every active pool (the daily task); returns how many pools were checked and how
    many suspensions and resumptions were recorded."""
    checked = suspended = resumed = 0
    for pool in Pool.objects.filter(status=PoolStatus.ACTIVE).select_related("authority").order_by("id"):
        checked += 1
        for event in risk_check_pool(pool=pool):
            if event.cause == SuspensionCause.NPL_THRESHOLD:
                suspended += 1
            else:
                resumed += 1
    return {"pools": checked, "suspended": suspended, "resumed": resumed}
