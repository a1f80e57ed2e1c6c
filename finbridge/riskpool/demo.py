"""Demo data of the risk-sharing pool (run by seed_demo through settings.FINBRIDGE_DEMO_LOADERS, after the
financing demo has written its loans).

The Pingshan pool of DESIGN.md §4 is built through the services (so its ledger, audit trail and notices are
real): 10,000,000 CNY of capital, leverage 10, the "pingshan" preset as rule version 1 from the pool's start,
both demo banks, the guarantee agency and the insurer admitted; then a sample of the demo banks' performing
loans is enrolled (some as guaranteed loans, some with an IP pledge); two covered loans of the demo branches are
reported substandard this month and claimed: one claim approved and paid, one left for review; finally risk
control runs once. Does nothing when the pool exists or the demo registry is missing.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from finbridge.accounts.models import Organization, User
from finbridge.core.errors import DomainError
from finbridge.financing.choices import NON_PERFORMING, LoanClassification
from finbridge.financing.models import Loan
from finbridge.riskpool.choices import CapacityBasis, EnrolmentStatus, LoanCategory, MemberRole, UpliftFlag
from finbridge.riskpool.models import Enrolment, Pool
from finbridge.riskpool.selectors.enrolment import EnrolmentRequest
from finbridge.riskpool.services.enrolment import _create_locked
from finbridge.riskpool.services.locks import pool_lock
from finbridge.riskpool.services.members import member_admit
from finbridge.riskpool.services.pools import pool_activate, pool_capital_contribute, pool_create
from finbridge.riskpool.services.rules import rule_version_from_preset

POOL_NAME = "坪山区中小微企业银行贷款风险补偿资金池"
POOL_NAME_EN = "Pingshan District SME Bank Loan Risk Compensation Pool"
POOL_DESCRIPTION = (
    "坪山区财政出资设立，对合作银行向辖区符合条件的中小企业发放的贷款形成的不良，按规定比例给予风险补偿"
    "（《深圳市坪山区中小微企业银行贷款风险补偿资金池管理实施细则（试行）》，2026-02-05）。"
)
CAPITAL = Decimal("10000000.00")
RULES_DATE = datetime.date(2026, 2, 5)
ENROLMENTS = 60
# Demo organisations (finbridge/enterprises/demo_data.py) by their names.
AUTHORITY_NAME = "坪山区发展和改革局"
BANK_NAMES = ("鹏城商业银行股份有限公司", "粤海农村商业银行股份有限公司")
GUARANTOR_NAME = "深圳市坪山融资担保有限公司"
INSURER_NAME = "鹏安财产保险股份有限公司深圳分公司"
BANK_USERS = ("bank_staff", "scitech_branch_staff")
PDF = b"%PDF-1.7\n% FinBridge demo evidence\n"


def _user(username: str) -> User | None:
    return User.objects.filter(username=username, is_active=True).first()


def _org(name: str) -> Organization | None:
    return Organization.objects.filter(name=name).first()


def _period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    start = min(RULES_DATE, today - datetime.timedelta(days=60))
    return start, start + relativedelta(years=3) - datetime.timedelta(days=1)


def _build_pool(authority: User, today: datetime.date) -> Pool | None:
    start, end = _period(today)
    pool = pool_create(
        actor=authority,
        name=POOL_NAME,
        name_en=POOL_NAME_EN,
        description=POOL_DESCRIPTION,
        period_start=start,
        period_end=end,
        capacity_basis=CapacityBasis.LEVERAGE,
        leverage_multiple="10",
        max_loan_amount="10000000",
        max_term_months=36,
    )
    rule_version_from_preset(actor=authority, pool=pool, preset="pingshan", effective_from=start)
    signed = start - datetime.timedelta(days=10)
    partners = [(name, MemberRole.BANK) for name in BANK_NAMES]
    partners += [(GUARANTOR_NAME, MemberRole.GUARANTOR), (INSURER_NAME, MemberRole.INSURER)]
    for name, role in partners:
        organization = _org(name)
        if organization is not None:
            member_admit(actor=authority, pool=pool, organization=organization, role=role, agreement_signed_on=signed)
    pool_capital_contribute(actor=authority, pool=pool, amount=CAPITAL, value_date=start, memo="区财政首期出资")
    pool_activate(actor=authority, pool=pool)
    return pool


def _candidates(pool: Pool, today: datetime.date) -> list[Loan]:
    banks = pool.members.filter(role=MemberRole.BANK).values_list("organization_id", flat=True)
    return list(
        Loan.objects.filter(
            bank_id__in=list(banks),
            disbursed_on__gte=pool.period_start,
            maturity_on__gt=today + datetime.timedelta(days=31),
            outstanding_balance__gt=0,
        )
        .exclude(classification__in=NON_PERFORMING)
        .select_related("borrower", "bank", "lender", "demand")
        .order_by("id")
    )


def _enrol_sample(pool: Pool, rng: random.Random, today: datetime.date) -> int:
    """Enrol a sample of the demo banks' loans (as the system: the demo has no user at each head office)."""
    guarantor = pool.members.filter(role=MemberRole.GUARANTOR).first()
    loans = _candidates(pool, today)
    rng.shuffle(loans)
    enrolled = 0
    for loan in loans:
        if enrolled >= ENROLMENTS:
            break
        guaranteed = guarantor is not None and rng.random() < 0.2
        request = EnrolmentRequest(
            loan=loan,
            category=LoanCategory.GUARANTEED if guaranteed else LoanCategory.DIRECT,
            guarantor=guarantor.organization if guaranteed else None,
            flags=(UpliftFlag.IP_PLEDGE,) if not loan.is_credit and rng.random() < 0.15 else (),
        )
        try:
            with transaction.atomic():
                _create_locked(None, pool_lock(pool), request)
        except DomainError:
            continue  # not eligible (borrower or loan): the demo simply skips it
        enrolled += 1
    return enrolled


