"""Models of this app, one module per aggregate."""

from finbridge.riskpool.models.claims import (
    Claim,
    ClaimDocument,
    ClaimEvent,
    OwedAmount,
    OwedSettlement,
    Payout,
    Recovery,
)
from finbridge.riskpool.models.enrolments import Enrolment
from finbridge.riskpool.models.ledger import JournalEntry, JournalLine
from finbridge.riskpool.models.pools import MemberSuspension, Pool, PoolAlert, PoolMember
from finbridge.riskpool.models.rules import RuleVersion
from finbridge.riskpool.models.stress import StressRun

__all__ = [
    "Claim",
    "ClaimDocument",
    "ClaimEvent",
    "Enrolment",
    "JournalEntry",
    "JournalLine",
    "MemberSuspension",
    "OwedAmount",
    "OwedSettlement",
    "Payout",
    "Pool",
    "PoolAlert",
    "PoolMember",
    "Recovery",
    "RuleVersion",
    "StressRun",
]
