"""The league-table fixture: a small ledger whose figures are computed by hand in test_league_table.py."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from finbridge.enterprises.choices import ConsentScope
from finbridge.enterprises.tests.factories import ConsentFactory, EnterpriseFactory
from finbridge.financing.choices import DemandStatus, EngagementStatus, ResponseKind
from finbridge.financing.services.loans import loan_record, loan_status_report
from finbridge.financing.tests.setup import Market, build_market, make_demand, make_response

START = datetime.date(2026, 1, 1)
END = datetime.date(2026, 6, 30)


def local(year: int, month: int, day: int, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, day, hour), timezone.get_default_timezone())


@pytest.fixture
def ledger(db) -> dict[str, Any]:
    """Nine loans and nine demands (see test_league_table.py for what each one tests)."""
    m: Market = build_market()
    medium = EnterpriseFactory(name="坪山中型制造", size_class="medium", is_srdi=True, subdistrict=m.s1)
    for enterprise, grantee in (
        (m.factory, m.head),
        (m.shop, m.head),
        (medium, m.head),
        (m.software, m.other_bank),
        (medium, m.other_bank),
    ):
        ConsentFactory(enterprise=enterprise, grantee=grantee, scope=ConsentScope.PROFILE)

    d1 = make_demand(m, enterprise=m.factory, status=DemandStatus.DISBURSED, published_at=local(2026, 2, 2))
    make_response(d1, m.scitech, status=EngagementStatus.DISBURSED, on_time=True)
    make_response(d1, m.other_bank, kind=ResponseKind.PASS, on_time=False)
    d2 = make_demand(
        m, enterprise=m.shop, status=DemandStatus.DECLINED, published_at=local(2026, 3, 2), chosen=[m.head]
    )
    make_response(d2, m.branch, status=EngagementStatus.DECLINED, on_time=True)
    d3 = make_demand(m, enterprise=m.software, status=DemandStatus.DISBURSED, published_at=local(2026, 4, 1))
    make_response(d3, m.other_bank, status=EngagementStatus.DISBURSED, on_time=True)
    make_demand(m, enterprise=medium, published_at=local(2026, 5, 4), chosen=[m.other_bank])  # d4: nobody answers
    make_demand(  # d5: withdrawn the day after it was published, before its deadline
        m,
        enterprise=m.factory,
        status=DemandStatus.WITHDRAWN,
        published_at=local(2026, 6, 1),
        closed_at=local(2026, 6, 2),
    )
    d6 = make_demand(m, enterprise=m.shop, published_at=local(2026, 7, 10))  # after the period
    make_response(d6, m.head, on_time=True)
    d7 = make_demand(m, enterprise=m.software, published_at=local(2026, 6, 15), chosen=[m.scitech])
    make_response(d7, m.scitech, kind=ResponseKind.PASS, on_time=True)
    d8 = make_demand(m, enterprise=m.factory, status=DemandStatus.UNDER_REVIEW, published_at=local(2026, 6, 29))
    make_response(d8, m.other_bank, status=EngagementStatus.UNDER_REVIEW, on_time=True)
    d9 = make_demand(m, enterprise=medium, status=DemandStatus.DISBURSED, published_at=local(2026, 4, 13))
    make_response(d9, m.head, status=EngagementStatus.DISBURSED, on_time=True)
    assert d8.respond_by > END >= d7.respond_by  # d8 is not yet due on the last day of the period

    def loan(user, **values):
        return loan_record(actor=user, **values)

    def report(user, target, month, balance, classification="normal"):
        loan_status_report(
            actor=user, loan=target, month=month, outstanding_balance=balance, classification=classification
        )

    head_user, other_user = m.head_user, m.other_bank_user
    l5 = loan(
        head_user,
        lender=m.branch,
        borrower=m.factory,
        reference="L5",
        amount="1000000",
        disbursed_on="2025-03-01",
        term_months=12,
        annual_rate="0.045",
    )
    l1 = loan(
        head_user,
        lender=m.scitech,
        borrower=m.factory,
        reference="L1",
        amount="2000000",
        disbursed_on="2025-10-15",
        term_months=12,
        annual_rate="0.04",
        is_credit=True,
    )
    report(head_user, l1, "2025-12", "1800000")
    report(head_user, l1, "2026-06", "1200000", "special_mention")
    report(head_user, l1, "2026-08", "900000", "substandard")
    l2 = loan(
        head_user,
        lender=m.scitech,
        borrower=m.factory,
        reference="L2",
        amount="3000000",
        disbursed_on="2026-02-10",
        term_months=24,
        annual_rate="0.036",
        is_renewal=True,
        demand=d1,
    )
    l3 = loan(
        head_user,
        lender=m.branch,
        borrower=m.shop,
        reference="L3",
        amount="500000",
        disbursed_on="2026-03-01",
        term_months=6,
        annual_rate="0.05",
        is_credit=True,
    )
    report(head_user, l3, "2026-05", "500000", "doubtful")
    l4 = loan(
        head_user,
        lender=m.head,
        borrower=medium,
        reference="L4",
        amount="8000000",
        disbursed_on="2026-04-20",
        term_months=12,
        annual_rate="0.03",
        is_first_time=False,
        demand=d9,
    )
    l6 = loan(
        head_user,
        lender=m.scitech,
        borrower=m.factory,
        reference="L6",
        amount="600000",
        disbursed_on="2026-07-05",
        term_months=12,
        annual_rate="0.04",
    )
    l7 = loan(
        other_user,
        lender=m.other_bank,
        borrower=m.software,
        reference="L7",
        amount="9000000",
        disbursed_on="2025-06-01",
        term_months=24,
        annual_rate="0.042",
    )
    report(other_user, l7, "2026-01", "8000000")
    l8 = loan(
        other_user,
        lender=m.other_bank,
        borrower=m.software,
        reference="L8",
        amount="2000000",
        disbursed_on="2026-05-10",
        term_months=12,
        annual_rate="0.039",
        is_credit=True,
        is_renewal_without_repayment=True,
        demand=d3,
    )
    report(other_user, l7, "2026-06", "7500000", "loss")
    l9 = loan(
        other_user,
        lender=m.other_bank,
        borrower=medium,
        reference="L9",
        amount="1000000",
        disbursed_on="2026-06-30",
        term_months=12,
        annual_rate="0.05",
    )
    loans = {"L1": l1, "L2": l2, "L3": l3, "L4": l4, "L5": l5, "L6": l6, "L7": l7, "L8": l8, "L9": l9}
    for value in loans.values():
        value.refresh_from_db()
    return {"market": m, "medium": medium, "loans": loans}
