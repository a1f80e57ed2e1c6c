"""Pool alerts (low free balance, covered balance near capacity) and the authority check shared by services.

An alert is raised once when its condition starts (one open PoolAlert per pool and kind, with a notice to
the pool's authority) and cleared when the condition ends; it is raised again on the next crossing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum
from django.utils import timezone

from finbridge.core.errors import PermissionDenied
from finbridge.core.money import quantize_amount
from finbridge.core.permissions import has_perm
from finbridge.riskpool import notices
from finbridge.riskpool.choices import Account, AlertKind, PoolStatus
from finbridge.riskpool.models import JournalLine, Pool, PoolAlert

ZERO = Decimal("0")
# The capacity alert is raised when the covered balance reaches this share of the maximum covered balance.
CAPACITY_ALERT_UTILISATION = Decimal("0.95")


def require_pool_authority(actor: Any, pool: Pool, code: str) -> None:
    """PermissionDenied unless `actor` holds `code` and is a member of the pool's managing authority."""
    if not has_perm(actor, code) or pool.authority_id not in {m.organization_id for m in actor.active_memberships}:
        raise PermissionDenied()


def free_balance(pool: Pool) -> Decimal:
    """Cash less what the pool owes banks (by its ledger): negative while the pool owes more than it holds."""
    sums = JournalLine.objects.filter(Q(pool=pool, account=Account.OWED)).aggregate(d=Sum("debit"), c=Sum("credit"))
    owed = (sums["c"] or ZERO) - (sums["d"] or ZERO)
    return pool.cash_balance - owed


def _set_alert(pool: Pool, kind: str, *, on: bool, value: Decimal, threshold: Decimal) -> PoolAlert | None:
    open_alert = PoolAlert.objects.filter(pool=pool, kind=kind, cleared_at__isnull=True).first()
    if on and open_alert is None:
        return PoolAlert.objects.create(pool=pool, kind=kind, value=max(value, ZERO), threshold=threshold)
    if not on and open_alert is not None:
        open_alert.cleared_at = timezone.now()
        open_alert.save(update_fields=["cleared_at"])
    return None


def _notify_authority(pool: Pool, kind: str, params: dict[str, Any]) -> None:
    from finbridge.notifications.services import notify_organizations

    notify_organizations(organizations=[pool.authority], kind=kind, params={"pool": pool.name, **params})


def pool_alerts_refresh(*, pool: Pool) -> None:
    """Raise or clear the low-free-balance alert of a (locked) pool; notify the authority when raised.

    Free balance = cash − owed; the alert is on while it is below free_balance_alert_share × capital
    contributed. Called by ledger_post after every entry. Raises nothing."""
    if pool.status == PoolStatus.CLOSED:
        return
    balance = free_balance(pool)
    threshold = quantize_amount(pool.free_balance_alert_share * pool.capital_total)
    raised = _set_alert(pool, AlertKind.LOW_FREE_BALANCE, on=balance < threshold, value=balance, threshold=threshold)
    if raised is not None:
        _notify_authority(
            pool,
            notices.LOW_FREE_BALANCE,
            {"balance": notices.amount_param(balance), "threshold": notices.amount_param(threshold)},
        )


def pool_capacity_alert_refresh(*, pool: Pool) -> None:
    """Raise or clear the near-capacity alert of a (locked) pool: on while the covered balance is at least
    95% of the maximum covered balance. Called by the enrolment services. Raises nothing."""
    if pool.status == PoolStatus.CLOSED:
        return
    capacity = pool.max_covered_balance
    on = capacity > 0 and pool.covered_balance >= capacity * CAPACITY_ALERT_UTILISATION
    raised = _set_alert(pool, AlertKind.CAPACITY_REACHED, on=on, value=pool.covered_balance, threshold=capacity)
    if raised is not None:
        share = pool.covered_balance / capacity if capacity else ZERO
        _notify_authority(
            pool,
            notices.CAPACITY_REACHED,
            {"capacity": notices.amount_param(capacity), "share": notices.ratio_param(share)},
        )
