"""Visibility of loans for every kind of organisation, filters and ordering, balances on a day."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from finbridge.accounts.choices import Role
from finbridge.core.errors import NotFound, ValidationFailed
from finbridge.enterprises.tests.factories import ConsentFactory
from finbridge.financing.models import Loan
from finbridge.financing.selectors.loans import (
    balance_on,
    loan_get,
    loan_list,
    recording_offices,
    status_report_list,
)
from finbridge.financing.services.loans import loan_status_report
from finbridge.financing.tests.loans.conftest import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def loans(market):
    """scitech → factory, branch → factory, other_bank → software."""
    return {
        "scitech": record(market, reference="A-1", disbursed_on=datetime.date(2026, 1, 10), is_credit=True),
        "branch": record(
            market,
            reference="B-1",
            lender=market.branch,
            actor=market.branch_user,
            amount="3000000.00",
            disbursed_on=datetime.date(2026, 2, 10),
            is_renewal=True,
        ),
        "other": record(
            market,
            reference="O-1",
            lender=market.other_bank,
            borrower=market.software,
            actor=market.other_bank_user,
            amount="500000.00",
            disbursed_on=datetime.date(2026, 3, 1),
        ),
    }


VISIBLE = {
    "district": {"scitech", "branch", "other"},
    "ia_c": {"scitech", "branch"},  # manages the factory
    "so_s1": {"scitech", "branch"},  # the factory is in S1
    "so_s2": {"other"},  # the software firm is in S2
    "head": {"scitech", "branch"},  # its branches' loans
    "branch": {"branch"},
    "scitech": {"scitech"},
    "other_bank": {"other"},
    "msme": {"scitech", "branch"},  # the factory's own borrowings
    "other_msme": {"other"},
    "guarantor": set(),
    "insurer": set(),
}


@pytest.mark.parametrize("org_name", sorted(VISIBLE))
@pytest.mark.parametrize("role", [Role.ADMIN, Role.VIEWER])
def test_who_sees_which_loan(market, loans, org_name, role):
    actor = market.member(org_name, role)
    expected = {loans[key].pk for key in VISIBLE[org_name]}
    assert {loan.pk for loan in loan_list(actor=actor)} == expected
    for key, loan in loans.items():
        if key in VISIBLE[org_name]:
            assert loan_get(actor=actor, pk=loan.pk) == loan
            assert list(status_report_list(actor=actor, loan=loan)) == []
        else:
            with pytest.raises(NotFound):
                loan_get(actor=actor, pk=loan.pk)
            with pytest.raises(NotFound):
                status_report_list(actor=actor, loan=loan)


@pytest.mark.parametrize("pk", ["x", "0", "-1", str(2**64), "", None, "1.5"])
def test_a_bad_id_is_not_found(market, loans, pk):
    with pytest.raises(NotFound):
        loan_get(actor=market.district_user, pk=pk)


def test_filters_and_ordering(market, loans):
    actor = market.district_user

    def refs(**filters):
        return [loan.reference for loan in loan_list(actor=actor, filters=filters)]

    assert refs() == ["O-1", "B-1", "A-1"]
    assert [x.reference for x in loan_list(actor=actor, ordering="amount")] == ["O-1", "A-1", "B-1"]
    assert refs(q="b-") == ["B-1"]
    assert refs(q="马峦") == ["O-1"]
    assert refs(q=market.factory.uscc.lower()) == ["B-1", "A-1"]
    assert refs(lender=market.branch.pk) == ["B-1"]
    assert refs(bank=market.head.pk) == ["B-1", "A-1"]
    assert refs(borrower=market.software.pk) == ["O-1"]
    assert refs(disbursed_from="2026-02-10", disbursed_to="2026-02-28") == ["B-1"]
    assert refs(credit="true") == ["A-1"]
    assert refs(renewal=True, inclusive="1") == ["B-1"]
    assert refs(first_time="false") == ["B-1"]
    assert refs(tech="no") == ["O-1"]
    assert refs(classification="normal", source="reported") == ["O-1", "B-1", "A-1"]
    for bad in (
        {"nope": 1},
        {"credit": "perhaps"},
        {"disbursed_from": "yesterday"},
        {"lender": "x"},
        {"classification": "bad"},
        {"source": "x"},
        {"q": "x" * 101},
    ):
        with pytest.raises(ValidationFailed):
            loan_list(actor=actor, filters=bad)
    with pytest.raises(ValidationFailed):
        loan_list(actor=actor, ordering="borrower")


def test_recording_offices(market):
    offices = recording_offices(actor=market.head_user)
    assert offices[0] == market.head  # the head office first, then its branches
    assert set(offices[1:]) == {market.branch, market.scitech}
    assert [o.pk for o in recording_offices(actor=market.branch_user)] == [market.branch.pk]
    for actor in (
        market.member("head", Role.VIEWER),
        market.member("branch", Role.REVIEWER),
        market.district_user,
        market.firm_user,
        market.guarantor_user,
    ):
        assert recording_offices(actor=actor) == []


def test_balance_on_a_day(market):
    ConsentFactory(enterprise=market.software, grantee=market.head)
    loan = record(market, amount="1000000.00", disbursed_on=datetime.date(2025, 6, 15), term_months=12)
    unreported = record(market, amount="400000.00", disbursed_on=datetime.date(2025, 6, 15), term_months=6)
    for month, balance in (("2025-08", "900000"), ("2025-11", "600000"), ("2026-01", "0")):
        loan_status_report(
            actor=market.scitech_user, loan=loan, month=month, outstanding_balance=balance, classification="normal"
        )

    def on(day, target):
        return Loan.objects.annotate(b=balance_on(day)).get(pk=target.pk).b

    assert on(datetime.date(2025, 6, 14), loan) == 0  # not yet disbursed
    assert on(datetime.date(2025, 6, 15), loan) == Decimal("1000000.00")  # no report yet: the amount
    assert on(datetime.date(2025, 7, 31), loan) == Decimal("1000000.00")
    assert on(datetime.date(2025, 8, 1), loan) == Decimal("900000.00")  # a report counts from its month's first day
    assert on(datetime.date(2025, 12, 31), loan) == Decimal("600000.00")
    assert on(datetime.date(2026, 5, 1), loan) == Decimal("0.00")
    assert on(datetime.date(2025, 12, 14), unreported) == Decimal("400000.00")
    assert on(datetime.date(2025, 12, 15), unreported) == 0  # matured without a report
