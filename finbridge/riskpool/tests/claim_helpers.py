"""Helpers of the claim, recovery and risk-control tests (helper R2): evidence files, defaulted loans, filing,
and a snapshot of everything a refused action must leave unchanged."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from finbridge.audit.models import AuditEvent
from finbridge.financing.choices import LoanClassification
from finbridge.notifications.models import Notification
from finbridge.riskpool.models import (
    Claim,
    ClaimDocument,
    ClaimEvent,
    Enrolment,
    JournalEntry,
    MemberSuspension,
    OwedAmount,
    OwedSettlement,
    Payout,
    Pool,
    PoolMember,
    Recovery,
)
from finbridge.riskpool.services.claims import Evidence, claim_approve, claim_file
from finbridge.riskpool.tests.setup import PoolScenario

PDF = b"%PDF-1.7\n% loan contract\n"
PNG = b"\x89PNG\r\n\x1a\n fake image"


def pdf(name: str = "contract.pdf", kind: str = "loan_contract") -> Evidence:
    return Evidence(kind=kind, name=name, content=PDF)


def defaulted(
    s: PoolScenario,
    *,
    amount: Decimal | str = "1000000.00",
    outstanding: Decimal | str | None = None,
    classification: str = LoanClassification.SUBSTANDARD,
    **loan: Any,
) -> Enrolment:
    """A loan enrolled in the scenario's pool (as the head office) that has since become non-performing."""
    made = s.make_loan(amount=Decimal(amount), **loan)
    enrolment = s.enrol(made)
    s.classify(made, classification, Decimal(outstanding) if outstanding is not None else None)
    enrolment.refresh_from_db()
    return enrolment


def file(s: PoolScenario, enrolment: Enrolment, *, actor: Any = None, **fields: Any) -> Claim:
    """File a claim on `enrolment` as the head office (defaults: the whole outstanding balance, no interest,
    defaulted today, one PDF)."""
    values: dict[str, Any] = {
        "lost_principal": enrolment.loan.outstanding_balance,
        "lost_interest": "0",
        "defaulted_on": timezone.localdate(),
        "documents": [pdf()],
    }
    values.update(fields)
    return claim_file(actor=actor or s.head_user, enrolment=enrolment, **values)


def approve(s: PoolScenario, claim: Claim, **fields: Any) -> Payout:
    return claim_approve(actor=s.authority, claim=claim, **fields)


def state(pool: Pool) -> dict[str, Any]:
    """Everything a refused action must leave as it was."""
    pool = Pool.objects.get(pk=pool.pk)
    return {
        "pool": (pool.cash_balance, pool.capital_total, pool.covered_balance),
        "claims": list(
            Claim.objects.order_by("id").values_list(
                "id", "status", "lost_principal", "lost_interest", "decision", "approved_principal"
            )
        ),
        "enrolments": list(Enrolment.objects.order_by("id").values_list("id", "status")),
        "members": list(PoolMember.objects.order_by("id").values_list("id", "is_suspended")),
        "payouts": list(Payout.objects.order_by("id").values_list("id", "amount", "paid_amount", "recovered_amount")),
        "counts": tuple(
            model.objects.count()
            for model in (
                ClaimDocument,
                ClaimEvent,
                OwedAmount,
                OwedSettlement,
                Recovery,
                JournalEntry,
                MemberSuspension,
                AuditEvent,
                Notification,
            )
        ),
    }
