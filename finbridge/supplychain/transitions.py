"""Allowed status changes of receivables, financing requests, offers and voucher parts, as tables.

Each service that changes a status re-reads the row with select_for_update() and calls assert_transition();
a change that is not in the table raises Conflict("invalid_transition") with a translated message.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from finbridge.core.errors import Conflict
from finbridge.supplychain.choices import FinancingRequestStatus as F
from finbridge.supplychain.choices import OfferStatus as O
from finbridge.supplychain.choices import ReceivableStatus as R
from finbridge.supplychain.choices import VoucherStatus as V

RECEIVABLE_TRANSITIONS: dict[str, frozenset[str]] = {
    R.PENDING: frozenset({R.CONFIRMED, R.DISPUTED, R.WITHDRAWN}),
    R.DISPUTED: frozenset({R.PENDING, R.WITHDRAWN}),
    R.CONFIRMED: frozenset({R.FINANCING_REQUESTED, R.VOUCHER_ISSUED, R.SETTLED}),
    R.FINANCING_REQUESTED: frozenset({R.CONFIRMED, R.FINANCED, R.SETTLED}),
    R.FINANCED: frozenset({R.CONFIRMED, R.SETTLED}),
    R.VOUCHER_ISSUED: frozenset({R.SETTLED}),
    R.WITHDRAWN: frozenset(),
    R.SETTLED: frozenset(),
}

REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    F.OPEN: frozenset({F.ACCEPTED, F.WITHDRAWN, F.CLOSED}),
    F.ACCEPTED: frozenset(),
    F.WITHDRAWN: frozenset(),
    F.CLOSED: frozenset(),
}

OFFER_TRANSITIONS: dict[str, frozenset[str]] = {
    O.PENDING: frozenset({O.OFFERED, O.REFUSED, O.CLOSED}),
    O.OFFERED: frozenset({O.OFFERED, O.ACCEPTED, O.REFUSED, O.WITHDRAWN, O.CLOSED}),
    O.REFUSED: frozenset(),
    O.WITHDRAWN: frozenset(),
    O.ACCEPTED: frozenset(),
    O.CLOSED: frozenset(),
}

VOUCHER_TRANSITIONS: dict[str, frozenset[str]] = {
    V.HELD: frozenset({V.SPLIT, V.FINANCING_REQUESTED, V.SETTLED}),
    V.FINANCING_REQUESTED: frozenset({V.HELD, V.FINANCED, V.SETTLED}),
    V.FINANCED: frozenset({V.HELD, V.SETTLED}),
    V.SPLIT: frozenset(),
    V.SETTLED: frozenset(),
}

# Which table and which noun apply to which status choices.
_TABLES: dict[type[models.TextChoices], tuple[dict[str, frozenset[str]], object]] = {
    R: (RECEIVABLE_TRANSITIONS, _("receivable")),
    F: (REQUEST_TRANSITIONS, _("financing request")),
    O: (OFFER_TRANSITIONS, _("offer")),
    V: (VOUCHER_TRANSITIONS, _("voucher part")),
}

MSG_TRANSITION = _("This cannot be done while the %(what)s is “%(status)s”.")


def can_transition(table: dict[str, frozenset[str]], current: str, target: str) -> bool:
    """Read-only guard for templates and selectors."""
    return target in table.get(current, frozenset())


def sources_of(table: dict[str, frozenset[str]], target: str) -> tuple[str, ...]:
    """Every status from which `target` may be reached (for set-based updates)."""
    return tuple(status for status, targets in table.items() if target in targets)


def assert_transition(choices: type[models.TextChoices], current: str, target: str) -> None:
    """Raise Conflict("invalid_transition") unless a record whose statuses are `choices` may go from `current`
    to `target`."""
    table, what = _TABLES[choices]
    if not can_transition(table, current, target):
        raise Conflict(
            MSG_TRANSITION, code="invalid_transition", params={"what": str(what), "status": str(choices(current).label)}
        )


def assert_status(choices: type[models.TextChoices], current: str, allowed: frozenset[str] | set[str]) -> None:
    """Raise Conflict("invalid_transition") unless `current` is one of `allowed` — for actions whose target status
    is also reached from other statuses by other actions (confirming leads to "confirmed", and so does releasing a
    registration, but only a pending receivable can be confirmed)."""
    if current not in allowed:
        _table, what = _TABLES[choices]
        raise Conflict(
            MSG_TRANSITION, code="invalid_transition", params={"what": str(what), "status": str(choices(current).label)}
        )
