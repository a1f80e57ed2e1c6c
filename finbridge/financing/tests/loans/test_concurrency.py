"""Things the ledger must do once, tried in parallel on PostgreSQL (SQLite has no row locks)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection

from finbridge.core.errors import Conflict
from finbridge.core.testing import race
from finbridge.enterprises.tests.factories import ConsentFactory, EnterpriseFactory
from finbridge.financing.models import Loan, LoanStatusReport
from finbridge.financing.services.loans import loan_status_report
from finbridge.financing.tests.loans.conftest import record

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def _warm(*users):
    for user in users:
        user.permission_codes()  # fill the per-user caches before the threads share the objects


def test_the_same_loan_reported_twice_at_once_gives_one_report(market):
    loan = record(market, disbursed_on=datetime.date(2026, 1, 5))
    _warm(market.scitech_user, market.head_user)
    results = race(
        lambda: loan_status_report(
            actor=market.scitech_user, loan=loan, month="2026-02", outstanding_balance="900000", classification="normal"
        ),
        lambda: loan_status_report(
            actor=market.head_user,
            loan=loan,
            month="2026-02",
            outstanding_balance="800000",
            classification="special_mention",
        ),
    )
    assert sum(isinstance(r, LoanStatusReport) for r in results) == 1
    assert [r.code for r in results if isinstance(r, Conflict)] == ["loan_status_already_reported"]
    report = LoanStatusReport.objects.get(loan=loan)
    loan.refresh_from_db()
    assert (loan.outstanding_balance, loan.classification) == (report.outstanding_balance, report.classification)


def test_the_same_contract_number_recorded_twice_at_once_gives_one_loan(market):
    _warm(market.scitech_user, market.branch_user)
    results = race(
        lambda: record(market, reference="RACE-1"),
        lambda: record(market, reference="RACE-1", lender=market.branch, actor=market.branch_user),
    )
    assert sum(isinstance(r, Loan) for r in results) == 1
    assert [r.code for r in results if isinstance(r, Conflict)] == ["loan_duplicate_reference"]
    assert Loan.objects.filter(reference="RACE-1").count() == 1


def test_two_loans_to_one_borrower_at_once_see_each_other_in_its_total_credit(market):
    ConsentFactory(enterprise=market.factory, grantee=market.other_bank)
    _warm(market.scitech_user, market.other_bank_user)
    results = race(
        lambda: record(market, reference="P-1", amount="6000000.00"),
        lambda: record(
            market, reference="P-2", amount="6000000.00", lender=market.other_bank, actor=market.other_bank_user
        ),
    )
    assert all(isinstance(r, Loan) for r in results)
    totals = sorted(Loan.objects.values_list("borrower_total_credit", "is_inclusive"))
    assert totals == [(Decimal("6000000.00"), True), (Decimal("12000000.00"), False)]


def test_concurrent_writes_marking_the_same_stored_months_all_succeed(market):
    """Writers lock the league table's month states in one order: parallel writes never deadlock."""
    from finbridge.analytics import ledger
    from finbridge.analytics.models import LedgerMonthState
    from finbridge.analytics.selectors import BANK, BRANCH

    months = ledger.months_between(datetime.date(2025, 12, 1), datetime.date(2026, 11, 1))
    for level in (BANK, BRANCH):
        ledger.ensure_months(level=level, flow_months=months, stock_days={})
    loans = [record(market, reference=f"ST-{n}", disbursed_on=datetime.date(2025, 12, 10)) for n in range(2)]
    borrowers = [EnterpriseFactory(size_class="small") for _ in range(2)]
    for borrower in borrowers:
        ConsentFactory(enterprise=borrower, grantee=market.head)
    _warm(market.scitech_user, market.head_user)
    before = sum(LedgerMonthState.objects.values_list("stock_changes", flat=True))
    results = race(
        lambda: record(market, reference="C-1", borrower=borrowers[0], disbursed_on=datetime.date(2026, 1, 5)),
        lambda: record(
            market,
            reference="C-2",
            borrower=borrowers[1],
            disbursed_on=datetime.date(2026, 2, 5),
            actor=market.head_user,
        ),
        lambda: loan_status_report(
            actor=market.scitech_user, loan=loans[0], month="2026-01", outstanding_balance="1", classification="normal"
        ),
        lambda: loan_status_report(
            actor=market.head_user, loan=loans[1], month="2026-03", outstanding_balance="1", classification="normal"
        ),
    )
    assert [type(r) for r in results] == [Loan, Loan, LoanStatusReport, LoanStatusReport]
    assert sum(LedgerMonthState.objects.values_list("stock_changes", flat=True)) > before
