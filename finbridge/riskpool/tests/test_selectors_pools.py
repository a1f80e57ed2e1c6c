"""Who sees which pool, member list, enrolments; the pool summary."""

from __future__ import annotations

from decimal import Decimal

import pytest

from finbridge.core.errors import NotFound
from finbridge.riskpool.models import Enrolment
from finbridge.riskpool.selectors.enrolment import enrolable_loans, enrolment_get, enrolment_list
from finbridge.riskpool.selectors.pools import member_list, pool_get, pool_list, pool_summary
from finbridge.riskpool.tests.setup import CAPITAL, build_pool_scenario

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def s():
    return build_pool_scenario()


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("district", True),
        ("ia_c", True),
        ("so_s1", True),
        ("head", True),
        ("branch", True),  # its head office is a member
        ("other_bank", True),
        ("guarantor", True),
        ("insurer", True),
        ("msme", False),
    ],
)
def test_pool_visibility(s, who, sees):
    user = s.market.member(who)
    assert (s.pool in pool_list(actor=user)) is sees
    if not sees:
        with pytest.raises(NotFound):
            pool_get(actor=user, pk=s.pool.pk)


def test_a_bank_that_is_not_a_member_does_not_see_the_pool(s):
    assert pool_get(actor=s.other_bank_user, pk=s.pool.pk)
    s.other_member.delete()
    with pytest.raises(NotFound):
        pool_get(actor=s.other_bank_user, pk=s.pool.pk)


def test_drafts_are_seen_by_their_authority_only():
    s = build_pool_scenario(capital=None)
    assert pool_get(actor=s.authority, pk=s.pool.pk)
    for who in ("ia_c", "head"):
        with pytest.raises(NotFound):
            pool_get(actor=s.market.member(who), pk=s.pool.pk)


def test_bad_pk_is_not_found(s):
    with pytest.raises(NotFound):
        pool_get(actor=s.authority, pk="abc")


def test_member_list(s):
    assert member_list(actor=s.head_user, pool=s.pool).count() == 4


def test_enrolment_visibility(s):
    head_loan = s.enrol(s.make_loan())
    branch_loan = s.enrol(s.make_loan(lender="branch"), actor=s.branch_user)
    other = s.enrol(s.make_loan(lender="other_bank"), actor=s.other_bank_user)
    assert set(enrolment_list(actor=s.authority, pool=s.pool)) == {head_loan, branch_loan, other}
    assert set(enrolment_list(actor=s.head_user)) == {head_loan, branch_loan}
    assert set(enrolment_list(actor=s.branch_user)) == {branch_loan}
    assert set(enrolment_list(actor=s.other_bank_user)) == {other}
    assert not enrolment_list(actor=s.market.firm_user).exists()
    with pytest.raises(NotFound):
        enrolment_get(actor=s.branch_user, pk=head_loan.pk)
    assert enrolment_get(actor=s.head_user, pk=branch_loan.pk) == branch_loan
    assert set(enrolment_list(actor=s.authority, bank=s.market.other_bank)) == {other}
    assert not enrolment_list(actor=s.authority, status="released").exists()


def test_enrolable_loans_are_the_banks_own_unenrolled_performing_loans(s):
    enrolled, free = s.make_loan(), s.make_loan()
    s.make_loan(classification="doubtful")
    s.make_loan(lender="other_bank")
    s.enrol(enrolled)
    assert list(enrolable_loans(actor=s.head_user, pool=s.pool)) == [free]
    assert not enrolable_loans(actor=s.authority, pool=s.pool).exists()


def test_pool_summary(s):
    s.enrol(s.make_loan(amount=D("2000000.00")))
    summary = pool_summary(pool=s.refresh())
    assert (summary.capital, summary.cash, summary.owed, summary.free_balance) == (CAPITAL, CAPITAL, 0, CAPITAL)
    assert (summary.covered_balance, summary.max_covered_balance) == (D("2000000.00"), D("100000000.00"))
    assert summary.free_capacity == D("98000000.00")
    assert summary.utilisation == D("0.02")
    assert Enrolment.objects.count() == 1
