"""Allowed status changes of pools, enrolments, claims and owed amounts, as tables.

Each service that changes a status calls assert_*_transition() after re-reading the row with
select_for_update(); a change that is not in the table raises Conflict with a translated message.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from finbridge.core.errors import Conflict
from finbridge.riskpool.choices import ClaimStatus as C
from finbridge.riskpool.choices import EnrolmentStatus as E
from finbridge.riskpool.choices import OwedStatus as O
from finbridge.riskpool.choices import PoolStatus as P

POOL_TRANSITIONS: dict[str, frozenset[str]] = {
    P.DRAFT: frozenset({P.ACTIVE, P.CLOSED}),
    P.ACTIVE: frozenset({P.CLOSED}),
    P.CLOSED: frozenset(),
}

ENROLMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    E.ACTIVE: frozenset({E.COMPENSATED, E.RELEASED}),
    E.COMPENSATED: frozenset(),
    E.RELEASED: frozenset(),
}

# "approved": the payout is computed and part of it is still owed by the pool; "paid": fully paid.
CLAIM_TRANSITIONS: dict[str, frozenset[str]] = {
    C.SUBMITTED: frozenset({C.RETURNED, C.APPROVED, C.PAID, C.REJECTED, C.WITHDRAWN}),
    C.RETURNED: frozenset({C.SUBMITTED, C.WITHDRAWN}),
    C.APPROVED: frozenset({C.PAID}),
    C.PAID: frozenset(),
    C.REJECTED: frozenset(),
    C.WITHDRAWN: frozenset(),
}

OWED_TRANSITIONS: dict[str, frozenset[str]] = {O.OPEN: frozenset({O.SETTLED}), O.SETTLED: frozenset()}

MSG_TRANSITION = _("This cannot be done while the %(what)s is “%(status)s”.")


def _assert(table: dict[str, frozenset[str]], current: str, target: str, what: str, label: str) -> None:
    if target not in table.get(current, frozenset()):
        raise Conflict(MSG_TRANSITION, code="invalid_transition", params={"what": what, "status": label})


def can_transition(table: dict[str, frozenset[str]], current: str, target: str) -> bool:
    """Read-only guard for templates and selectors."""
    return target in table.get(current, frozenset())


def assert_pool_transition(current: str, target: str) -> None:
    """Raise Conflict unless a pool may go from `current` to `target`."""
    _assert(POOL_TRANSITIONS, current, target, str(_("pool")), str(P(current).label))


def assert_enrolment_transition(current: str, target: str) -> None:
    """Raise Conflict unless an enrolment may go from `current` to `target`."""
    _assert(ENROLMENT_TRANSITIONS, current, target, str(_("enrolment")), str(E(current).label))


def assert_claim_transition(current: str, target: str) -> None:
    """Raise Conflict unless a claim may go from `current` to `target`."""
    _assert(CLAIM_TRANSITIONS, current, target, str(_("claim")), str(C(current).label))


def assert_owed_transition(current: str, target: str) -> None:
    """Raise Conflict unless an owed amount may go from `current` to `target`."""
    _assert(OWED_TRANSITIONS, current, target, str(_("owed amount")), str(O(current).label))
