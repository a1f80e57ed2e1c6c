"""Notification kinds of the risk-sharing pool (registered with finbridge.notifications.kinds at start-up).

Helper R2 appends the claim kinds it needs at the end of KINDS (see /work/notes/riskpool-contract.md)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from finbridge.notifications.kinds import register_kind

MEMBER_ADMITTED = "riskpool.member_admitted"
MEMBER_SUSPENDED_NPL = "riskpool.member_suspended_npl"
MEMBER_RESUMED_NPL = "riskpool.member_resumed_npl"
MEMBER_SUSPENDED = "riskpool.member_suspended"
MEMBER_RESUMED = "riskpool.member_resumed"
LOW_FREE_BALANCE = "riskpool.low_free_balance"
CAPACITY_REACHED = "riskpool.capacity_reached"
CLAIM_SUBMITTED = "riskpool.claim_submitted"
CLAIM_RETURNED = "riskpool.claim_returned"
CLAIM_APPROVED = "riskpool.claim_approved"
CLAIM_APPROVED_IN_PART = "riskpool.claim_approved_in_part"
CLAIM_REJECTED = "riskpool.claim_rejected"
OWED_SETTLED = "riskpool.owed_settled"
RECOVERY_REPORTED = "riskpool.recovery_reported"
# Appended by helper R2 (claims).
CLAIM_RESUBMITTED = "riskpool.claim_resubmitted"
CLAIM_WITHDRAWN = "riskpool.claim_withdrawn"

KINDS = {
    MEMBER_ADMITTED: _("%(institution)s is admitted to the risk-sharing pool %(pool)s from %(start)s."),
    MEMBER_SUSPENDED_NPL: _(
        "%(bank)s is suspended from new enrolments in %(pool)s: the non-performing ratio of its covered loans is "
        "%(ratio)s, above the pool's threshold of %(threshold)s."
    ),
    MEMBER_RESUMED_NPL: _(
        "%(bank)s may enrol loans in %(pool)s again: the non-performing ratio of its covered loans is back to "
        "%(ratio)s (threshold %(threshold)s)."
    ),
    MEMBER_SUSPENDED: _("%(bank)s is suspended from new enrolments in %(pool)s by the authority: %(note)s"),
    MEMBER_RESUMED: _("%(bank)s may enrol loans in %(pool)s again."),
    LOW_FREE_BALANCE: _(
        "The free balance of the risk-sharing pool %(pool)s is %(balance)s, below the alert level of %(threshold)s."
    ),
    CAPACITY_REACHED: _(
        "The risk-sharing pool %(pool)s has used %(share)s of its maximum covered balance of %(capacity)s; "
        "enrolments stop when it is full."
    ),
    CLAIM_SUBMITTED: _("%(bank)s filed claim %(reference)s on %(pool)s for a loss of %(amount)s."),
    CLAIM_RETURNED: _("Claim %(reference)s on %(pool)s was returned for more information: %(reason)s"),
    CLAIM_APPROVED: _(
        "Claim %(reference)s on %(pool)s was approved: compensation %(amount)s (paid %(paid)s, owed %(owed)s)."
    ),
    CLAIM_APPROVED_IN_PART: _(
        "Claim %(reference)s on %(pool)s was approved in part: compensation %(amount)s (paid %(paid)s, owed "
        "%(owed)s). Reason: %(reason)s"
    ),
    CLAIM_REJECTED: _("Claim %(reference)s on %(pool)s was rejected: %(reason)s"),
    OWED_SETTLED: _("%(pool)s paid %(amount)s of the compensation it owed on claim %(reference)s."),
    RECOVERY_REPORTED: _(
        "%(bank)s reported a recovery of %(amount)s on claim %(reference)s; %(pool_amount)s comes back to %(pool)s."
    ),
    CLAIM_RESUBMITTED: _("%(bank)s resubmitted claim %(reference)s on %(pool)s for a loss of %(amount)s."),
    CLAIM_WITHDRAWN: _("%(bank)s withdrew claim %(reference)s on %(pool)s."),
}

# Parameters stored as English msgids, translated for each reader.
TRANSLATED_PARAMS: dict[str, tuple[str, ...]] = {}


def amount_param(amount: Decimal | None) -> str:
    """An amount for a notification's text, readable in either language (¥1,250,000.00)."""
    return "" if amount is None else f"¥{amount:,.2f}"


def ratio_param(ratio: Decimal | None) -> str:
    """A fraction as a percentage for a notification's text (0.0525 → 5.25%)."""
    return "" if ratio is None else f"{ratio * 100:.2f}%"


def register() -> None:
    """Register every risk-pool notification kind with the notifications app."""
    for kind, text in KINDS.items():
        register_kind(kind, text, translated_params=TRANSLATED_PARAMS.get(kind, ()))
