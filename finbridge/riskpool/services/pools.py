"""Writes of pools: creation and settings, activation and closing, capital, top-ups, withdrawals and interest.

Rules:
- Only a member of a district authority holding riskpool.manage_pool creates pools; the pool is run by that
  authority, and only its members (with the same code) change it.
- Capacity is a fixed maximum covered balance or a leverage multiple of the capital contributed (both above
  zero). The policy period ends on or after it starts. Thresholds are fractions from 0 to 1.
- Eligibility: size classes are MIIT classes; excluded industries are GB/T 4754-2017 code prefixes (a section
  letter and up to four digits); purposes are financing demand purposes.
- A pool is activated once it has a rule version and capital; a closed pool takes no changes, capital or
  enrolments (claims on its enrolments go on).
- Capital, top-ups and interest are posted to the ledger (cash against capital or interest income); each
  settles what the pool owes banks, oldest first. A withdrawal may not take more than the free balance
  (cash less owed) nor leave the capacity below the covered balance.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.audit.services import log_event, snapshot
from finbridge.core.errors import Conflict, PermissionDenied
from finbridge.core.permissions import has_perm
from finbridge.enterprises.choices import SizeClass
from finbridge.financing.choices import DemandPurpose
from finbridge.riskpool import permissions as perms
from finbridge.riskpool.choices import Account, CapacityBasis, EntryKind, PoolStatus
from finbridge.riskpool.models import JournalEntry, Pool
from finbridge.riskpool.selectors.pools import authority_ids
from finbridge.riskpool.services.alerts import (
    free_balance,
    pool_alerts_refresh,
    pool_capacity_alert_refresh,
    require_pool_authority,
)
from finbridge.riskpool.services.inputs import (
    Errors,
    parse_amount,
    parse_bool,
    parse_date,
    parse_positive_decimal,
    parse_rate,
    parse_text,
    parse_whole,
)
from finbridge.riskpool.services.ledger import Line, ledger_post
from finbridge.riskpool.services.locks import pool_lock, refresh_instance
from finbridge.riskpool.transitions import assert_pool_transition

__all__ = [
    "pool_activate",
    "pool_alerts_refresh",
    "pool_capital_contribute",
    "pool_capital_withdraw",
    "pool_close",
    "pool_create",
    "pool_interest_record",
    "pool_lock",
    "pool_update",
    "require_pool_authority",
]

ACTION_CREATE = "riskpool.pool_create"
ACTION_UPDATE = "riskpool.pool_update"
ACTION_ACTIVATE = "riskpool.pool_activate"
ACTION_CLOSE = "riskpool.pool_close"
ACTION_CAPITAL = "riskpool.pool_capital_contribute"
ACTION_WITHDRAW = "riskpool.pool_capital_withdraw"
ACTION_INTEREST = "riskpool.pool_interest_record"

INDUSTRY_PREFIX = re.compile(r"^[A-T]\d{0,4}$")
MAX_PREFIXES = 50

MSG_CAPACITY_AMOUNT = _("Enter the maximum covered balance.")
MSG_CAPACITY_MULTIPLE = _("Enter the leverage multiple of the capital.")
MSG_CAPACITY_BASIS = _("Choose how the maximum covered balance is set.")
MSG_PERIOD = _("The policy period must end on or after the day it starts.")
MSG_SIZE_CLASSES = _("Choose size classes among: %(choices)s.")
MSG_PREFIXES = _("Enter industry codes of GB/T 4754-2017, such as J or K7010.")
MSG_PURPOSES = _("Choose purposes among: %(choices)s.")
MSG_UNKNOWN_FIELD = _("This setting cannot be changed.")
MSG_CLOSED = _("The pool is closed.")
MSG_NOT_READY_RULES = _("The pool needs a rule version before it can be activated.")
MSG_NOT_READY_CAPITAL = _("The pool needs capital before it can be activated.")
MSG_FUTURE = _("%(date)s is in the future.")
MSG_WITHDRAW_FREE = _("Only the free balance (%(free)s CNY) can be returned.")
MSG_WITHDRAW_CAPACITY = _(
    "After returning this capital the pool could cover only %(capacity)s CNY, less than the %(covered)s CNY it covers."
)
MSG_NO_AUTHORITY = _("Only a district financial authority can run a risk-sharing pool.")

# Settings and their parsers: name -> callable(errors, name, value) -> clean value.
_FLAGS = (
    "require_disbursed_in_period",
    "require_sme",
    "require_district_operation",
    "exclude_serious_bad_credit",
)


def _parse_size_classes(errors: Errors, name: str, value: Any) -> list[str] | None:
    items = list(value) if isinstance(value, (list, tuple, set, frozenset)) else None
    if items is None or any(item not in SizeClass.values for item in items):
        errors.add(name, MSG_SIZE_CLASSES, choices=", ".join(SizeClass.values))
        return None
    return [c for c in SizeClass.values if c in items]


def _parse_prefixes(errors: Errors, name: str, value: Any) -> list[str] | None:
    items = list(value) if isinstance(value, (list, tuple, set, frozenset)) else None
    if items is None or len(items) > MAX_PREFIXES:
        errors.add(name, MSG_PREFIXES)
        return None
    clean = [str(item).strip().upper() for item in items]
    if any(not INDUSTRY_PREFIX.match(item) for item in clean):
        errors.add(name, MSG_PREFIXES)
        return None
    return sorted(set(clean))


def _parse_purposes(errors: Errors, name: str, value: Any) -> list[str] | None:
    items = list(value) if isinstance(value, (list, tuple, set, frozenset)) else None
    if items is None or any(item not in DemandPurpose.values for item in items):
        errors.add(name, MSG_PURPOSES, choices=", ".join(DemandPurpose.values))
        return None
    return [p for p in DemandPurpose.values if p in items]


def _parse_basis(errors: Errors, name: str, value: Any) -> str | None:
    if value not in CapacityBasis.values:
        errors.add(name, MSG_CAPACITY_BASIS)
        return None
    return str(value)


PARSERS: dict[str, Any] = {
    "name": lambda e, n, v: parse_text(e, n, v, limit=200, required=True),
    "name_en": lambda e, n, v: parse_text(e, n, v, limit=200),
    "description": lambda e, n, v: parse_text(e, n, v, limit=5000),
    "capacity_basis": _parse_basis,
    "max_covered_amount": lambda e, n, v: parse_amount(e, n, v, required=False),
    "leverage_multiple": lambda e, n, v: parse_positive_decimal(e, n, v, required=False),
    "period_start": parse_date,
    "period_end": parse_date,
    "npl_suspension_threshold": parse_rate,
    "free_balance_alert_share": parse_rate,
    "eligible_size_classes": _parse_size_classes,
    "excluded_industry_prefixes": _parse_prefixes,
    "max_loan_amount": lambda e, n, v: parse_amount(e, n, v, required=False),
    "max_term_months": lambda e, n, v: parse_whole(e, n, v, required=False, maximum=360),
    "allowed_purposes": _parse_purposes,
    **dict.fromkeys(_FLAGS, parse_bool),
}


def _parse_settings(values: dict[str, Any]) -> dict[str, Any]:
    errors = Errors()
    clean: dict[str, Any] = {}
    for name, value in values.items():
        parser = PARSERS.get(name)
        if parser is None:
            errors.add(name, MSG_UNKNOWN_FIELD)
            continue
        clean[name] = parser(errors, name, value)
    errors.raise_if_any()
    return clean


def _check_pool(pool: Pool) -> None:
    """Cross-field rules of a pool's settings (capacity and period); raises ValidationFailed."""
    errors = Errors()
    if pool.capacity_basis == CapacityBasis.ABSOLUTE and not pool.max_covered_amount:
        errors.add("max_covered_amount", MSG_CAPACITY_AMOUNT)
    if pool.capacity_basis == CapacityBasis.LEVERAGE and not pool.leverage_multiple:
        errors.add("leverage_multiple", MSG_CAPACITY_MULTIPLE)
    if pool.period_start and pool.period_end and pool.period_end < pool.period_start:
        errors.add("period_end", MSG_PERIOD)
    errors.raise_if_any()


