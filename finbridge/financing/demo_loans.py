"""Demo data for the loans ledger: a believable fifteen months of loans by the demo banks and their branches, with
their monthly status reports, so that the loan pages and the league table have content.

`seed_loans(rng=...)` is called by the demo loader (manage.py seed_demo) after the registry is loaded. Like the
registry loader it writes in bulk, bypassing the per-row services, but derives every flag exactly as
loan_record does: each loan goes to an enterprise that has a live consent to the lending bank, first-time and
total credit follow the borrower's earlier demo loans, the inclusive flag follows size class and total credit.
Loans are disbursed over the last fifteen months (so the last twelve have opening balances); each is reported
every month from its disbursal month to last month: the balance amortises (or stays until a bullet repayment)
and most loans stay normal, some slip to special mention and a few become non-performing.
"""

from __future__ import annotations

import datetime
import math
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from finbridge.accounts.choices import BankTier, OrgType
from finbridge.accounts.models import Organization
from finbridge.enterprises.models import Consent, Enterprise
from finbridge.enterprises.selectors import active_consents
from finbridge.financing.choices import LoanClassification, LoanSource
from finbridge.financing.models import Loan, LoanStatusReport
from finbridge.financing.services.loans import is_inclusive, maturity_from_term

DEFAULT_LOANS = 360
PREFIX = "DEMO-"
HISTORY_DAYS = 456  # fifteen months
TERMS = ((6, 15), (12, 55), (24, 20), (36, 10))
CENT = Decimal("0.01")


@dataclass
class LoanSeedReport:
    loans: int = 0
    status_reports: int = 0


@dataclass
class _Draft:
    loan: Loan
    schedule: list[tuple[datetime.date, Decimal, str]]  # (month, balance, classification)

    def balance_on(self, day: datetime.date) -> Decimal:
        """The rule of selectors.loans.balance_on, on the draft's own reports."""
        loan = self.loan
        if loan.disbursed_on > day:
            return Decimal("0")
        reported = [balance for month, balance, _c in self.schedule if month <= day]
        if reported:
            return reported[-1]
        return loan.amount if loan.maturity_on > day else Decimal("0")


