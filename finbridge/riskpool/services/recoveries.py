"""Recoveries: money a bank gets back on a loan after the pool compensated it, shared back to the pool.

Who: the claimant bank (riskpool.report_recovery), from its head office or a branch.
Rules: only a claim with a payout can have recoveries; the amounts recovered on a claim add up to at most the
loss accepted (principal plus interest); the date is not in the future nor before the default. The pool's part
is `sharing.share_recovery`: the recovery in the proportion the pool bore the loss, at most what it granted less
what it already had back. It is posted as cash against recoveries and then settles owed amounts oldest first.
Bad input raises ValidationFailed / Conflict / PermissionDenied / NotFound and changes nothing.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.audit.services import log_event
from finbridge.core.errors import Conflict
from finbridge.notifications.services import notify_organizations
from finbridge.riskpool import notices
from finbridge.riskpool import permissions as perms
from finbridge.riskpool.choices import Account, ClaimAction, EntryKind
from finbridge.riskpool.models import Claim, Payout, Recovery
from finbridge.riskpool.services.claims import lock_claim, owed_settle_pending, record_event, require_bank, user_or_none
from finbridge.riskpool.services.inputs import Errors, parse_amount, parse_date, parse_text
from finbridge.riskpool.services.ledger import Line, ledger_post
from finbridge.riskpool.services.locks import pool_lock
from finbridge.riskpool.sharing import PayoutBreakdown, share_recovery

ZERO = Decimal("0")
ACTION_REPORT = "riskpool.recovery_report"

MSG_NOT_PAID_OUT = _("Recoveries are reported on claims the pool has compensated; claim %(reference)s has no payout.")
MSG_ABOVE_LOSS = _("Recoveries on this claim would come to %(total)s CNY, more than the %(loss)s CNY loss accepted.")
MSG_FUTURE = _("The recovery cannot be dated after today.")
MSG_BEFORE_DEFAULT = _("The recovery cannot be dated before the default on %(date)s.")


def _check(errors: Errors, payout: Payout, claim: Claim, amount: Decimal, day: datetime.date) -> None:
    loss = payout.loss_principal + payout.loss_interest
    before = Recovery.objects.filter(payout=payout).aggregate(total=Sum("recovered_amount"))["total"] or ZERO
    if before + amount > loss:
        errors.add("recovered_amount", MSG_ABOVE_LOSS, total=f"{before + amount:,.2f}", loss=f"{loss:,.2f}")
    if day > timezone.localdate():
        errors.add("recovered_on", MSG_FUTURE)
    elif day < claim.defaulted_on:
        errors.add("recovered_on", MSG_BEFORE_DEFAULT, date=claim.defaulted_on.isoformat())


def recovery_report(
    *,
    actor: Any,
    claim: Claim,
    recovered_amount: Any,
    recovered_on: Any,
    reference: str = "",
    note: str = "",
) -> Recovery:
    """Record money the bank recovered on a compensated claim and share the pool's part back to the pool
    (see the module docstring); then settle owed amounts with the money that came in.

    Raises NotFound (not the actor's claim), PermissionDenied (no riskpool.report_recovery), ValidationFailed
    (bad amount or date, recoveries above the loss), Conflict (claim never paid out). Nothing changed on error."""
    require_bank(actor, claim.bank_id, perms.REPORT_RECOVERY)
    errors = Errors()
    amount = parse_amount(errors, "recovered_amount", recovered_amount)
    day = parse_date(errors, "recovered_on", recovered_on)
    ref = parse_text(errors, "reference", reference, limit=64)
    text = parse_text(errors, "note", note, limit=2000)
    errors.raise_if_any()
    assert amount is not None and day is not None
    with transaction.atomic():
        pool = pool_lock(claim.pool_id)
        locked = lock_claim(claim)
        payout = Payout.objects.select_for_update(of=("self",)).filter(claim=locked).first()
        if payout is None:
            raise Conflict(MSG_NOT_PAID_OUT, code="not_paid_out", params={"reference": locked.reference})
        _check(errors, payout, locked, amount, day)
        errors.raise_if_any()
        share = share_recovery(
            PayoutBreakdown.from_dict(payout.breakdown), amount, returned=payout.recovered_amount, paid=payout.amount
        )
        entry = None
        if share.to_pool > 0:
            entry = ledger_post(
                actor=actor,
                pool=pool,
                kind=EntryKind.RECOVERY,
                lines=[
                    Line(Account.CASH, debit=share.to_pool),
                    Line(Account.RECOVERIES, credit=share.to_pool, counterparty=locked.bank),
                ],
                value_date=day,
                memo=str(_("Recovery on claim %(reference)s") % {"reference": locked.reference}),
                counterparty=locked.bank,
                claim=locked,
            )
        recovery = Recovery.objects.create(
            pool=pool,
            payout=payout,
            claim=locked,
            bank=locked.bank,
            recovered_amount=amount,
            recovered_on=day,
            pool_amount=share.to_pool,
            breakdown=share.as_dict(),
            reference=ref,
            note=text,
            entry=entry,
            reported_by=user_or_none(actor),
        )
        payout.recovered_amount += share.to_pool
        payout.save(update_fields=["recovered_amount"])
        record_event(locked, ClaimAction.RECOVERY, actor, amount=amount, to_pool=share.to_pool, recovery=recovery.pk)
        log_event(
            actor=actor,
            action=ACTION_REPORT,
            obj=recovery,
            after={"claim": locked.pk, "recovered": amount, "to_pool": share.to_pool, "recovered_on": day},
        )
        notify_organizations(
            organizations=[pool.authority],
            kind=notices.RECOVERY_REPORTED,
            params={
                "bank": locked.bank.name,
                "reference": locked.reference,
                "pool": pool.name,
                "amount": notices.amount_param(amount),
                "pool_amount": notices.amount_param(share.to_pool),
            },
        )
        if share.to_pool > 0:
            owed_settle_pending(actor=actor, pool=pool)
    return recovery