def _authority_of(actor: Any) -> Any:
    if not has_perm(actor, perms.MANAGE_POOL):
        raise PermissionDenied()
    ids = authority_ids(actor)
    if not ids:
        raise PermissionDenied(MSG_NO_AUTHORITY)
    return next(m.organization for m in actor.active_memberships if m.organization_id == min(ids))


def pool_create(*, actor: Any, name: str, period_start: Any, period_end: Any, **settings: Any) -> Pool:
    """Create a draft pool run by the actor's district authority (riskpool.manage_pool).

    `settings` are any Pool settings (capacity_basis, max_covered_amount, leverage_multiple, thresholds,
    eligibility and loan limits; see PARSERS). Raises PermissionDenied, ValidationFailed; nothing written on
    error."""
    authority = _authority_of(actor)
    clean = _parse_settings({"name": name, "period_start": period_start, "period_end": period_end, **settings})
    pool = Pool(authority=authority, created_by=actor, **clean)
    _check_pool(pool)
    with transaction.atomic():
        pool.save()
        log_event(actor=actor, action=ACTION_CREATE, obj=pool, after=snapshot(pool))
    return pool


def pool_update(*, actor: Any, pool: Pool, **settings: Any) -> Pool:
    """Change settings of a draft or active pool (the authority running it, riskpool.manage_pool).

    New eligibility rules and limits apply to enrolments from now on; enrolled loans keep their cover.
    Raises PermissionDenied, ValidationFailed, Conflict (closed pool); nothing written on error."""
    require_pool_authority(actor, pool, perms.MANAGE_POOL)
    clean = _parse_settings(settings)
    with transaction.atomic():
        locked = pool_lock(pool)
        if locked.status == PoolStatus.CLOSED:
            raise Conflict(MSG_CLOSED, code="pool_closed")
        before = snapshot(locked)
        for name, value in clean.items():
            setattr(locked, name, value)
        _check_pool(locked)
        locked.save(update_fields=list(clean))
        log_event(actor=actor, action=ACTION_UPDATE, obj=locked, before=before, after=snapshot(locked))
        pool_capacity_alert_refresh(pool=locked)
    for name in clean:
        setattr(pool, name, getattr(locked, name))
    return locked


