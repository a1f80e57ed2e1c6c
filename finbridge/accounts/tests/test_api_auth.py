"""API authentication: obtaining, using and revoking tokens; the current person; changing one's password."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.services import api_token_obtain, api_token_revoke, api_token_rotate, user_password_change
from finbridge.accounts.tests.conftest import PASSWORD, fresh
from finbridge.accounts.tests.factories import MembershipFactory, member_of
from finbridge.audit.models import AuditEvent
from finbridge.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/me/"
NEW_PASSWORD = "Tangerine-Lantern-42"


def _obtain(client, username, password=PASSWORD):
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json")


def test_obtain_token_then_use_it(api_client, bank_staff, bank):
    response = _obtain(api_client, bank_staff.username)
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=bank_staff).key == token
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api_client.get(ME_URL)
    assert me.status_code == 200
    body = me.json()
    assert body["username"] == bank_staff.username
    assert body["memberships"] == [
        {
            "organization_id": bank.pk,
            "organization_name": bank.name_en,
            "org_type": "bank",
            "bank_tier": "head_office",
            "role": "staff",
        }
    ]
    assert "enterprises.view_enterprise" in body["permissions"]
    assert "accounts.manage_members" not in body["permissions"]


def test_obtaining_twice_returns_the_same_token_and_records_last_login(api_client, bank_staff):
    first = _obtain(api_client, bank_staff.username).json()["token"]
    second = _obtain(api_client, bank_staff.username).json()["token"]
    assert first == second
    assert fresh(bank_staff).last_login is not None
    assert AuditEvent.objects.filter(action="api_token_create").count() == 1


@pytest.mark.parametrize(
    "payload",
    [
        {"username": "nobody", "password": PASSWORD},
        {"username": "__existing__", "password": "wrong-password-123"},
    ],
)
def test_bad_credentials_answer_400_in_the_error_format(api_client, bank_staff, payload):
    if payload["username"] == "__existing__":
        payload = {**payload, "username": bank_staff.username}
    response = api_client.post(TOKEN_URL, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_credentials"
    assert body["message"] == "Unable to sign in with this username and password."
    assert body["fields"] == {"non_field_errors": ["Unable to sign in with this username and password."]}
    assert not Token.objects.exists()


def test_missing_fields_answer_400_with_field_messages(api_client):
    response = api_client.post(TOKEN_URL, {"username": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_failed"
    assert "password" in response.json()["fields"]


def test_inactive_person_gets_no_token(api_client, bank_staff):
    bank_staff.is_active = False
    bank_staff.save()
    assert _obtain(api_client, bank_staff.username).status_code == 400
    assert not Token.objects.exists()


def test_obtaining_needs_no_csrf_token_even_with_a_session(bank_staff):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(bank_staff)
    assert _obtain(client, bank_staff.username).status_code == 200


def test_delete_revokes_the_token(api_client, bank_staff):
    token = _obtain(api_client, bank_staff.username).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.delete(TOKEN_URL).status_code == 204
    assert not Token.objects.filter(user=bank_staff).exists()
    response = api_client.get(ME_URL)
    # A revoked token is refused with 401 (token authentication comes first in the settings).
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_delete_needs_authentication(api_client):
    response = api_client.delete(TOKEN_URL)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_me_needs_authentication(api_client):
    response = api_client.get(ME_URL)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_me_with_session_lists_every_membership_and_the_union_of_codes(api_client):
    user = member_of(OrgType.DISTRICT_AUTHORITY, Role.VIEWER)
    bank_membership = MembershipFactory(user=user, role=Role.ADMIN)
    api_client.force_login(user)
    body = api_client.get(ME_URL).json()
    assert {m["organization_id"] for m in body["memberships"]} == {
        user.memberships.exclude(pk=bank_membership.pk).get().organization_id,
        bank_membership.organization_id,
    }
    assert {"audit.view_audit", "accounts.manage_members"} <= set(body["permissions"])
    assert "accounts.manage_organizations" not in body["permissions"]


def test_district_admin_holds_manage_organizations(api_client, district_admin):
    api_client.force_login(district_admin)
    assert "accounts.manage_organizations" in api_client.get(ME_URL).json()["permissions"]


# --- password change (API and service) ------------------------------------------------------------


def test_api_password_change_applies_the_rules_and_revokes_the_token(api_client, bank_staff):
    token = api_token_obtain(actor=bank_staff)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    weak = api_client.post("/api/v1/me/password/", {"old_password": PASSWORD, "new_password": "short"}, format="json")
    assert weak.status_code == 400
    assert weak.json()["fields"]["new_password"][0].startswith("This password is too short")
    assert fresh(bank_staff).check_password(PASSWORD)
    ok = api_client.post(
        "/api/v1/me/password/", {"old_password": PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )
    assert ok.status_code == 204
    assert fresh(bank_staff).check_password(NEW_PASSWORD)
    assert not Token.objects.filter(user=bank_staff).exists()
    assert api_client.get(ME_URL).json()["code"] == "authentication_failed"


def test_wrong_current_password_changes_nothing(bank_staff):
    with pytest.raises(ValidationFailed) as info:
        user_password_change(actor=bank_staff, old_password="wrong", new_password=NEW_PASSWORD)
    assert "old_password" in info.value.fields
    assert fresh(bank_staff).check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action="user_password_change").exists()


@pytest.mark.parametrize(
    ("password", "message_start"),
    [
        ("Ab1-xyz", "This password is too short. It must contain at least 10 characters."),
        ("12345678901", "This password is entirely numeric."),
        ("password12", "This password is too common."),
    ],
)
def test_password_rules_of_the_settings(bank_staff, password, message_start):
    with pytest.raises(ValidationFailed) as info:
        user_password_change(actor=bank_staff, old_password=PASSWORD, new_password=password)
    assert any(m.startswith(message_start) for m in info.value.fields["new_password"])
    assert fresh(bank_staff).check_password(PASSWORD)


def test_password_similar_to_the_username_is_refused(db):
    user = member_of(OrgType.BANK, Role.STAFF)
    user.username = "zhangwei2024"
    user.save()
    with pytest.raises(ValidationFailed) as info:
        user_password_change(actor=user, old_password=PASSWORD, new_password="zhangwei2024")
    assert "too similar" in info.value.fields["new_password"][0]


def test_rotate_replaces_and_revoke_deletes(bank_staff):
    first = api_token_obtain(actor=bank_staff)
    second = api_token_rotate(actor=bank_staff)
    assert first.key != second.key
    assert list(Token.objects.filter(user=bank_staff).values_list("key", flat=True)) == [second.key]
    assert api_token_revoke(actor=bank_staff) is True
    assert api_token_revoke(actor=bank_staff) is False
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["api_token_create", "api_token_rotate", "api_token_revoke"]
    assert all(first.key not in str(e.after) for e in AuditEvent.objects.all())