def _default_and_claim(pool: Pool, authority: User, today: datetime.date) -> int:
    """Report two covered loans of the demo branches substandard this month and claim them (R2's services):
    approve the first (paid from the pool), leave the second for the authority to review."""
    from finbridge.financing.services.loans import loan_status_report
    from finbridge.riskpool.services.claims import Evidence, claim_approve, claim_file

    claims = 0
    for username in BANK_USERS:
        user = _user(username)
        if user is None:
            continue
        office_ids = [m.organization_id for m in user.active_memberships]
        enrolment = (
            Enrolment.objects.filter(pool=pool, status=EnrolmentStatus.ACTIVE, loan__lender_id__in=office_ids)
            .exclude(loan__status_month__gte=today.replace(day=1))
            .select_related("loan")
            .order_by("-covered_amount", "id")
            .first()
        )
        if enrolment is None:
            continue
        loan = enrolment.loan
        balance = loan.outstanding_balance
        try:
            loan_status_report(
                actor=user,
                loan=loan,
                month=today,
                outstanding_balance=balance,
                classification=LoanClassification.SUBSTANDARD,
            )
            enrolment.refresh_from_db()
            claim = claim_file(
                actor=user,
                enrolment=enrolment,
                lost_principal=balance,
                lost_interest=(balance * Decimal("0.01")).quantize(Decimal("0.01")),
                defaulted_on=today,
                description="借款人经营困难，贷款逾期超过90天，已下调为次级类。",
                documents=[Evidence(kind="classification", name="五级分类认定表.pdf", content=PDF)],
            )
            if claims == 0:
                claim_approve(actor=authority, claim=claim)
        except DomainError:
            continue
        claims += 1
    return claims


def seed_riskpool(*, seed: int) -> dict[str, Any]:
    """Load the demo pool, its rule version, members, capital, enrolments and claims; returns what was written."""
    if Pool.objects.filter(name=POOL_NAME).exists():
        return {}
    authority = _user("authority_admin")
    if authority is None or _org(AUTHORITY_NAME) is None:
        return {}
    today = timezone.localdate()
    rng = random.Random(seed + 40)
    pool = _build_pool(authority, today)
    if pool is None:
        return {}
    enrolled = _enrol_sample(pool, rng, today)
    claims = _default_and_claim(pool, authority, today)
    from finbridge.riskpool.services.risk_control import risk_check_pool

    risk_check_pool(pool=pool)
    return {"risk pools": 1, "covered loans": enrolled, "pool claims": claims}
