"""The pool's double-entry ledger: the one place that writes journal entries.

Rules:
- An entry has at least two lines; each line is a debit or a credit (exactly one of them above zero), in CNY
  to the fen; the debits equal the credits. Otherwise ValidationFailed ("ledger_unbalanced",
  "ledger_invalid_line"), nothing written.
- Lines on the `owed` account name the bank owed (counterparty).
- No entry may take the pool's cash below zero ("insufficient_funds"), the capital contributed below zero
  ("capital_negative") or what the pool owes a bank below zero ("owed_negative"): Conflict, nothing written.
- Entries are numbered per pool in posting order under the pool row lock, are never changed or deleted
  (models refuse it; on PostgreSQL a trigger too) and are corrected by reversing entries.
- `ledger_post` keeps Pool.cash_balance and Pool.capital_total equal to the cash and capital accounts, records
  the entry in the audit trail and refreshes the pool's low-free-balance alert.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.audit.services import log_event
from finbridge.core.errors import Conflict, ValidationFailed
from finbridge.core.money import AMOUNT_MAX, quantize_amount, to_decimal
from finbridge.riskpool import permissions as perms
from finbridge.riskpool.choices import Account, EntryKind
from finbridge.riskpool.models import JournalEntry, JournalLine, Pool
from finbridge.riskpool.services.alerts import pool_alerts_refresh, require_pool_authority
from finbridge.riskpool.services.locks import pool_lock, refresh_instance

ZERO = Decimal("0")
ACTION_POST = "riskpool.ledger_post"
ACTION_REVERSE = "riskpool.ledger_reverse"
# Entries whose reversal would bypass the claim services (they keep payouts, owed and recoveries in step).
NOT_REVERSIBLE = frozenset({EntryKind.PAYOUT, EntryKind.SETTLEMENT, EntryKind.RECOVERY, EntryKind.REVERSAL})

MSG_FEW_LINES = _("A ledger entry needs at least one debit and one credit.")
MSG_UNBALANCED = _("The entry does not balance: debits %(debits)s, credits %(credits)s.")
MSG_LINE_SIDE = _("Line %(line)s must be either a debit or a credit above zero.")
MSG_LINE_AMOUNT = _("Line %(line)s: enter an amount in CNY to the fen.")
MSG_LINE_ACCOUNT = _("Line %(line)s: unknown account.")
MSG_OWED_COUNTERPARTY = _("Line %(line)s: an amount owed must name the bank it is owed to.")
MSG_KIND = _("Unknown kind of ledger entry.")
MSG_INSUFFICIENT = _("The pool's cash (%(cash)s CNY) is not enough for this entry (%(amount)s CNY).")
MSG_CAPITAL_NEGATIVE = _("The capital contributed (%(capital)s CNY) cannot fall below zero.")
MSG_OWED_NEGATIVE = _("The pool owes %(bank)s only %(owed)s CNY.")
MSG_NOT_REVERSIBLE = _("This entry belongs to a claim and cannot be reversed here.")
MSG_ALREADY_REVERSED = _("This entry has already been reversed.")


@dataclass(frozen=True)
class Line:
    """One line to post: an account and either a debit or a credit (CNY); `counterparty` for owed lines."""

    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    counterparty: Any = None


def _amount(value: Any, index: int) -> Decimal:
    try:
        amount = to_decimal(value if value is not None else 0)
    except ValueError:
        raise ValidationFailed(MSG_LINE_AMOUNT, code="ledger_invalid_line", params={"line": index}) from None
    if amount < 0 or amount > AMOUNT_MAX or amount != quantize_amount(amount):
        raise ValidationFailed(MSG_LINE_AMOUNT, code="ledger_invalid_line", params={"line": index})
    return amount


def _checked_lines(lines: Sequence[Line]) -> list[Line]:
    """The lines with amounts parsed and checked; raises ValidationFailed when any line or the total is wrong."""
    checked: list[Line] = []
    for index, line in enumerate(lines, start=1):
        if line.account not in Account.values:
            raise ValidationFailed(MSG_LINE_ACCOUNT, code="ledger_invalid_line", params={"line": index})
        debit, credit = _amount(line.debit, index), _amount(line.credit, index)
        if (debit > 0) == (credit > 0):
            raise ValidationFailed(MSG_LINE_SIDE, code="ledger_invalid_line", params={"line": index})
        if line.account == Account.OWED and line.counterparty is None:
            raise ValidationFailed(MSG_OWED_COUNTERPARTY, code="ledger_invalid_line", params={"line": index})
        checked.append(Line(line.account, debit, credit, line.counterparty))
    debits = sum((line.debit for line in checked), ZERO)
    credits = sum((line.credit for line in checked), ZERO)
    if not any(line.debit for line in checked) or not any(line.credit for line in checked):
        raise ValidationFailed(MSG_FEW_LINES, code="ledger_unbalanced")
    if debits != credits:
        raise ValidationFailed(
            MSG_UNBALANCED, code="ledger_unbalanced", params={"debits": f"{debits:,.2f}", "credits": f"{credits:,.2f}"}
        )
    return checked


def _net(lines: Sequence[Line], account: str) -> Decimal:
    """Debits minus credits of `account` in `lines`."""
    return sum((line.debit - line.credit for line in lines if line.account == account), ZERO)


def owed_balance(*, pool: Pool, bank: Any = None) -> Decimal:
    """What the pool owes (all banks, or one bank) by its ledger: credits minus debits of the owed account."""
    filters = Q(pool=pool, account=Account.OWED)
    if bank is not None:
        filters &= Q(counterparty=bank)
    sums = JournalLine.objects.filter(filters).aggregate(d=Sum("debit"), c=Sum("credit"))
    return (sums["c"] or ZERO) - (sums["d"] or ZERO)


def _check_owed(pool: Pool, lines: Sequence[Line]) -> None:
    per_bank: dict[Any, Decimal] = defaultdict(lambda: ZERO)
    banks: dict[Any, Any] = {}
    for line in lines:
        if line.account == Account.OWED:
            key = getattr(line.counterparty, "pk", line.counterparty)
            per_bank[key] += line.credit - line.debit
            banks[key] = line.counterparty
    for key, change in per_bank.items():
        if change >= 0:
            continue
        owed = owed_balance(pool=pool, bank=key)
        if owed + change < 0:
            raise Conflict(
                MSG_OWED_NEGATIVE, code="owed_negative", params={"bank": str(banks[key]), "owed": f"{owed:,.2f}"}
            )


def ledger_post(
    *,
    actor: Any,
    pool: Pool,
    kind: str,
    lines: Sequence[Line],
    value_date: datetime.date | None = None,
    memo: str = "",
    counterparty: Any = None,
    claim: Any = None,
    reverses: JournalEntry | None = None,
) -> JournalEntry:
    """Post one balanced entry to the pool's ledger (see the module docstring for the rules).

    Called by the riskpool services only (they check permissions); `actor` may be None for system work.
    Locks the pool row; keeps the pool's cash and capital balances; raises ValidationFailed or Conflict and
    writes nothing when the entry is refused."""
    if kind not in EntryKind.values:
        raise ValidationFailed(MSG_KIND, code="ledger_invalid_kind")
    checked = _checked_lines(lines)
    with transaction.atomic():
        locked = pool_lock(pool)
        cash_after = locked.cash_balance + _net(checked, Account.CASH)
        if cash_after < 0:
            spent = -_net(checked, Account.CASH)
            raise Conflict(
                MSG_INSUFFICIENT,
                code="insufficient_funds",
                params={"cash": f"{locked.cash_balance:,.2f}", "amount": f"{spent:,.2f}"},
            )
        capital_after = locked.capital_total - _net(checked, Account.CAPITAL)
        if capital_after < 0:
            raise Conflict(
                MSG_CAPITAL_NEGATIVE, code="capital_negative", params={"capital": f"{locked.capital_total:,.2f}"}
            )
        _check_owed(locked, checked)
        day = value_date or timezone.localdate()
        number = (JournalEntry.objects.filter(pool=locked).aggregate(n=Max("number"))["n"] or 0) + 1
        entry = JournalEntry.objects.create(
            pool=locked,
            number=number,
            kind=kind,
            value_date=day,
            posted_by=actor if getattr(actor, "is_authenticated", False) else None,
            memo=memo[:255],
            counterparty=counterparty,
            claim=claim,
            reverses=reverses,
        )
        JournalLine.objects.bulk_create(
            [
                JournalLine(
                    entry=entry,
                    pool=locked,
                    account=line.account,
                    counterparty=line.counterparty if line.counterparty is not None else counterparty,
                    value_date=day,
                    debit=line.debit,
                    credit=line.credit,
                )
                for line in checked
            ]
        )
        Pool.objects.filter(pk=locked.pk).update(cash_balance=cash_after, capital_total=capital_after)
        locked.cash_balance, locked.capital_total = cash_after, capital_after
        refresh_instance(pool, locked)
        log_event(
            actor=actor,
            action=ACTION_POST,
            obj=entry,
            after={
                "pool": locked.pk,
                "number": number,
                "kind": kind,
                "value_date": day,
                "memo": memo,
                "lines": [
                    {"account": x.account, "debit": x.debit, "credit": x.credit, "counterparty": x.counterparty}
                    for x in checked
                ],
            },
        )
        pool_alerts_refresh(pool=locked)
    return entry


def ledger_reverse(*, actor: Any, entry: JournalEntry, memo: str = "") -> JournalEntry:
    """Post the mirror image of a capital, top-up, withdrawal or interest entry (a correction).

    Only the pool's managing authority (riskpool.manage_pool). Entries of claims (payouts, settlements,
    recoveries) and reversals cannot be reversed here; an entry is reversed once. Raises PermissionDenied,
    Conflict; nothing changed on error."""
    require_pool_authority(actor, entry.pool, perms.MANAGE_POOL)
    if entry.kind in NOT_REVERSIBLE:
        raise Conflict(MSG_NOT_REVERSIBLE, code="entry_not_reversible")
    with transaction.atomic():
        pool_lock(entry.pool_id)
        if JournalEntry.objects.filter(reverses=entry).exists():
            raise Conflict(MSG_ALREADY_REVERSED, code="entry_already_reversed")
        lines = [
            Line(line.account, debit=line.credit, credit=line.debit, counterparty=line.counterparty)
            for line in entry.lines.all()
        ]
        reversal = ledger_post(
            actor=actor,
            pool=entry.pool,
            kind=EntryKind.REVERSAL,
            lines=lines,
            memo=memo or str(_("Reversal of entry %(number)s") % {"number": entry.number}),
            counterparty=entry.counterparty,
            reverses=entry,
        )
        log_event(actor=actor, action=ACTION_REVERSE, obj=entry, after={"reversal": reversal.pk})
    return reversal
