"""Helpers shared by the risk-pool API and page tests: a snapshot of everything a request could change, claims in
each state, and people outside the pool."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from finbridge.accounts.choices import BankTier, OrgType, Role
from finbridge.accounts.tests.factories import OrganizationFactory, member_of
from finbridge.audit.models import AuditEvent
from finbridge.financing.choices import LoanClassification
from finbridge.riskpool.models import (
    Claim,
    ClaimDocument,
    Enrolment,
    JournalEntry,
    MemberSuspension,
    OwedAmount,
    Payout,
    Pool,
    PoolMember,
    Recovery,
    RuleVersion,
    StressRun,
)
from finbridge.riskpool.services.claims import Evidence, claim_approve, claim_file
from finbridge.riskpool.tests.setup import PoolScenario

PDF = b"%PDF-1.4\n% test evidence\n"
MODELS = (
    Pool,
    PoolMember,
    MemberSuspension,
    RuleVersion,
    Enrolment,
    Claim,
    ClaimDocument,
    Payout,
    OwedAmount,
    Recovery,
    JournalEntry,
    StressRun,
    AuditEvent,
)


def state() -> tuple[Any, ...]:
    """Counts of every risk-pool record and audit event, and each pool's balances and statuses."""
    counts = tuple(model.objects.count() for model in MODELS)
    pools = tuple(
        Pool.objects.order_by("pk").values_list(
            "status", "cash_balance", "capital_total", "covered_balance", "name", "npl_suspension_threshold"
        )
    )
    claims = tuple(Claim.objects.order_by("pk").values_list("status", "lost_principal"))
    enrolments = tuple(Enrolment.objects.order_by("pk").values_list("status"))
    members = tuple(PoolMember.objects.order_by("pk").values_list("status", "is_suspended", "agreement_ends_on"))
    return counts, pools, claims, enrolments, members


def evidence(name: str = "evidence.pdf") -> Evidence:
    return Evidence("other", name, PDF)


def bad_loan(scenario: PoolScenario, *, amount: str = "1000000.00", lender: str = "head") -> Any:
    """A loan of the bank, enrolled, then classified substandard: ready for a claim."""
    loan = scenario.make_loan(amount=Decimal(amount), lender=lender)
    actor = scenario.head_user if lender in ("head", "branch", "scitech") else scenario.other_bank_user
    enrolment = scenario.enrol(loan, actor=actor)
    scenario.classify(loan, LoanClassification.SUBSTANDARD)
    return enrolment


def submitted_claim(scenario: PoolScenario, *, principal: str = "500000.00", lender: str = "head") -> Claim:
    """A claim filed by the bank on a loan that went bad (default today)."""
    enrolment = bad_loan(scenario, lender=lender)
    actor = scenario.head_user if lender in ("head", "branch", "scitech") else scenario.other_bank_user
    return claim_file(
        actor=actor,
        enrolment=enrolment,
        lost_principal=principal,
        defaulted_on=timezone.localdate(),
        documents=[evidence()],
    )


def paid_claim(scenario: PoolScenario, *, principal: str = "500000.00") -> Claim:
    """A claim approved in full (the pool has the cash: paid)."""
    claim = submitted_claim(scenario, principal=principal)
    claim_approve(actor=scenario.authority, claim=claim)
    claim.refresh_from_db()
    return claim


def outsider_bank_user(role: str = Role.STAFF) -> Any:
    """Staff of a bank head office that is not a member of any pool."""
    bank = OrganizationFactory(
        org_type=OrgType.BANK, bank_tier=BankTier.HEAD_OFFICE, name="局外银行", name_en="Outside Bank"
    )
    return member_of(OrgType.BANK, role, organization=bank)


def other_authority_user(role: str = Role.STAFF) -> Any:
    """Staff of another district authority (sees active pools as government, runs none of them)."""
    return member_of(OrgType.DISTRICT_AUTHORITY, role)


def yesterday() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=1)
