"""Risk control: banks suspended and resumed by the non-performing ratio of their covered loans, and the
authority alerted when the pool's free balance runs low."""

from __future__ import annotations

from decimal import Decimal

import pytest

from finbridge.core.errors import ValidationFailed
from finbridge.financing.choices import LoanClassification
from finbridge.notifications.models import Notification
from finbridge.riskpool import notices
from finbridge.riskpool.choices import AlertKind, PoolStatus, SuspensionAction, SuspensionCause
from finbridge.riskpool.models import MemberSuspension, PoolAlert
from finbridge.riskpool.services.members import member_suspend
from finbridge.riskpool.services.risk_control import risk_check_all, risk_check_bank, risk_check_pool
from finbridge.riskpool.tests.claim_helpers import approve, defaulted, file
from finbridge.riskpool.tests.setup import build_pool_scenario

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def s():
    return build_pool_scenario()


def test_a_bank_above_the_threshold_is_suspended_and_resumed_when_it_falls_back(s):
    good = s.enrol(s.make_loan(amount=D("1900000.00")))
    bad = s.enrol(s.make_loan(amount=D("100000.00")))
    assert risk_check_pool(pool=s.pool) == []  # nothing non-performing yet
    s.classify(bad.loan, LoanClassification.DOUBTFUL)
    s.classify(good.loan, LoanClassification.NORMAL, D("1000000.00"))
    # 100,000 / (1,000,000 + 100,000) = 9.09% > 5%
    events = risk_check_pool(pool=s.pool)
    assert [(e.member, e.action, e.cause) for e in events] == [
        (s.head_member, SuspensionAction.SUSPEND, SuspensionCause.NPL_THRESHOLD)
    ]
    assert events[0].npl_ratio == D("0.090909") and events[0].threshold == D("0.050000")
    s.head_member.refresh_from_db()
    assert s.head_member.is_suspended
    told = Notification.objects.filter(kind=notices.MEMBER_SUSPENDED_NPL)
    assert {n.organization for n in told} == {s.market.head, s.market.district}
    with pytest.raises(ValidationFailed) as error:
        s.enrol(s.make_loan())
    assert "bank_suspended" in [reason.code for reason in error.value.reasons]
    assert risk_check_pool(pool=s.pool) == []  # still above: nothing new

    s.classify(good.loan, LoanClassification.NORMAL, D("2000000.00"))  # 100,000 / 2,100,000 = 4.76%
    events = risk_check_pool(pool=s.pool)
    assert [(e.action, e.cause) for e in events] == [(SuspensionAction.RESUME, SuspensionCause.NPL_RECOVERED)]
    s.head_member.refresh_from_db()
    assert not s.head_member.is_suspended
    assert Notification.objects.filter(kind=notices.MEMBER_RESUMED_NPL).exists()
    s.enrol(s.make_loan())


def test_at_the_threshold_exactly_a_bank_is_not_suspended(s):
    s.enrol(s.make_loan(amount=D("950000.00")))
    bad = s.enrol(s.make_loan(amount=D("50000.00")))
    s.classify(bad.loan, LoanClassification.SUBSTANDARD)  # 50,000 / 1,000,000 = 5%
    assert risk_check_bank(pool=s.pool, bank=s.market.head) is None
    assert not MemberSuspension.objects.exists()


def test_a_suspension_by_the_authority_is_not_lifted_by_risk_control(s):
    s.enrol(s.make_loan())
    member_suspend(actor=s.authority, member=s.head_member, note="audit findings")
    assert risk_check_pool(pool=s.pool) == []
    s.head_member.refresh_from_db()
    assert s.head_member.is_suspended and s.head_member.suspension_cause == SuspensionCause.MANUAL


def test_a_compensated_loan_leaves_the_ratio_and_the_bank_is_resumed(s):
    s.enrol(s.make_loan(amount=D("1000000.00")))
    enrolment = defaulted(s, amount="500000.00")
    risk_check_pool(pool=s.pool)
    s.head_member.refresh_from_db()
    assert s.head_member.is_suspended  # 500,000 / 1,500,000 = 33%
    approve(s, file(s, enrolment))
    s.head_member.refresh_from_db()
    assert not s.head_member.is_suspended
    assert s.head_member.suspensions.order_by("-id").first().cause == SuspensionCause.NPL_RECOVERED


def test_banks_not_admitted_or_without_loans_are_left_alone(s):
    assert risk_check_bank(pool=s.pool, bank=s.market.branch) is None  # a branch is not a member
    assert risk_check_bank(pool=s.pool, bank=s.market.other_bank) is None  # nothing covered


def test_the_daily_check_covers_every_active_pool(s):
    bad = s.enrol(s.make_loan())
    s.classify(bad.loan, LoanClassification.LOSS)
    draft = build_pool_scenario(market=s.market, capital=None)
    assert draft.pool.status == PoolStatus.DRAFT
    assert risk_check_all() == {"pools": 1, "suspended": 1, "resumed": 0}
    assert risk_check_all() == {"pools": 1, "suspended": 0, "resumed": 0}


def test_the_authority_is_alerted_once_when_the_free_balance_runs_low():
    s = build_pool_scenario(capital=D("1000000.00"))
    approve(s, file(s, defaulted(s, amount="2000000.00")))  # 600,000 paid: 400,000 left of 1,000,000 (>= 20%)
    assert not PoolAlert.objects.filter(pool=s.pool).exists()
    approve(s, file(s, defaulted(s, amount="1000000.00")))  # 300,000 more: 100,000 left < 200,000
    alert = PoolAlert.objects.get(pool=s.pool, kind=AlertKind.LOW_FREE_BALANCE, cleared_at__isnull=True)
    assert (alert.value, alert.threshold) == (D("100000.00"), D("200000.00"))
    assert Notification.objects.filter(kind=notices.LOW_FREE_BALANCE, organization=s.market.district).count() == 1
    risk_check_pool(pool=s.pool)
    assert Notification.objects.filter(kind=notices.LOW_FREE_BALANCE).count() == 1  # raised once
