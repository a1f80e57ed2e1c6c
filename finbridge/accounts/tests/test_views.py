"""The accounts pages: token, password, organisations, members, invitations."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.models import Invitation, Membership, Organization, User
from finbridge.accounts.services import invitation_create, invitation_revoke
from finbridge.accounts.tests.conftest import PASSWORD, fresh
from finbridge.accounts.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Tangerine-Lantern-42"


def _text(response) -> str:
    return response.content.decode()


# --- API token page -------------------------------------------------------------------------------


def test_token_page_shows_a_new_token_once(client, bank_staff):
    client.force_login(bank_staff)
    page = client.get(reverse("accounts:token"))
    assert page.status_code == 200
    assert "You have no API token." in _text(page)
    created = client.post(reverse("accounts:token"), {"action": "create"})
    key = Token.objects.get(user=bank_staff).key
    assert created.status_code == 200
    assert key in _text(created)
    assert "no-store" in created["Cache-Control"]
    again = client.get(reverse("accounts:token"))
    assert key not in _text(again)
    assert "You have an active token" in _text(again)


def test_token_page_rotates_and_revokes(client, bank_staff):
    client.force_login(bank_staff)
    client.post(reverse("accounts:token"), {"action": "create"})
    old = Token.objects.get(user=bank_staff).key
    rotated = client.post(reverse("accounts:token"), {"action": "rotate"})
    new = Token.objects.get(user=bank_staff).key
    assert new != old and new in _text(rotated)
    revoked = client.post(reverse("accounts:token"), {"action": "revoke"}, follow=True)
    assert not Token.objects.filter(user=bank_staff).exists()
    assert "Your API token was revoked." in _text(revoked)


def test_token_page_needs_sign_in(client):
    response = client.get(reverse("accounts:token"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- password page --------------------------------------------------------------------------------


def test_password_page_applies_the_rules(client, bank_staff):
    client.force_login(bank_staff)
    url = reverse("accounts:password_change")
    weak = client.post(url, {"old_password": PASSWORD, "new_password1": "abc", "new_password2": "abc"})
    assert weak.status_code == 400
    assert "This password is too short. It must contain at least 10 characters." in _text(weak)
    wrong = client.post(url, {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert "Your current password is not correct." in _text(wrong)
    differ = client.post(
        url, {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"}
    )
    assert "The two new passwords differ." in _text(differ)
    assert fresh(bank_staff).check_password(PASSWORD)


def test_password_page_changes_the_password_and_keeps_the_session(client, bank_staff):
    client.force_login(bank_staff)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert fresh(bank_staff).check_password(NEW_PASSWORD)
    assert client.get(reverse("accounts:token")).status_code == 200


def test_sign_in_and_out(client, bank_staff):
    response = client.post(reverse("accounts:login"), {"username": bank_staff.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(bank_staff.pk)
    client.post(reverse("accounts:logout"))
    assert "_auth_user_id" not in client.session


# --- organisations pages --------------------------------------------------------------------------


def test_admin_sees_only_the_organisations_they_administer(client, bank_admin, bank, other_bank):
    client.force_login(bank_admin)
    page = client.get(reverse("accounts:organizations"))
    assert list(page.context["page_obj"]) == [bank]
    assert "New organisation" not in _text(page)


def test_district_admin_sees_all_organisations_with_a_type_filter(client, district_admin, bank, other_bank):
    insurer = OrganizationFactory(org_type=OrgType.INSURER, bank_tier="")
    client.force_login(district_admin)
    page = client.get(reverse("accounts:organizations"))
    assert len(page.context["page_obj"]) == Organization.objects.count()
    banks = client.get(reverse("accounts:organizations"), {"org_type": "bank"})
    assert set(banks.context["page_obj"]) == {bank, other_bank}
    assert insurer.name_en not in _text(banks)
    assert "New organisation" in _text(page)


def test_organisation_create_page(client, district_admin, bank):
    client.force_login(district_admin)
    url = reverse("accounts:organization_create")
    assert client.get(url).status_code == 200
    bad = client.post(url, {"name": "支行", "org_type": "bank", "bank_tier": "branch"})
    assert bad.status_code == 400
    assert "Choose the head office this branch belongs to." in _text(bad)
    assert not Organization.objects.filter(name="支行").exists()
    good = client.post(url, {"name": "支行", "org_type": "bank", "bank_tier": "branch", "parent": bank.pk})
    created = Organization.objects.get(name="支行")
    assert good.status_code == 302
    assert good["Location"] == reverse("accounts:members", kwargs={"pk": created.pk})
    assert created.parent == bank


def test_organisation_create_page_for_an_industry_authority(client, district_admin):
    client.force_login(district_admin)
    url = reverse("accounts:organization_create")
    bad = client.post(url, {"name": "工信局", "org_type": "industry_authority", "industry_sectors": "C, X1"})
    assert "X1 is not a GB/T 4754-2017 industry code." in _text(bad)
    client.post(url, {"name": "工信局", "org_type": "industry_authority", "industry_sectors": "C, I65"})
    assert Organization.objects.get(name="工信局").industry_sectors == ["C", "I65"]


# --- members page ---------------------------------------------------------------------------------


def test_members_page_lists_members_and_open_invitations(client, bank_admin, bank_staff, bank):
    open_invitation = invitation_create(actor=bank_admin, organization=bank, email="open@example.com", role=Role.STAFF)
    revoked = invitation_create(actor=bank_admin, organization=bank, email="gone@example.com", role=Role.STAFF)
    invitation_revoke(actor=bank_admin, invitation=revoked)
    client.force_login(bank_admin)
    page = client.get(reverse("accounts:members", kwargs={"pk": bank.pk}))
    assert page.status_code == 200
    assert {m.user for m in page.context["memberships"]} == {bank_admin, bank_staff}
    assert page.context["invitations"] == [open_invitation]
    assert "gone@example.com" not in _text(page)


def test_members_page_sends_an_invitation(client, bank_admin, bank, django_capture_on_commit_callbacks):
    client.force_login(bank_admin)
    url = reverse("accounts:members", kwargs={"pk": bank.pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"email": "new@example.com", "role": "viewer"})
    assert response.status_code == 302
    assert Invitation.objects.get().role == Role.VIEWER
    assert "http://testserver/accounts/invite/" in mail.outbox[0].body


def test_members_page_shows_invitation_errors(client, bank_admin, bank_staff, bank):
    client.force_login(bank_admin)
    url = reverse("accounts:members", kwargs={"pk": bank.pk})
    response = client.post(url, {"email": bank_staff.email, "role": "staff"})
    assert response.status_code == 400
    assert "A person with this email is already a member of the organisation." in _text(response)
    assert not Invitation.objects.exists()


def test_members_page_changes_a_role_and_removes_a_member(client, bank_admin, bank_staff, bank):
    client.force_login(bank_admin)
    membership = bank_staff.memberships.get()
    role_url = reverse("accounts:membership_role", kwargs={"pk": bank.pk, "mid": membership.pk})
    page = client.post(role_url, {"role": "reviewer"}, follow=True)
    membership.refresh_from_db()
    assert membership.role == Role.REVIEWER
    assert "is now Reviewer." in _text(page)
    remove_url = reverse("accounts:membership_remove", kwargs={"pk": bank.pk, "mid": membership.pk})
    page = client.post(remove_url, follow=True)
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert "was removed from the organisation." in _text(page)


def test_members_page_protects_the_last_admin(client, bank_admin, bank):
    client.force_login(bank_admin)
    own = bank_admin.memberships.get()
    url = reverse("accounts:membership_remove", kwargs={"pk": bank.pk, "mid": own.pk})
    page = client.post(url, follow=True)
    assert "The organisation needs at least one administrator." in _text(page)
    assert Membership.objects.filter(pk=own.pk).exists()


def test_member_actions_are_post_only(client, bank_admin, bank_staff, bank):
    client.force_login(bank_admin)
    membership = bank_staff.memberships.get()
    url = reverse("accounts:membership_remove", kwargs={"pk": bank.pk, "mid": membership.pk})
    assert client.get(url).status_code == 405
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_members_page_revokes_an_invitation(client, bank_admin, bank):
    invitation = invitation_create(actor=bank_admin, organization=bank, email="x@example.com", role=Role.STAFF)
    client.force_login(bank_admin)
    url = reverse("accounts:invitation_revoke", kwargs={"pk": bank.pk, "iid": invitation.pk})
    page = client.post(url, follow=True)
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert "The invitation to x@example.com was revoked." in _text(page)


def test_another_organisations_member_actions_are_404(client, bank_admin, other_bank, other_bank_admin):
    client.force_login(bank_admin)
    membership = other_bank_admin.memberships.get()
    url = reverse("accounts:membership_remove", kwargs={"pk": other_bank.pk, "mid": membership.pk})
    assert client.post(url).status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()


# --- invitation acceptance page -------------------------------------------------------------------


def _accept_url(invitation) -> str:
    return reverse("accounts:invitation_accept", kwargs={"token": invitation.token})


def test_accept_page_creates_the_account_and_signs_in(client, bank_admin, bank):
    invitation = invitation_create(actor=bank_admin, organization=bank, email="li@example.com", role=Role.STAFF)
    page = client.get(_accept_url(invitation))
    assert page.status_code == 200
    assert f"Join {bank.name_en}" in _text(page)
    response = client.post(
        _accept_url(invitation),
        {"username": "li", "display_name": "李", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get(username="li")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert user.memberships.get().organization == bank


def test_accept_page_shows_password_rule_errors(client, bank_admin, bank):
    invitation = invitation_create(actor=bank_admin, organization=bank, email="li@example.com", role=Role.STAFF)
    response = client.post(_accept_url(invitation), {"username": "li", "password1": "li", "password2": "li"})
    assert response.status_code == 400
    assert "This password is too short." in _text(response)
    assert not User.objects.filter(username="li").exists()
    differ = client.post(
        _accept_url(invitation), {"username": "li", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "!"}
    )
    assert "The two passwords differ." in _text(differ)


def test_signed_in_person_accepts_with_one_click(client, bank_admin, bank, other_bank_admin):
    invitation = invitation_create(actor=bank_admin, organization=bank, email=other_bank_admin.email, role=Role.VIEWER)
    client.force_login(other_bank_admin)
    page = client.get(_accept_url(invitation))
    assert "Accepting adds this organisation to your account." in _text(page)
    assert client.post(_accept_url(invitation)).status_code == 302
    assert other_bank_admin.memberships.filter(organization=bank, role=Role.VIEWER).exists()


def test_signed_in_member_gets_a_clear_page(client, bank_admin, bank, bank_staff):
    invitation = invitation_create(actor=bank_admin, organization=bank, email="z@example.com", role=Role.VIEWER)
    client.force_login(bank_staff)
    response = client.post(_accept_url(invitation))
    assert response.status_code == 409
    assert "You are already a member of this organisation." in _text(response)


@pytest.mark.parametrize(
    ("state", "status", "message"),
    [
        ("expired", 410, "This invitation has expired. Ask the organisation for a new one."),
        ("used", 410, "This invitation has already been used."),
        ("revoked", 410, "This invitation was revoked by the organisation."),
    ],
)
def test_closed_invitations_get_a_clear_page(client, bank_admin, bank, state, status, message):
    invitation = invitation_create(actor=bank_admin, organization=bank, email="x@example.com", role=Role.STAFF)
    if state == "expired":
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    elif state == "used":
        Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now())
    else:
        invitation_revoke(actor=bank_admin, invitation=invitation)
    users = User.objects.count()
    for response in (
        client.get(_accept_url(invitation)),
        client.post(_accept_url(invitation), {"username": "x", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}),
    ):
        assert response.status_code == status
        assert message in _text(response)
    assert User.objects.count() == users


def test_unknown_invitation_link_is_404_with_a_clear_page(client, db):
    response = client.get(reverse("accounts:invitation_accept", kwargs={"token": "nope"}))
    assert response.status_code == 404
    assert "This invitation link is not valid." in _text(response)


def test_invitation_email_link_opens_the_accept_page(client, bank_admin, bank, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(actor=bank_admin, organization=bank, email="x@example.com", role=Role.STAFF)
    path = re.search(r"http://127\.0\.0\.1:8000(/accounts/invite/[\w-]+/)", mail.outbox[0].body).group(1)
    assert client.get(path).status_code == 200


# --- both languages -------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_pages_render_in_both_languages(client, bank_admin, bank, language, settings):
    settings.LANGUAGE_CODE = language
    client.force_login(bank_admin)
    for url in (
        reverse("accounts:token"),
        reverse("accounts:password_change"),
        reverse("accounts:organizations"),
        reverse("accounts:members", kwargs={"pk": bank.pk}),
    ):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        assert f'<html lang="{language}">' in _text(response)
