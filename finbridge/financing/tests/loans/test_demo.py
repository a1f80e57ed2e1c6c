"""The demo ledger: consistent with the ledger's own rules, and enough for the league table."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import pytest

from finbridge.analytics.selectors import BANK, compute_league_table, default_period
from finbridge.enterprises.selectors import active_consents
from finbridge.enterprises.tests.factories import ConsentFactory, EnterpriseFactory
from finbridge.financing.demo_loans import seed_loans
from finbridge.financing.models import Loan, LoanStatusReport
from finbridge.financing.selectors.loans import balance_on
from finbridge.financing.services.loans import INCLUSIVE_CREDIT_LIMIT

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 26)


def test_the_demo_ledger_follows_the_rules(market):
    for number in range(30):
        enterprise = EnterpriseFactory(
            size_class=("micro", "small", "medium")[number % 3], is_high_tech=number % 4 == 0
        )
        ConsentFactory(enterprise=enterprise, grantee=(market.head, market.branch, market.other_bank)[number % 3])
    report = seed_loans(rng=random.Random(7), count=120, today=TODAY)
    assert report.loans == Loan.objects.count() >= 100
    assert report.status_reports == LoanStatusReport.objects.count() > report.loans
    for loan in Loan.objects.select_related("lender", "bank", "borrower"):
        offices = {loan.lender_id, loan.bank_id}
        assert active_consents(grantee_ids=offices).filter(enterprise=loan.borrower).exists()
        assert loan.bank == (loan.lender.parent or loan.lender)
        assert loan.is_inclusive == (
            loan.borrower_size_class in ("micro", "small") and loan.borrower_total_credit <= INCLUSIVE_CREDIT_LIMIT
        )
        assert loan.is_tech_enterprise == bool(loan.borrower.tech_labels)
        assert not (loan.is_first_time and loan.is_renewal)
        earlier_balance = (
            Loan.objects.filter(borrower=loan.borrower, disbursed_on__lte=loan.disbursed_on)
            .exclude(pk=loan.pk)
            .annotate(b=balance_on(loan.disbursed_on))
        )
        same_day_later = [
            other for other in earlier_balance if other.disbursed_on == loan.disbursed_on and other.pk > loan.pk
        ]
        expected = sum((o.b for o in earlier_balance if o not in same_day_later), Decimal("0")) + loan.amount
        assert loan.borrower_total_credit == expected
        months = list(
            loan.status_reports.order_by("month").values_list("month", "outstanding_balance", "classification")
        )
        if months:
            assert (loan.first_status_month, loan.status_month) == (months[0][0], months[-1][0])
            assert (loan.outstanding_balance, loan.classification) == (months[-1][1], months[-1][2])
            assert all(0 <= balance <= loan.amount for _m, balance, _c in months)
            assert months[-1][0] < TODAY.replace(day=1)
    assert seed_loans(rng=random.Random(7), count=120, today=TODAY).loans == 0  # already seeded: nothing added
    table = compute_league_table(period=default_period(TODAY), level=BANK)
    assert sum(row.loans_count for row in table.rows) > 0
    assert sum(row.inclusive_balance_end for row in table.rows) > 0
