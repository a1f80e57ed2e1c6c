"""Allowed status changes of demands, institutions' engagements and products, as tables.

Each service that changes a status calls assert_*_transition() after re-reading the row with
select_for_update(); a change that is not in the table raises Conflict with a translated message.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from finbridge.core.errors import Conflict
from finbridge.financing.choices import DemandStatus as D
from finbridge.financing.choices import EngagementStatus as E
from finbridge.financing.choices import ProductStatus as P

PRODUCT_TRANSITIONS: dict[str, frozenset[str]] = {
    P.DRAFT: frozenset({P.PUBLISHED}),
    P.PUBLISHED: frozenset({P.WITHDRAWN}),
    P.WITHDRAWN: frozenset({P.PUBLISHED}),
}

# The demand's own status: the furthest any institution has gone with it, or the firm's decision.
DEMAND_TRANSITIONS: dict[str, frozenset[str]] = {
    D.DRAFT: frozenset({D.PUBLISHED, D.WITHDRAWN}),
    D.PUBLISHED: frozenset({D.TAKEN_UP, D.WITHDRAWN, D.EXPIRED}),
    D.TAKEN_UP: frozenset({D.UNDER_REVIEW, D.DECLINED, D.WITHDRAWN, D.EXPIRED, D.PUBLISHED}),
    D.UNDER_REVIEW: frozenset({D.APPROVED, D.DECLINED, D.WITHDRAWN, D.TAKEN_UP, D.PUBLISHED}),
    D.APPROVED: frozenset({D.DISBURSED, D.DECLINED, D.WITHDRAWN, D.UNDER_REVIEW, D.TAKEN_UP}),
    D.DISBURSED: frozenset(),
    D.DECLINED: frozenset({D.PUBLISHED}),
    D.WITHDRAWN: frozenset(),
    D.EXPIRED: frozenset(),
}

ENGAGEMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    E.TAKEN_UP: frozenset({E.UNDER_REVIEW, E.DECLINED, E.CLOSED}),
    E.UNDER_REVIEW: frozenset({E.APPROVED, E.DECLINED, E.CLOSED}),
    E.APPROVED: frozenset({E.DISBURSED, E.DECLINED, E.CLOSED}),
    E.DISBURSED: frozenset(),
    E.DECLINED: frozenset(),
    E.CLOSED: frozenset(),
}

MSG_TRANSITION = _("This cannot be done while the %(what)s is “%(status)s”.")


def _assert(table: dict[str, frozenset[str]], current: str, target: str, what: str, label: str) -> None:
    if target not in table.get(current, frozenset()):
        raise Conflict(MSG_TRANSITION, code="invalid_transition", params={"what": what, "status": label})


def can_transition(table: dict[str, frozenset[str]], current: str, target: str) -> bool:
    """Read-only guard for templates and selectors."""
    return target in table.get(current, frozenset())


def assert_product_transition(current: str, target: str) -> None:
    """Raise Conflict unless a product may go from `current` to `target`."""
    _assert(PRODUCT_TRANSITIONS, current, target, str(_("product")), str(P(current).label))


def assert_demand_transition(current: str, target: str) -> None:
    """Raise Conflict unless a demand may go from `current` to `target`."""
    _assert(DEMAND_TRANSITIONS, current, target, str(_("demand")), str(D(current).label))


def assert_engagement_transition(current: str, target: str) -> None:
    """Raise Conflict unless an institution's engagement may go from `current` to `target`."""
    _assert(ENGAGEMENT_TRANSITIONS, current, target, str(_("application")), str(E(current).label))
