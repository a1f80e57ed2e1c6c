"""Pool members: admission, agreements, suspension and resumption (with history and notices)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from finbridge.core.errors import Conflict, PermissionDenied, ValidationFailed
from finbridge.notifications.models import Notification
from finbridge.riskpool import notices
from finbridge.riskpool.choices import MemberRole, MemberStatus, SuspensionAction, SuspensionCause
from finbridge.riskpool.models import MemberSuspension, PoolMember
from finbridge.riskpool.services.members import member_admit, member_end, member_resume, member_suspend, member_update
from finbridge.riskpool.tests.setup import build_pool_scenario

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def s():
    return build_pool_scenario()


def test_scenario_members_are_admitted_and_notified():
    from finbridge.financing.tests.setup import build_market

    market = build_market()
    assert market.head_user  # the bank has a member to notify
    s = build_pool_scenario(market=market)
    assert {m.organization for m in s.pool.members.all()} == {
        s.market.head,
        s.market.other_bank,
        s.market.guarantor,
        s.market.insurer,
    }
    assert Notification.objects.filter(kind=notices.MEMBER_ADMITTED, organization=s.market.head).exists()


@pytest.mark.parametrize(
    ("org", "role", "field"),
    [
        ("branch", MemberRole.BANK, "organization"),  # a branch, not the head office
        ("guarantor", MemberRole.BANK, "organization"),
        ("head", MemberRole.GUARANTOR, "organization"),
        ("head", "lender", "role"),
    ],
)
def test_wrong_organisation_or_role_is_refused(s, org, role, field):
    before = PoolMember.objects.count()
    with pytest.raises(ValidationFailed) as error:
        member_admit(
            actor=s.authority, pool=s.pool, organization=s.market.org(org), role=role, agreement_signed_on=TODAY()
        )
    assert field in error.value.fields
    assert PoolMember.objects.count() == before


def test_admitting_twice_is_a_conflict(s):
    with pytest.raises(Conflict) as error:
        member_admit(
            actor=s.authority,
            pool=s.pool,
            organization=s.market.head,
            role=MemberRole.BANK,
            agreement_signed_on=TODAY(),
        )
    assert error.value.code == "already_member"


def test_agreement_dates_must_be_in_order(s):
    with pytest.raises(ValidationFailed):
        member_update(
            actor=s.authority,
            member=s.head_member,
            agreement_ends_on=s.head_member.agreement_signed_on - datetime.timedelta(1),
        )
    member_update(actor=s.authority, member=s.head_member, agreement_ends_on=TODAY() + datetime.timedelta(days=30))
    s.head_member.refresh_from_db()
    assert s.head_member.agreement_ends_on == TODAY() + datetime.timedelta(days=30)


def test_banks_cannot_admit_or_suspend(s):
    with pytest.raises(PermissionDenied):
        member_admit(
            actor=s.head_user,
            pool=s.pool,
            organization=s.market.scitech,
            role=MemberRole.BANK,
            agreement_signed_on=TODAY(),
        )
    with pytest.raises(PermissionDenied):
        member_suspend(actor=s.head_user, member=s.other_member, note="rivals")


def test_manual_suspension_needs_a_note_and_is_recorded_and_noticed(s):
    assert s.head_user  # the bank has a member to notify
    with pytest.raises(ValidationFailed):
        member_suspend(actor=s.authority, member=s.head_member, note="")
    member_suspend(actor=s.authority, member=s.head_member, note="documents missing")
    s.head_member.refresh_from_db()
    assert s.head_member.is_suspended and s.head_member.suspension_cause == SuspensionCause.MANUAL
    event = MemberSuspension.objects.get(member=s.head_member)
    assert (event.action, event.note, event.actor) == (SuspensionAction.SUSPEND, "documents missing", s.authority)
    notified = set(Notification.objects.filter(kind=notices.MEMBER_SUSPENDED).values_list("organization", flat=True))
    assert notified == {s.market.head.pk, s.market.district.pk}
    with pytest.raises(Conflict) as error:
        member_suspend(actor=s.authority, member=s.head_member, note="again")
    assert error.value.code == "already_suspended"
    member_resume(actor=s.authority, member=s.head_member)
    s.head_member.refresh_from_db()
    assert not s.head_member.is_suspended
    assert Notification.objects.filter(kind=notices.MEMBER_RESUMED).count() == 2
    with pytest.raises(Conflict) as error:
        member_resume(actor=s.authority, member=s.head_member)
    assert error.value.code == "not_suspended"


def test_automatic_suspension_needs_no_actor_and_carries_the_ratio(s):
    from decimal import Decimal

    member_suspend(
        actor=None,
        member=s.head_member,
        cause=SuspensionCause.NPL_THRESHOLD,
        npl_ratio=Decimal("0.081234"),
        threshold=Decimal("0.05"),
    )
    note = Notification.objects.filter(kind=notices.MEMBER_SUSPENDED_NPL).first()
    assert note.params["ratio"] == "8.12%" and note.params["threshold"] == "5.00%"
    member_resume(actor=None, member=s.head_member, cause=SuspensionCause.NPL_RECOVERED, npl_ratio=Decimal("0.01"))
    assert MemberSuspension.objects.filter(member=s.head_member).count() == 2


def test_guarantors_are_not_suspended(s):
    with pytest.raises(Conflict) as error:
        member_suspend(actor=s.authority, member=s.guarantor_member, note="x")
    assert error.value.code == "not_a_bank"


def test_ending_an_agreement(s):
    member_end(actor=s.authority, member=s.other_member)
    s.other_member.refresh_from_db()
    assert s.other_member.status == MemberStatus.ENDED
    assert s.other_member.agreement_ends_on == TODAY()
    with pytest.raises(Conflict):
        member_end(actor=s.authority, member=s.other_member)