def _months(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def _lenders() -> dict[int, list[Organization]]:
    """The active offices of each bank, by the head office's id."""
    offices: dict[int, list[Organization]] = defaultdict(list)
    for office in Organization.objects.filter(org_type=OrgType.BANK, is_active=True).order_by("id"):
        offices[office.parent_id or office.pk].append(office)
    return offices


def _consents(limit: int) -> list[Consent]:
    offices = Organization.objects.filter(org_type=OrgType.BANK, is_active=True).values("id")
    return list(
        active_consents(grantee_ids=offices)
        .select_related("enterprise", "grantee")
        .exclude(enterprise__size_class="")
        .order_by("id")[:limit]
    )


def _schedule(rng: random.Random, loan: Loan, last_month: datetime.date) -> list[tuple[datetime.date, Decimal, str]]:
    """Monthly reports from the disbursal month to last month (or the maturity month when earlier)."""
    months = _months(loan.disbursed_on, min(last_month, loan.maturity_on))
    bullet = rng.random() < 0.5
    fate = rng.random()
    slip = rng.randint(3, 9)  # the month a troubled loan starts to slip
    rows = []
    for index, month in enumerate(months):
        matured = month >= loan.maturity_on.replace(day=1)
        if bullet:
            balance = Decimal("0") if matured else loan.amount
        else:
            paid = Decimal(index) / Decimal(loan.term_months)
            balance = Decimal("0") if matured else (loan.amount * (1 - paid)).quantize(CENT)
        classification = LoanClassification.NORMAL
        if fate > 0.90 and index >= slip:
            classification = LoanClassification.SPECIAL_MENTION
            if fate > 0.96:
                classification = LoanClassification.SUBSTANDARD if index < slip + 3 else LoanClassification.DOUBTFUL
                balance = max(balance, (loan.amount * Decimal("0.6")).quantize(CENT))  # repayments stopped
        if matured and classification != LoanClassification.NORMAL:
            balance = max(balance, (loan.amount * Decimal("0.4")).quantize(CENT))
        rows.append((month, balance, str(classification)))
    return rows


def seed_loans(*, rng: random.Random, count: int = DEFAULT_LOANS, today: datetime.date | None = None) -> LoanSeedReport:
    """Write `count` demo loans and their monthly reports (nothing when demo loans exist or no bank has a consent).

    Called by the demo loader; not a service (no audit events, no permission checks)."""
    report = LoanSeedReport()
    if Loan.objects.filter(reference__startswith=PREFIX).exists():
        return report
    today = today or timezone.localdate()
    last_month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    lenders = _lenders()
    consents = _consents(limit=max(2000, count * 4))
    if not consents or not lenders:
        return report
    specs = []
    for _index in range(count):
        consent = rng.choice(consents)
        # A consent to a head office covers all its offices; one to a branch, that branch only.
        grantee = consent.grantee
        offices = [grantee] if grantee.parent_id else lenders.get(grantee.pk, [])
        if not offices:
            continue
        enterprise: Enterprise = consent.enterprise
        scitech = [o for o in offices if o.bank_tier == BankTier.SCITECH_BRANCH]
        lender = (
            rng.choice(scitech) if scitech and enterprise.tech_labels and rng.random() < 0.7 else rng.choice(offices)
        )
        disbursed = today - datetime.timedelta(days=rng.randint(1, HISTORY_DAYS))
        specs.append((disbursed, enterprise, lender))
    specs.sort(key=lambda spec: (spec[0], spec[1].pk))
    drafts: list[_Draft] = []
    by_borrower: dict[int, list[_Draft]] = defaultdict(list)
    for number, (disbursed, enterprise, lender) in enumerate(specs, start=1):
        term = rng.choices([t for t, _w in TERMS], [w for _t, w in TERMS])[0]
        amount = Decimal(round(math.exp(rng.uniform(math.log(200_000), math.log(12_000_000))), -4)).quantize(CENT)
        earlier = by_borrower[enterprise.pk]
        renewal = bool(earlier) and rng.random() < 0.45
        total_credit = sum((draft.balance_on(disbursed) for draft in earlier), Decimal("0")) + amount
        bank = lender.parent if lender.parent_id else lender
        reference = f"{PREFIX}{bank.pk}-{disbursed:%Y%m}-{number:04d}"
        loan = Loan(
            lender=lender,
            bank=bank,
            borrower=enterprise,
            reference=reference,
            amount=amount,
            disbursed_on=disbursed,
            maturity_on=maturity_from_term(disbursed, term),
            term_months=term,
            annual_rate=Decimal(str(round(rng.uniform(0.028, 0.055), 4))),
            is_first_time=not any(d.loan.disbursed_on < disbursed for d in earlier) and not renewal,
            is_renewal=renewal,
            is_renewal_without_repayment=renewal and rng.random() < 0.4,
            is_credit=rng.random() < (0.5 if lender.bank_tier == BankTier.SCITECH_BRANCH else 0.3),
            is_tech_enterprise=bool(enterprise.tech_labels),
            is_inclusive=is_inclusive(size_class=enterprise.size_class, total_credit=total_credit),
            borrower_size_class=enterprise.size_class,
            borrower_total_credit=total_credit,
            outstanding_balance=amount,
            classification=LoanClassification.NORMAL,
            source=rng.choice([LoanSource.REPORTED, LoanSource.IMPORTED]),
            created_at=timezone.make_aware(datetime.datetime.combine(disbursed, datetime.time(17, 0))),
        )
        draft = _Draft(loan=loan, schedule=_schedule(rng, loan, last_month))
        if draft.schedule:
            month, balance, classification = draft.schedule[-1]
            loan.status_month, loan.outstanding_balance, loan.classification = month, balance, classification
            loan.first_status_month = draft.schedule[0][0]
        drafts.append(draft)
        earlier.append(draft)
    with transaction.atomic():
        Loan.objects.bulk_create([draft.loan for draft in drafts], batch_size=500)
        now = timezone.now()
        reports = [
            LoanStatusReport(
                loan=draft.loan,
                month=month,
                outstanding_balance=balance,
                classification=classification,
                reported_at=min(now, _reported_at(month)),
            )
            for draft in drafts
            for month, balance, classification in draft.schedule
        ]
        LoanStatusReport.objects.bulk_create(reports, batch_size=1000)
        # Written around the services: the league table's stored months (if any) must be computed again.
        from finbridge.analytics.ledger import ledger_reset

        ledger_reset()
    report.loans, report.status_reports = len(drafts), len(reports)
    return report


def _reported_at(month: datetime.date) -> datetime.datetime:
    """Reports come in on the fifth of the following month."""
    following = (month + datetime.timedelta(days=32)).replace(day=5)
    return timezone.make_aware(datetime.datetime.combine(following, datetime.time(10)))


__all__ = ["DEFAULT_LOANS", "LoanSeedReport", "seed_loans"]
