"""Invitations and memberships: every rule, and nothing changed when a rule refuses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone, translation

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.models import Invitation, Membership, User
from finbridge.accounts.selectors import invitation_status
from finbridge.accounts.services import (
    invitation_accept,
    invitation_create,
    invitation_revoke,
    membership_change_role,
    membership_remove,
)
from finbridge.accounts.tests.conftest import fresh
from finbridge.accounts.tests.factories import MembershipFactory, UserFactory, member_of
from finbridge.audit.models import AuditEvent
from finbridge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from finbridge.core.permissions import has_perm

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Tangerine-Lantern-42"


def _state():
    """Everything a refused call must leave alone."""
    return (
        list(Invitation.objects.values_list("pk", "accepted_at", "revoked_at").order_by("pk")),
        list(Membership.objects.values_list("pk", "role").order_by("pk")),
        User.objects.count(),
        AuditEvent.objects.count(),
    )


def _invite(actor, organization, email="new.person@example.com", role=Role.STAFF):
    return invitation_create(actor=actor, organization=organization, email=email, role=role)


# --- invitation_create ----------------------------------------------------------------------------


def test_admin_invites_and_the_email_is_sent_after_commit(bank_admin, bank, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        invitation = _invite(bank_admin, bank, email=" New.Person@Example.com ")
    assert len(callbacks) == 1
    assert invitation.email == "new.person@example.com"
    assert invitation.invited_by == bank_admin
    assert invitation_status(invitation) == "open"
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@example.com"]
    assert bank.name_en in message.subject
    assert f"http://127.0.0.1:8000/accounts/invite/{invitation.token}/" in message.body
    assert "as Staff" in message.body
    event = AuditEvent.objects.get(action="invitation_create")
    assert event.after["email"] == "new.person@example.com"
    assert "token" not in event.after


def test_invitation_email_is_in_the_inviter_language(bank_admin, bank, django_capture_on_commit_callbacks):
    with translation.override("zh-hans"), django_capture_on_commit_callbacks(execute=True):
        invitation = invitation_create(
            actor=bank_admin, organization=bank, email="a@example.com", role=Role.VIEWER, site_url="https://fb.example/"
        )
    body = mail.outbox[0].body
    assert f"https://fb.example/accounts/invite/{invitation.token}/" in body
    assert bank.name in mail.outbox[0].subject
    assert "FinBridge" in mail.outbox[0].subject


def test_no_email_when_the_transaction_does_not_commit(bank_admin, bank):
    _invite(bank_admin, bank)
    assert mail.outbox == []


def test_district_authority_admin_may_invite_into_any_organisation(district_admin, bank):
    invitation = _invite(district_admin, bank, role=Role.ADMIN)
    assert invitation.organization == bank


def test_inviting_into_an_organisation_you_do_not_administer_changes_nothing(
    bank, other_bank_admin, bank_staff, district_staff, django_capture_on_commit_callbacks
):
    before = _state()
    for actor in (other_bank_admin, bank_staff, district_staff):
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
            _invite(actor, bank)
    assert _state() == before
    assert mail.outbox == []


def test_invalid_email_or_role_changes_nothing(bank_admin, bank):
    before = _state()
    with pytest.raises(ValidationFailed) as info:
        _invite(bank_admin, bank, email="not-an-email")
    assert "email" in info.value.fields
    with pytest.raises(ValidationFailed) as info:
        _invite(bank_admin, bank, role="owner")
    assert "role" in info.value.fields
    assert _state() == before


def test_inviting_an_existing_member_is_a_conflict(bank_admin, bank, bank_staff):
    before = _state()
    with pytest.raises(Conflict) as info:
        _invite(bank_admin, bank, email=bank_staff.email.upper())
    assert info.value.code == "already_member"
    assert _state() == before


def test_second_open_invitation_for_the_same_email_is_a_conflict(bank_admin, bank):
    first = _invite(bank_admin, bank)
    before = _state()
    with pytest.raises(Conflict) as info:
        _invite(bank_admin, bank)
    assert info.value.code == "invitation_pending"
    assert _state() == before
    invitation_revoke(actor=bank_admin, invitation=first)
    assert _invite(bank_admin, bank).pk != first.pk


# --- invitation_revoke ----------------------------------------------------------------------------


def test_revoke_closes_the_invitation_and_audits_before_and_after(bank_admin, bank):
    invitation = invitation_revoke(actor=bank_admin, invitation=_invite(bank_admin, bank))
    assert invitation_status(invitation) == "revoked"
    event = AuditEvent.objects.get(action="invitation_revoke")
    assert event.before["revoked_at"] is None
    assert event.after["revoked_at"] is not None
    assert [c[0] for c in event.changed_fields] == ["revoked_at"]


def test_revoke_by_another_organisation_admin_changes_nothing(bank_admin, bank, other_bank_admin):
    invitation = _invite(bank_admin, bank)
    before = _state()
    with pytest.raises(PermissionDenied):
        invitation_revoke(actor=other_bank_admin, invitation=invitation)
    assert _state() == before


def test_revoking_twice_is_a_conflict(bank_admin, bank):
    invitation = invitation_revoke(actor=bank_admin, invitation=_invite(bank_admin, bank))
    before = _state()
    with pytest.raises(Conflict):
        invitation_revoke(actor=bank_admin, invitation=invitation)
    assert _state() == before


# --- invitation_accept ----------------------------------------------------------------------------


def test_accept_creates_the_person_with_the_invited_role_and_email(bank_admin, bank):
    invitation = _invite(bank_admin, bank, role=Role.REVIEWER)
    membership = invitation_accept(token=invitation.token, username="li.na", password=NEW_PASSWORD, display_name="李娜")
    user = membership.user
    assert (user.username, user.email, user.display_name) == ("li.na", "new.person@example.com", "李娜")
    assert user.check_password(NEW_PASSWORD)
    assert (membership.organization, membership.role) == (bank, Role.REVIEWER)
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    assert invitation_status(invitation) == "accepted"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"user_create", "invitation_accept", "membership_create"} <= actions
    assert "password" not in AuditEvent.objects.get(action="user_create").after


def test_signed_in_invitee_gets_a_membership_on_the_existing_account(bank_admin, bank, other_bank_admin, other_bank):
    invitation = _invite(bank_admin, bank, email=other_bank_admin.email, role=Role.VIEWER)
    users = User.objects.count()
    membership = invitation_accept(actor=other_bank_admin, token=invitation.token)
    assert membership.user == other_bank_admin
    assert User.objects.count() == users
    assert set(fresh(other_bank_admin).memberships.values_list("organization", flat=True)) == {bank.pk, other_bank.pk}


def test_a_used_invitation_cannot_be_used_again(bank_admin, bank):
    invitation = _invite(bank_admin, bank)
    invitation_accept(token=invitation.token, username="first", password=NEW_PASSWORD)
    before = _state()
    with pytest.raises(Conflict) as info:
        invitation_accept(token=invitation.token, username="second", password=NEW_PASSWORD)
    assert info.value.code == "invitation_used"
    assert _state() == before


def test_an_expired_invitation_cannot_be_accepted(bank_admin, bank):
    invitation = _invite(bank_admin, bank)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    before = _state()
    with pytest.raises(Conflict) as info:
        invitation_accept(token=invitation.token, username="late", password=NEW_PASSWORD)
    assert info.value.code == "invitation_expired"
    assert _state() == before


def test_a_revoked_invitation_cannot_be_accepted(bank_admin, bank):
    invitation = invitation_revoke(actor=bank_admin, invitation=_invite(bank_admin, bank))
    before = _state()
    with pytest.raises(Conflict) as info:
        invitation_accept(token=invitation.token, username="late", password=NEW_PASSWORD)
    assert info.value.code == "invitation_revoked"
    assert _state() == before


def test_an_unknown_token_is_not_found(db):
    with pytest.raises(NotFound):
        invitation_accept(token="nope", username="x", password=NEW_PASSWORD)


def test_duplicate_membership_is_a_conflict_and_changes_nothing(bank_admin, bank, bank_staff):
    invitation = _invite(bank_admin, bank, email="someone.else@example.com")
    before = _state()
    with pytest.raises(Conflict) as info:
        invitation_accept(actor=bank_staff, token=invitation.token)
    assert info.value.code == "already_member"
    assert _state() == before


@pytest.mark.parametrize(
    ("username", "password", "field"),
    [
        ("", NEW_PASSWORD, "username"),
        ("has space", NEW_PASSWORD, "username"),
        ("TAKEN", NEW_PASSWORD, "username"),
        ("fresh", "short1", "password"),
        ("fresh", "1234567890123", "password"),
        ("fresh", "password123", "password"),
        ("newperson1", "newperson1", "password"),
    ],
)
def test_bad_username_or_weak_password_changes_nothing(bank_admin, bank, username, password, field):
    UserFactory(username="taken")
    invitation = _invite(bank_admin, bank)
    before = _state()
    with pytest.raises(ValidationFailed) as info:
        invitation_accept(token=invitation.token, username=username, password=password)
    assert field in info.value.fields
    assert _state() == before
    invitation.refresh_from_db()
    assert invitation.is_open


# --- membership_change_role and membership_remove -------------------------------------------------------


def test_admin_changes_a_role_with_audit(bank_admin, bank_staff, bank):
    membership = bank_staff.memberships.get()
    membership = membership_change_role(actor=bank_admin, membership=membership, role=Role.REVIEWER)
    assert membership.role == Role.REVIEWER
    event = AuditEvent.objects.get(action="membership_change_role")
    assert event.changed_fields == [("role", Role.STAFF, Role.REVIEWER)]


def test_same_role_changes_nothing(bank_admin, bank_staff):
    before = _state()
    membership_change_role(actor=bank_admin, membership=bank_staff.memberships.get(), role=Role.STAFF)
    assert _state() == before


def test_unknown_role_changes_nothing(bank_admin, bank_staff):
    before = _state()
    with pytest.raises(ValidationFailed):
        membership_change_role(actor=bank_admin, membership=bank_staff.memberships.get(), role="boss")
    assert _state() == before


def test_last_admin_cannot_be_demoted(bank_admin):
    before = _state()
    with pytest.raises(Conflict) as info:
        membership_change_role(actor=bank_admin, membership=bank_admin.memberships.get(), role=Role.STAFF)
    assert info.value.code == "last_admin"
    assert _state() == before


def test_last_admin_cannot_be_removed_even_by_the_district_authority(bank_admin, district_admin):
    before = _state()
    with pytest.raises(Conflict) as info:
        membership_remove(actor=district_admin, membership=bank_admin.memberships.get())
    assert info.value.code == "last_admin"
    assert _state() == before


def test_an_admin_may_step_down_when_another_admin_remains(bank_admin, bank):
    MembershipFactory(organization=bank, role=Role.ADMIN)
    membership = membership_change_role(actor=bank_admin, membership=bank_admin.memberships.get(), role=Role.VIEWER)
    assert membership.role == Role.VIEWER


def test_removal_takes_effect_at_once(bank_admin, bank_staff, bank):
    assert has_perm(fresh(bank_staff), "accounts.view_organization", bank)
    membership_remove(actor=bank_admin, membership=bank_staff.memberships.get())
    removed = fresh(bank_staff)
    assert removed.memberships.count() == 0
    assert not has_perm(removed, "accounts.view_organization", bank)
    assert removed.permission_codes() == frozenset()
    event = AuditEvent.objects.get(action="membership_remove")
    assert event.before["user"] == bank_staff.pk
    assert event.after is None


@pytest.mark.parametrize("service", ["change_role", "remove"])
def test_members_of_another_organisation_are_out_of_reach(bank_staff, other_bank_admin, service):
    membership = bank_staff.memberships.get()
    before = _state()
    with pytest.raises(PermissionDenied):
        if service == "remove":
            membership_remove(actor=other_bank_admin, membership=membership)
        else:
            membership_change_role(actor=other_bank_admin, membership=membership, role=Role.ADMIN)
    assert _state() == before


def test_an_admin_elsewhere_is_not_an_admin_here(bank, bank_staff):
    """A person who is admin in organisation A and staff in B cannot manage B's members."""
    elsewhere = member_of(OrgType.INSURER, Role.ADMIN)
    MembershipFactory(user=elsewhere, organization=bank, role=Role.STAFF)
    actor = fresh(elsewhere)
    assert has_perm(actor, "accounts.manage_members")
    with pytest.raises(PermissionDenied):
        membership_remove(actor=actor, membership=bank_staff.memberships.get())
    assert bank_staff.memberships.exists()
