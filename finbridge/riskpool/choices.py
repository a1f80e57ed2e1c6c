"""Kinds and statuses of the risk-sharing pool: pools, members, rules, enrolments, claims and the ledger."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from finbridge.riskpool.sharing import Category, Flag


class PoolStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class CapacityBasis(models.TextChoices):
    """How the pool's maximum covered balance is set."""

    ABSOLUTE = "absolute", _("Fixed amount")
    LEVERAGE = "leverage", _("Multiple of the capital")


class MemberRole(models.TextChoices):
    BANK = "bank", _("Bank")
    GUARANTOR = "guarantor", _("Guarantee agency")
    INSURER = "insurer", _("Insurer")


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("Admitted")
    ENDED = "ended", _("Agreement ended")


class SuspensionAction(models.TextChoices):
    SUSPEND = "suspend", _("Suspended")
    RESUME = "resume", _("Resumed")


class SuspensionCause(models.TextChoices):
    NPL_THRESHOLD = "npl_threshold", _("Non-performing ratio above the pool's threshold")
    NPL_RECOVERED = "npl_recovered", _("Non-performing ratio back within the pool's threshold")
    MANUAL = "manual", _("Decision of the authority")


# The vocabulary of the sharing engine (finbridge/riskpool/sharing.py) is the vocabulary of the models.
LoanCategory = Category
UpliftFlag = Flag

# Flags taken from the loans ledger at enrolment; the others are declared by the bank when it enrols.
LOAN_DERIVED_FLAGS = frozenset({Flag.FIRST_TIME, Flag.CREDIT, Flag.TECH_ENTERPRISE})


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", _("Covered")
    COMPENSATED = "compensated", _("Compensated")  # a claim on it was paid; coverage used up
    RELEASED = "released", _("Released")  # repaid or withdrawn by the bank; no longer covered


# Enrolments that hold the loan (one per loan) and count against the pool's capacity.
HOLDING_ENROLMENT = frozenset({EnrolmentStatus.ACTIVE})
# Enrolments that block another enrolment of the same loan.
BLOCKING_ENROLMENT = frozenset({EnrolmentStatus.ACTIVE, EnrolmentStatus.COMPENSATED})


class ReleaseReason(models.TextChoices):
    REPAID = "repaid", _("Repaid")
    MATURED = "matured", _("Matured")
    WITHDRAWN = "withdrawn", _("Withdrawn by the bank")
    ERROR = "error", _("Enrolled in error")


class ClaimStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for more information")
    APPROVED = "approved", _("Approved, payment partly owed")
    PAID = "paid", _("Paid")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Claims that block a further claim on the same enrolment (one claim per default).
BLOCKING_CLAIM = frozenset(
    {ClaimStatus.SUBMITTED, ClaimStatus.RETURNED, ClaimStatus.APPROVED, ClaimStatus.PAID, ClaimStatus.REJECTED}
)


class ClaimDecision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    APPROVE_IN_PART = "approve_in_part", _("Approve in part")
    REJECT = "reject", _("Reject")
    RETURN = "return", _("Return for more information")


class ClaimDocumentKind(models.TextChoices):
    LOAN_CONTRACT = "loan_contract", _("Loan contract")
    CLASSIFICATION = "classification", _("Proof of non-performing classification")
    COLLECTION = "collection", _("Collection efforts")
    LEGAL = "legal", _("Court or enforcement documents")
    LOSS_CALCULATION = "loss_calculation", _("Loss calculation")
    OTHER = "other", _("Other")


class OwedStatus(models.TextChoices):
    OPEN = "open", _("Open")
    SETTLED = "settled", _("Settled")


class Account(models.TextChoices):
    """Accounts of a pool's ledger (one set per pool; lines carry the counterparty bank where it matters)."""

    CASH = "cash", _("Pool cash")  # asset, debit-normal
    CAPITAL = "capital", _("Capital contributed")  # equity, credit-normal (capital, top-ups, withdrawals)
    PAYOUTS = "payouts", _("Compensation paid")  # expense, debit-normal
    RECOVERIES = "recoveries", _("Recoveries shared back")  # income, credit-normal
    INTEREST = "interest", _("Interest income")  # income, credit-normal
    OWED = "owed", _("Owed to banks")  # liability, credit-normal


# Accounts whose balance is naturally a debit (assets, expenses); the others are credit-normal.
DEBIT_NORMAL = frozenset({Account.CASH, Account.PAYOUTS})


class EntryKind(models.TextChoices):
    CAPITAL = "capital", _("Initial capital")
    TOP_UP = "top_up", _("Capital top-up")
    WITHDRAWAL = "withdrawal", _("Capital returned")
    INTEREST = "interest", _("Interest earned")
    PAYOUT = "payout", _("Compensation payout")
    RECOVERY = "recovery", _("Recovery shared back")
    SETTLEMENT = "settlement", _("Owed amount settled")
    REVERSAL = "reversal", _("Reversal")


class AlertKind(models.TextChoices):
    LOW_FREE_BALANCE = "low_free_balance", _("Free balance below the alert share")
    CAPACITY_REACHED = "capacity_reached", _("Covered balance near capacity")


class StressRunStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ClaimAction(models.TextChoices):
    """Steps in a claim's history (ClaimEvent.action)."""

    SUBMIT = "submit", _("Submitted")
    RESUBMIT = "resubmit", _("Resubmitted")
    RETURN = "return", _("Returned for more information")
    APPROVE = "approve", _("Approved")
    APPROVE_IN_PART = "approve_in_part", _("Approved in part")
    REJECT = "reject", _("Rejected")
    WITHDRAW = "withdraw", _("Withdrawn")
    PAY = "pay", _("Paid")
    SETTLE = "settle", _("Owed amount settled")
    RECOVERY = "recovery", _("Recovery reported")