def pool_activate(*, actor: Any, pool: Pool) -> Pool:
    """Open a draft pool for enrolments (authority). Needs a rule version and capital contributed.

    Raises PermissionDenied, Conflict ("invalid_transition", "pool_not_ready"); nothing changed on error."""
    require_pool_authority(actor, pool, perms.MANAGE_POOL)
    with transaction.atomic():
        locked = pool_lock(pool)
        assert_pool_transition(locked.status, PoolStatus.ACTIVE)
        if not locked.rule_versions.exists():
            raise Conflict(MSG_NOT_READY_RULES, code="pool_not_ready")
        if locked.capital_total <= 0:
            raise Conflict(MSG_NOT_READY_CAPITAL, code="pool_not_ready")
        locked.status, locked.activated_at = PoolStatus.ACTIVE, timezone.now()
        locked.save(update_fields=["status", "activated_at"])
        log_event(actor=actor, action=ACTION_ACTIVATE, obj=locked, after={"status": locked.status})
    refresh_instance(pool, locked)
    pool.activated_at = locked.activated_at
    return locked


def pool_close(*, actor: Any, pool: Pool) -> Pool:
    """Close a pool (authority): no more enrolments, settings, capital or rule versions; claims, recoveries
    and settlements on its enrolments go on. Raises PermissionDenied, Conflict."""
    require_pool_authority(actor, pool, perms.MANAGE_POOL)
    with transaction.atomic():
        locked = pool_lock(pool)
        assert_pool_transition(locked.status, PoolStatus.CLOSED)
        locked.status, locked.closed_at = PoolStatus.CLOSED, timezone.now()
        locked.save(update_fields=["status", "closed_at"])
        log_event(actor=actor, action=ACTION_CLOSE, obj=locked, after={"status": locked.status})
    refresh_instance(pool, locked)
    pool.closed_at = locked.closed_at
    return locked


def _money_in(
    *, actor: Any, pool: Pool, amount: Any, value_date: Any, memo: str, action: str, kind_for: Any, credit: str
) -> JournalEntry:
    require_pool_authority(actor, pool, perms.MANAGE_POOL)
    errors = Errors()
    clean = parse_amount(errors, "amount", amount)
    day = parse_date(errors, "value_date", value_date, required=False) or timezone.localdate()
    text = parse_text(errors, "memo", memo, limit=255)
    if day > timezone.localdate():
        errors.add("value_date", MSG_FUTURE, date=day.isoformat())
    errors.raise_if_any()
    assert clean is not None
    with transaction.atomic():
        locked = pool_lock(pool)
        if locked.status == PoolStatus.CLOSED:
            raise Conflict(MSG_CLOSED, code="pool_closed")
        kind = kind_for(locked)
        entry = ledger_post(
            actor=actor,
            pool=locked,
            kind=kind,
            lines=[Line(Account.CASH, debit=clean), Line(credit, credit=clean)],
            value_date=day,
            memo=text,
        )
        log_event(actor=actor, action=action, obj=locked, after={"entry": entry.pk, "amount": clean, "kind": kind})
        settle_owed(actor=actor, pool=locked)
        pool_capacity_alert_refresh(pool=locked)
    refresh_instance(pool, locked)
    return entry


