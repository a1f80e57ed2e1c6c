"""Home-page panels of the risk-sharing pool (accounts/dashboard.py calls each builder with the actor).

- the pool's authority: per pool its free balance, the claims waiting for review and the open alerts;
- a bank: per pool its covered balance, its claims that need its action (returned for more information) and,
  when suspended, a notice.
Every figure is read through the riskpool selectors, so a panel never shows a row its reader may not see.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from finbridge.core.permissions import has_perm
from finbridge.riskpool import permissions as perms
from finbridge.riskpool.choices import ClaimStatus, PoolStatus
from finbridge.riskpool.models import PoolAlert
from finbridge.riskpool.selectors.claims import claim_list
from finbridge.riskpool.selectors.pools import authority_ids, pool_list, pool_summary, visible_institution_ids
from finbridge.riskpool.selectors.risk import bank_risk_table

TEMPLATE = "riskpool/partials/_home_panel.html"
MAX_POOLS = 3


def _open_pools(actor: Any) -> list[Any]:
    return list(pool_list(actor=actor).exclude(status=PoolStatus.CLOSED)[:MAX_POOLS])


def authority_panel(actor: Any) -> dict[str, Any] | None:
    """The district authority running pools: free balance, claims waiting for review, open alerts."""
    if not has_perm(actor, perms.VIEW_POOL) or not authority_ids(actor):
        return None
    pools = [pool for pool in _open_pools(actor) if pool.authority_id in authority_ids(actor)]
    if not pools:
        return None
    reviewer = has_perm(actor, perms.REVIEW_CLAIM)
    rows = []
    for pool in pools:
        waiting = claim_list(actor=actor, pool=pool, status=ClaimStatus.SUBMITTED).count() if reviewer else 0
        alerts = list(PoolAlert.objects.filter(pool=pool, cleared_at__isnull=True))
        rows.append(
            {
                "pool": pool,
                "url": reverse("riskpool:pool-detail", args=[pool.pk]),
                "free_balance": pool_summary(pool=pool).free_balance,
                "waiting": waiting,
                "waiting_url": reverse("riskpool:claims", args=[pool.pk]) + f"?status={ClaimStatus.SUBMITTED}",
                "alerts": [alert.get_kind_display() for alert in alerts],
            }
        )
    return {
        "template": TEMPLATE,
        "testid": "panel-riskpool-authority",
        "title": _("Risk-sharing pools"),
        "kind": "authority",
        "rows": rows,
        "actions": [{"label": _("All pools"), "url": reverse("riskpool:pools-list")}],
    }


def bank_panel(actor: Any) -> dict[str, Any] | None:
    """A member bank: its covered balance per pool, claims returned to it, and any suspension."""
    if not has_perm(actor, perms.VIEW_POOL) or authority_ids(actor):
        return None
    institutions = visible_institution_ids(actor)
    if not institutions:
        return None
    rows = []
    for pool in _open_pools(actor):
        own_rows = bank_risk_table(actor=actor, pool=pool)
        if not own_rows:
            continue
        returned = claim_list(actor=actor, pool=pool, status=ClaimStatus.RETURNED).filter(bank_id__in=institutions)
        rows.append(
            {
                "pool": pool,
                "url": reverse("riskpool:pool-detail", args=[pool.pk]),
                "covered_balance": sum((row.covered_balance for row in own_rows), start=0),
                "returned": returned.count(),
                "returned_url": reverse("riskpool:claims", args=[pool.pk]) + f"?status={ClaimStatus.RETURNED}",
                "suspended": [row.bank.display_name for row in own_rows if row.is_suspended],
            }
        )
    if not rows:
        return None
    return {
        "template": TEMPLATE,
        "testid": "panel-riskpool-bank",
        "title": _("Risk-sharing pools"),
        "kind": "bank",
        "rows": rows,
        "actions": [{"label": _("All pools"), "url": reverse("riskpool:pools-list")}],
    }


PANELS: tuple[Callable[[Any], Any], ...] = (authority_panel, bank_panel)
