"""The organisations, members and invitations API, and the invitation flow end to end."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from finbridge.accounts.choices import BankTier, OrgType, Role
from finbridge.accounts.models import Invitation, Membership, Organization, User
from finbridge.accounts.tests.factories import MembershipFactory, OrganizationFactory, SubdistrictFactory
from finbridge.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

ORGS = "/api/v1/organizations/"
ACCEPT = "/api/v1/invitations/accept/"
NEW_PASSWORD = "Tangerine-Lantern-42"


def members_url(org, pk=None):
    return f"{ORGS}{org.pk}/members/" + (f"{pk}/" if pk else "")


def invitations_url(org):
    return f"{ORGS}{org.pk}/invitations/"


# --- organisations --------------------------------------------------------------------------------


def test_district_authority_lists_every_organisation_and_filters_by_type(api_client, district_staff, bank, other_bank):
    insurer = OrganizationFactory(org_type=OrgType.INSURER, bank_tier="")
    api_client.force_login(district_staff)
    body = api_client.get(ORGS).json()
    assert body["count"] == Organization.objects.count() == 4
    banks = api_client.get(ORGS, {"org_type": "bank"}).json()["results"]
    assert {o["id"] for o in banks} == {bank.pk, other_bank.pk}
    assert api_client.get(f"{ORGS}{insurer.pk}/").status_code == 200


def test_others_see_only_their_own_organisations(api_client, bank_staff, bank, other_bank):
    api_client.force_login(bank_staff)
    body = api_client.get(ORGS).json()
    assert [o["id"] for o in body["results"]] == [bank.pk]
    assert body["results"][0]["bank_tier"] == "head_office"
    response = api_client.get(f"{ORGS}{other_bank.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_bad_type_filter_is_a_400(api_client, bank_staff):
    api_client.force_login(bank_staff)
    response = api_client.get(ORGS, {"org_type": "planet"})
    assert response.status_code == 400
    assert "org_type" in response.json()["fields"]


def test_district_admin_creates_a_branch_by_api(api_client, district_admin, bank):
    api_client.force_login(district_admin)
    payload = {"name": "科技支行", "org_type": "bank", "bank_tier": "scitech_branch", "parent": bank.pk}
    response = api_client.post(ORGS, payload, format="json")
    assert response.status_code == 201
    created = Organization.objects.get(pk=response.json()["id"])
    assert (created.parent, created.bank_tier) == (bank, BankTier.SCITECH_BRANCH)


def test_create_with_broken_rules_answers_field_errors_and_creates_nothing(api_client, district_admin):
    api_client.force_login(district_admin)
    count = Organization.objects.count()
    response = api_client.post(
        ORGS,
        {
            "name": "局",
            "org_type": "industry_authority",
            "industry_sectors": ["Q9"],
            "subdistrict": SubdistrictFactory().pk,
        },
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["fields"]["industry_sectors"] == ["Q9 is not a GB/T 4754-2017 industry code."]
    assert body["fields"]["subdistrict"] == ["Only subdistrict offices have a subdistrict."]
    assert Organization.objects.count() == count


def test_create_is_refused_without_manage_organizations(api_client, district_staff, bank_admin):
    for actor in (district_staff, bank_admin):
        api_client.force_login(actor)
        response = api_client.post(ORGS, {"name": "x", "org_type": "insurer"}, format="json")
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
    assert not Organization.objects.filter(name="x").exists()


# --- members --------------------------------------------------------------------------------------


def test_admin_lists_changes_and_removes_members(api_client, bank_admin, bank_staff, bank):
    api_client.force_login(bank_admin)
    listed = api_client.get(members_url(bank)).json()["results"]
    assert {(m["user"]["username"], m["role"]) for m in listed} == {
        (bank_admin.username, "admin"),
        (bank_staff.username, "staff"),
    }
    membership = bank_staff.memberships.get()
    changed = api_client.patch(members_url(bank, membership.pk), {"role": "reviewer"}, format="json")
    assert changed.status_code == 200
    assert changed.json()["role"] == "reviewer"
    assert api_client.delete(members_url(bank, membership.pk)).status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_removed_member_no_longer_sees_the_organisation_on_the_next_request(api_client, bank_admin, bank_staff, bank):
    from rest_framework.test import APIClient

    staff_client = APIClient()
    staff_client.force_login(bank_staff)
    assert staff_client.get(f"{ORGS}{bank.pk}/").status_code == 200
    api_client.force_login(bank_admin)
    api_client.delete(members_url(bank, bank_staff.memberships.get().pk))
    # Without any membership the person holds no permission code at all: 403 rather than 404.
    assert staff_client.get(f"{ORGS}{bank.pk}/").status_code == 403
    assert staff_client.get(ORGS).status_code == 403
    me = staff_client.get("/api/v1/me/").json()
    assert (me["memberships"], me["permissions"]) == ([], [])


def test_removed_member_keeps_only_their_other_organisation(api_client, bank_admin, bank_staff, bank, other_bank):
    from rest_framework.test import APIClient

    MembershipFactory(user=bank_staff, organization=other_bank, role=Role.STAFF)
    staff_client = APIClient()
    staff_client.force_login(bank_staff)
    assert {o["id"] for o in staff_client.get(ORGS).json()["results"]} == {bank.pk, other_bank.pk}
    api_client.force_login(bank_admin)
    assert api_client.delete(members_url(bank, bank_staff.memberships.get(organization=bank).pk)).status_code == 204
    assert staff_client.get(f"{ORGS}{bank.pk}/").status_code == 404
    assert [o["id"] for o in staff_client.get(ORGS).json()["results"]] == [other_bank.pk]


def test_last_admin_is_protected_in_the_api(api_client, bank_admin, bank):
    api_client.force_login(bank_admin)
    own = bank_admin.memberships.get()
    demote = api_client.patch(members_url(bank, own.pk), {"role": "staff"}, format="json")
    assert demote.status_code == 409
    assert demote.json()["code"] == "last_admin"
    assert api_client.delete(members_url(bank, own.pk)).status_code == 409
    own.refresh_from_db()
    assert own.role == Role.ADMIN


def test_bad_role_is_a_400(api_client, bank_admin, bank_staff, bank):
    api_client.force_login(bank_admin)
    response = api_client.patch(members_url(bank, bank_staff.memberships.get().pk), {"role": "boss"}, format="json")
    assert response.status_code == 400
    assert "role" in response.json()["fields"]


def test_another_organisations_members_are_404_and_untouched(api_client, bank_admin, other_bank, other_bank_admin):
    api_client.force_login(bank_admin)
    membership = other_bank_admin.memberships.get()
    assert api_client.get(members_url(other_bank)).status_code == 404
    assert (
        api_client.patch(members_url(other_bank, membership.pk), {"role": "viewer"}, format="json").status_code == 404
    )
    assert api_client.delete(members_url(other_bank, membership.pk)).status_code == 404
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN


def test_a_membership_of_another_organisation_is_404_under_yours(api_client, bank_admin, bank, other_bank_admin):
    api_client.force_login(bank_admin)
    foreign = other_bank_admin.memberships.get()
    assert api_client.delete(members_url(bank, foreign.pk)).status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()


def test_staff_may_not_manage_their_own_organisation(api_client, bank_staff, bank):
    api_client.force_login(bank_staff)
    assert api_client.get(members_url(bank)).status_code == 403
    assert api_client.get(invitations_url(bank)).status_code == 403


# --- invitations and the accept flow --------------------------------------------------------------


def _token_from(message) -> str:
    match = re.search(r"/accounts/invite/([\w-]+)/", message.body)
    assert match, message.body
    return match.group(1)


def test_invitation_flow_end_to_end(api_client, bank_admin, bank, django_capture_on_commit_callbacks):
    api_client.force_login(bank_admin)
    with django_capture_on_commit_callbacks(execute=True):
        created = api_client.post(
            invitations_url(bank), {"email": "wang.fang@example.com", "role": "reviewer"}, format="json"
        )
    assert created.status_code == 201
    assert created.json()["status"] == "open"
    assert "token" not in created.json()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["wang.fang@example.com"]
    assert message.subject == f"Invitation to join {bank.name_en} on FinBridge"
    assert f"{bank_admin} invites you to join {bank.name_en} on FinBridge as Reviewer." in message.body
    assert "http://testserver/accounts/invite/" in message.body
    token = _token_from(message)

    api_client.logout()
    accepted = api_client.post(
        ACCEPT,
        {"token": token, "username": "wangfang", "password": NEW_PASSWORD, "display_name": "王芳"},
        format="json",
    )
    assert accepted.status_code == 201
    body = accepted.json()
    assert body["user"]["username"] == "wangfang"
    assert body["user"]["email"] == "wang.fang@example.com"
    assert body["membership"]["organization_id"] == bank.pk
    assert body["membership"]["role"] == "reviewer"

    obtained = api_client.post("/api/v1/auth/token/", {"username": "wangfang", "password": NEW_PASSWORD}, format="json")
    assert obtained.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {obtained.json()['token']}")
    me = api_client.get("/api/v1/me/").json()
    assert [(m["organization_id"], m["role"]) for m in me["memberships"]] == [(bank.pk, "reviewer")]

    again = api_client.post(ACCEPT, {"token": token, "username": "other", "password": NEW_PASSWORD}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "invitation_used"
    assert not User.objects.filter(username="other").exists()

    api_client.credentials()
    api_client.force_login(bank_admin)
    listed = api_client.get(invitations_url(bank)).json()["results"]
    assert [(i["email"], i["status"]) for i in listed] == [("wang.fang@example.com", "accepted")]


def test_signed_in_person_accepts_by_token_auth(api_client, bank_admin, bank, other_bank_admin, other_bank):
    from finbridge.accounts.services import api_token_obtain, invitation_create

    invitation = invitation_create(actor=bank_admin, organization=bank, email=other_bank_admin.email, role=Role.VIEWER)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_obtain(actor=other_bank_admin).key}")
    response = api_client.post(ACCEPT, {"token": invitation.token}, format="json")
    assert response.status_code == 201
    assert response.json()["user"]["id"] == other_bank_admin.pk
    assert set(other_bank_admin.memberships.values_list("organization", flat=True)) == {bank.pk, other_bank.pk}


def test_accept_with_a_weak_password_answers_field_errors(api_client, bank_admin, bank):
    from finbridge.accounts.services import invitation_create

    invitation = invitation_create(actor=bank_admin, organization=bank, email="x@example.com", role=Role.STAFF)
    users = User.objects.count()
    response = api_client.post(
        ACCEPT, {"token": invitation.token, "username": "xuser", "password": "123"}, format="json"
    )
    assert response.status_code == 400
    assert "password" in response.json()["fields"]
    assert User.objects.count() == users


def test_accept_with_an_unknown_token_is_404(api_client, db):
    response = api_client.post(ACCEPT, {"token": "unknown", "username": "u", "password": NEW_PASSWORD}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "invitation_not_found"


def test_revoke_by_api(api_client, bank_admin, bank):
    from finbridge.accounts.services import invitation_create

    invitation = invitation_create(actor=bank_admin, organization=bank, email="x@example.com", role=Role.STAFF)
    api_client.force_login(bank_admin)
    url = f"{invitations_url(bank)}{invitation.pk}/revoke/"
    response = api_client.post(url)
    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    assert api_client.post(url).status_code == 409
    accepted = api_client.post(
        ACCEPT, {"token": invitation.token, "username": "x", "password": NEW_PASSWORD}, format="json"
    )
    assert accepted.json()["code"] == "invitation_revoked"


def test_inviting_into_another_organisation_is_404_and_sends_nothing(
    api_client, bank_admin, other_bank, django_capture_on_commit_callbacks
):
    api_client.force_login(bank_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            invitations_url(other_bank), {"email": "x@example.com", "role": "admin"}, format="json"
        )
    assert response.status_code == 404
    assert not Invitation.objects.exists()
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(action="invitation_create").exists()


def test_duplicate_invitation_is_409(api_client, bank_admin, bank, bank_staff):
    api_client.force_login(bank_admin)
    response = api_client.post(invitations_url(bank), {"email": bank_staff.email, "role": "staff"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "already_member"


def test_district_admin_invites_the_first_admin_of_a_new_organisation(api_client, district_admin):
    api_client.force_login(district_admin)
    org_id = api_client.post(ORGS, {"name": "担保公司", "org_type": "guarantor"}, format="json").json()["id"]
    organization = Organization.objects.get(pk=org_id)
    response = api_client.post(
        invitations_url(organization), {"email": "boss@example.com", "role": "admin"}, format="json"
    )
    assert response.status_code == 201
    MembershipFactory(organization=organization, role=Role.ADMIN)
    assert api_client.get(members_url(organization)).json()["count"] == 1