def settle_owed(*, actor: Any, pool: Pool) -> None:
    """Settle what the (locked) pool owes banks with the cash it now has, oldest first (claims service)."""
    from finbridge.riskpool.services.claims import owed_settle_pending

    owed_settle_pending(actor=actor, pool=pool)


def _capital_kind(pool: Pool) -> str:
    has_capital = pool.journal_entries.filter(kind=EntryKind.CAPITAL).exists()
    return EntryKind.TOP_UP if has_capital else EntryKind.CAPITAL


def pool_capital_contribute(
    *, actor: Any, pool: Pool, amount: Any, value_date: datetime.date | None = None, memo: str = ""
) -> JournalEntry:
    """Post capital paid into the pool (the first is its initial capital, later ones top-ups): cash against
    capital; then settle owed amounts oldest first. Authority only. Raises PermissionDenied,
    ValidationFailed, Conflict (closed pool); nothing written on error."""
    return _money_in(
        actor=actor,
        pool=pool,
        amount=amount,
        value_date=value_date,
        memo=memo,
        action=ACTION_CAPITAL,
        kind_for=_capital_kind,
        credit=Account.CAPITAL,
    )


def pool_interest_record(
    *, actor: Any, pool: Pool, amount: Any, value_date: datetime.date | None = None, memo: str = ""
) -> JournalEntry:
    """Post interest the pool's account earned: cash against interest income; then settle owed amounts.
    Authority only. Raises PermissionDenied, ValidationFailed, Conflict; nothing written on error."""
    return _money_in(
        actor=actor,
        pool=pool,
        amount=amount,
        value_date=value_date,
        memo=memo,
        action=ACTION_INTEREST,
        kind_for=lambda _pool: EntryKind.INTEREST,
        credit=Account.INTEREST,
    )


def pool_capital_withdraw(
    *, actor: Any, pool: Pool, amount: Any, value_date: datetime.date | None = None, memo: str = ""
) -> JournalEntry:
    """Return capital to the funder (capital against cash). At most the free balance (cash less owed), and
    the capacity left must still hold the covered balance. Authority only. Raises PermissionDenied,
    ValidationFailed, Conflict ("insufficient_funds", "capacity_below_covered"); nothing written on error."""
    require_pool_authority(actor, pool, perms.MANAGE_POOL)
    errors = Errors()
    clean = parse_amount(errors, "amount", amount)
    day = parse_date(errors, "value_date", value_date, required=False) or timezone.localdate()
    text = parse_text(errors, "memo", memo, limit=255)
    if day > timezone.localdate():
        errors.add("value_date", MSG_FUTURE, date=day.isoformat())
    errors.raise_if_any()
    assert clean is not None
    with transaction.atomic():
        locked = pool_lock(pool)
        free = free_balance(locked)
        if clean > free:
            raise Conflict(MSG_WITHDRAW_FREE, code="insufficient_funds", params={"free": f"{max(free, 0):,.2f}"})
        if locked.capacity_basis == CapacityBasis.LEVERAGE:
            capacity = (locked.leverage_multiple or Decimal(0)) * (locked.capital_total - clean)
            if capacity < locked.covered_balance:
                raise Conflict(
                    MSG_WITHDRAW_CAPACITY,
                    code="capacity_below_covered",
                    params={"capacity": f"{capacity:,.2f}", "covered": f"{locked.covered_balance:,.2f}"},
                )
        entry = ledger_post(
            actor=actor,
            pool=locked,
            kind=EntryKind.WITHDRAWAL,
            lines=[Line(Account.CAPITAL, debit=clean), Line(Account.CASH, credit=clean)],
            value_date=day,
            memo=text,
        )
        log_event(actor=actor, action=ACTION_WITHDRAW, obj=locked, after={"entry": entry.pk, "amount": clean})
        pool_capacity_alert_refresh(pool=locked)
    refresh_instance(pool, locked)
    return entry
