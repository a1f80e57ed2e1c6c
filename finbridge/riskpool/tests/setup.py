"""A risk-sharing pool scenario shared by every riskpool test (built on financing's build_market).

    from finbridge.riskpool.tests.setup import build_pool_scenario
    s = build_pool_scenario()
    loan = s.make_loan(amount=Decimal("1000000.00"))
    enrolment = s.enrol(loan)

What `build_pool_scenario()` makes (through the services, so the ledger and the audit trail are real):
  market            financing's build_market(): district authority, banks (head, its branch and sci-tech
                    branch, other_bank), guarantor, insurer, enterprises factory (C3670, S1, small, high-tech),
                    software (I6513, S2, micro), shop (F5211, S2, small)
  pool              active pool run by market.district: policy period from 180 days ago to 185 days ahead,
                    capacity = leverage × capital (10 × 10,000,000.00 by default), NPL threshold 5%, free balance
                    alert share 20%, default eligibility (SME, in the district, J and K7010 excluded, no serious
                    bad credit), no loan limits
  version           rule version 1 from the preset `preset` ("pingshan"), effective from the period start
  head_member       head (示范银行) admitted as a bank; other_member: other_bank; guarantor_member, insurer_member
  capital           paid in as the initial capital (one ledger entry)
People: s.authority (district staff), s.head_user, s.branch_user, s.other_bank_user (market.member shortcuts).

Helpers write loans straight to the loans ledger (`make_loan`), set a loan's classification (`classify`), and
enrol through the service (`enrol`).
"""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from finbridge.accounts.models import Organization, User
from finbridge.enterprises.models import Enterprise
from finbridge.financing.choices import LoanClassification
from finbridge.financing.models import Loan
from finbridge.financing.tests.setup import Market, build_market
from finbridge.riskpool.choices import CapacityBasis, LoanCategory, MemberRole
from finbridge.riskpool.models import Enrolment, Pool, PoolMember, RuleVersion
from finbridge.riskpool.services.enrolment import enrolment_create
from finbridge.riskpool.services.members import member_admit
from finbridge.riskpool.services.pools import pool_activate, pool_capital_contribute, pool_create
from finbridge.riskpool.services.rules import rule_version_create, rule_version_from_preset

POOL_NAME = "坪山区中小微企业银行贷款风险补偿资金池"
POOL_NAME_EN = "Pingshan SME Bank Loan Risk Compensation Pool"
CAPITAL = Decimal("10000000.00")
_references = itertools.count(1)


@dataclass
class PoolScenario:
    market: Market
    pool: Pool
    version: RuleVersion
    head_member: PoolMember
    other_member: PoolMember
    guarantor_member: PoolMember
    insurer_member: PoolMember

    @property
    def authority(self) -> User:
        return self.market.district_user

    @property
    def head_user(self) -> User:
        return self.market.head_user

    @property
    def branch_user(self) -> User:
        return self.market.branch_user

    @property
    def other_bank_user(self) -> User:
        return self.market.other_bank_user

    def refresh(self) -> Pool:
        self.pool.refresh_from_db()
        return self.pool

    def make_loan(
        self,
        *,
        lender: Organization | str = "head",
        borrower: Enterprise | str = "factory",
        amount: Decimal | str = Decimal("1000000.00"),
        outstanding: Decimal | str | None = None,
        disbursed_on: datetime.date | None = None,
        term_months: int = 12,
        classification: str = LoanClassification.NORMAL,
        **flags: Any,
    ) -> Loan:
        """A loan written straight to the loans ledger (no services): by default 1,000,000.00 from the head
        office to `factory`, disbursed 30 days ago for 12 months, fully outstanding, normal."""
        lender_org = self.market.org(lender) if isinstance(lender, str) else lender
        firm = getattr(self.market, borrower) if isinstance(borrower, str) else borrower
        day = disbursed_on or timezone.localdate() - datetime.timedelta(days=30)
        amount = Decimal(amount)
        return Loan.objects.create(
            lender=lender_org,
            bank=lender_org.parent or lender_org,
            borrower=firm,
            reference=f"RP-{next(_references):06d}",
            amount=amount,
            disbursed_on=day,
            maturity_on=day + relativedelta(months=term_months),
            term_months=term_months,
            annual_rate=Decimal("0.040000"),
            borrower_size_class=firm.size_class,
            outstanding_balance=Decimal(outstanding) if outstanding is not None else amount,
            classification=classification,
            **flags,
        )

    def classify(self, loan: Loan, classification: str, outstanding: Decimal | None = None) -> Loan:
        """Set a loan's current classification (and balance) as a monthly status report would."""
        loan.classification = classification
        if outstanding is not None:
            loan.outstanding_balance = outstanding
        loan.save(update_fields=["classification", "outstanding_balance"])
        return loan

    def enrol(self, loan: Loan, *, actor: User | None = None, **kwargs: Any) -> Enrolment:
        """Enrol through the service as the head office's staff (or `actor`)."""
        return enrolment_create(actor=actor or self.head_user, pool=self.pool, loan=loan, **kwargs)


def build_pool_scenario(
    *,
    market: Market | None = None,
    capital: Decimal | None = CAPITAL,
    leverage: Decimal = Decimal("10"),
    max_covered_amount: Decimal | None = None,
    preset: str = "pingshan",
    rules: dict | None = None,
    activate: bool = True,
    **settings: Any,
) -> PoolScenario:
    """Build the scenario of the module docstring. `max_covered_amount` switches capacity to a fixed amount;
    `rules` (a RuleSet dict) replaces the preset; `capital=None` pays in nothing (and leaves the pool a
    draft); `settings` are further pool settings (loan limits, eligibility)."""
    market = market or build_market()
    today = timezone.localdate()
    authority = market.district_user
    capacity: dict[str, Any] = (
        {"capacity_basis": CapacityBasis.ABSOLUTE, "max_covered_amount": max_covered_amount}
        if max_covered_amount is not None
        else {"capacity_basis": CapacityBasis.LEVERAGE, "leverage_multiple": leverage}
    )
    start = today - datetime.timedelta(days=180)
    pool = pool_create(
        actor=authority,
        name=POOL_NAME,
        name_en=POOL_NAME_EN,
        period_start=start,
        period_end=today + datetime.timedelta(days=185),
        **capacity,
        **settings,
    )
    if rules is not None:
        version = rule_version_create(actor=authority, pool=pool, effective_from=start, rules=rules, label="test")
    else:
        version = rule_version_from_preset(actor=authority, pool=pool, preset=preset, effective_from=start)
    signed = start - datetime.timedelta(days=10)
    members = {
        name: member_admit(
            actor=authority, pool=pool, organization=market.org(name), role=role, agreement_signed_on=signed
        )
        for name, role in (
            ("head", MemberRole.BANK),
            ("other_bank", MemberRole.BANK),
            ("guarantor", MemberRole.GUARANTOR),
            ("insurer", MemberRole.INSURER),
        )
    }
    if capital:
        pool_capital_contribute(actor=authority, pool=pool, amount=capital, memo="initial capital")
        if activate:
            pool_activate(actor=authority, pool=pool)
    pool.refresh_from_db()
    return PoolScenario(
        market=market,
        pool=pool,
        version=version,
        head_member=members["head"],
        other_member=members["other_bank"],
        guarantor_member=members["guarantor"],
        insurer_member=members["insurer"],
    )


__all__ = ["CAPITAL", "LoanCategory", "PoolScenario", "build_pool_scenario"]
