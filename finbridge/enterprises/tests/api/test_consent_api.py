"""The consents API: grant, list, revoke with immediate effect on what the institution sees, errors and
the permission matrix of every organisation type and role."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.tests.factories import MembershipFactory, OrganizationFactory
from finbridge.audit.models import AuditEvent
from finbridge.enterprises.models import Consent
from finbridge.enterprises.tests.api.matrix import (
    ACTOR_CASES,
    CONSENT_ENDPOINTS,
    WRITE_ENDPOINTS,
    build_world,
    call,
    expected_status,
)
from finbridge.enterprises.tests.factories import ConsentFactory
from finbridge.enterprises.tests.registry_setup import build_registry

pytestmark = pytest.mark.django_db

CONSENTS_URL = "/api/v1/consents/"


@pytest.fixture
def reg():
    return build_registry()


def as_user(client, user):
    client.force_authenticate(user)
    return client


def enterprise_url(enterprise) -> str:
    return f"/api/v1/enterprises/{enterprise.pk}/"


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code
    return body


def test_grant_then_revoke_takes_effect_at_once_for_the_institution(reg, api_client):
    owner, banker = reg.user("msme", Role.ADMIN), reg.user("guarantor")
    assert_error(as_user(api_client, banker).get(enterprise_url(reg.factory)), 404, "not_found")

    response = as_user(api_client, owner).post(
        CONSENTS_URL, {"grantee": reg.guarantor.pk, "scope": "financials"}, format="json"
    )
    assert response.status_code == 201, response.content
    consent = response.json()
    assert (consent["enterprise"], consent["grantee"], consent["state"]) == (reg.factory.pk, reg.guarantor.pk, "active")

    as_user(api_client, banker)
    assert api_client.get(enterprise_url(reg.factory)).status_code == 200
    assert api_client.get(enterprise_url(reg.factory)).json()["annual_revenue"] == "30000000.00"
    assert [c["id"] for c in api_client.get(CONSENTS_URL).json()["results"]] == [consent["id"]]

    revoked = as_user(api_client, owner).post(f"{CONSENTS_URL}{consent['id']}/revoke/")
    assert revoked.status_code == 200, revoked.content
    assert revoked.json()["state"] == "revoked"

    as_user(api_client, banker)
    assert_error(api_client.get(enterprise_url(reg.factory)), 404, "not_found")
    assert_error(api_client.get(f"{CONSENTS_URL}{consent['id']}/"), 404, "not_found")
    assert api_client.get("/api/v1/enterprises/").json()["count"] == 0
    assert api_client.get(CONSENTS_URL).json()["count"] == 0


def test_a_branch_sees_through_its_head_office_consent_until_revoked(reg, api_client):
    branch_user = reg.user("branch")
    assert as_user(api_client, branch_user).get(enterprise_url(reg.factory)).status_code == 200
    consent = Consent.objects.get(grantee=reg.head)
    assert as_user(api_client, reg.user("msme")).post(f"{CONSENTS_URL}{consent.pk}/revoke/").status_code == 200
    assert_error(as_user(api_client, branch_user).get(enterprise_url(reg.factory)), 404, "not_found")


def test_an_expired_consent_no_longer_opens_the_record(reg, api_client):
    ConsentFactory(
        enterprise=reg.shop, grantee=reg.guarantor, expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert_error(as_user(api_client, reg.user("guarantor")).get(enterprise_url(reg.shop)), 404, "not_found")


def test_granting_again_replaces_the_live_consent(reg, api_client):
    previous = Consent.objects.get(grantee=reg.head)
    response = as_user(api_client, reg.user("msme")).post(
        CONSENTS_URL, {"enterprise": reg.factory.pk, "grantee": reg.head.pk, "scope": "profile"}, format="json"
    )
    assert response.status_code == 201, response.content
    previous.refresh_from_db()
    assert previous.revoked_at is not None
    states = {c["id"]: c["state"] for c in api_client.get(CONSENTS_URL).json()["results"]}
    assert states == {previous.pk: "revoked", response.json()["id"]: "active"}
    assert api_client.get(CONSENTS_URL, {"state": "active"}).json()["count"] == 1
    assert as_user(api_client, reg.user("head")).get(enterprise_url(reg.factory)).json()["annual_revenue"] is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"scope": "profile"}, "grantee"),
        ({"grantee": 10**9}, "grantee"),
        ({"grantee": "abc"}, "grantee"),
        ({"grantee": "district"}, "grantee"),
        ({"grantee": "guarantor", "scope": "all"}, "scope"),
        ({"grantee": "guarantor", "expires_on": "2000-01-01"}, "expires_on"),
        ({"grantee": "guarantor", "expires_on": "tomorrow"}, "expires_on"),
        ({"grantee": "guarantor", "enterprise": "software"}, "enterprise"),
        ({"grantee": "guarantor", "colour": "red"}, "colour"),
    ],
)
def test_bad_grant_is_400_and_changes_nothing(reg, api_client, payload, field):
    data = {
        key: (getattr(reg, value).pk if key in ("grantee", "enterprise") and hasattr(reg, str(value)) else value)
        for key, value in payload.items()
    }
    count = Consent.objects.count()
    body = assert_error(
        as_user(api_client, reg.user("msme")).post(CONSENTS_URL, data, format="json"), 400, "validation_failed"
    )
    assert field in body["fields"]
    assert Consent.objects.count() == count
    assert not AuditEvent.objects.exists()


def test_a_member_of_two_msmes_must_name_the_enterprise(reg, api_client):
    second = OrganizationFactory(org_type=OrgType.MSME)
    reg.shop.organization = second
    reg.shop.save()
    user = reg.user("msme")
    MembershipFactory(user=user, organization=second)
    body = assert_error(
        as_user(api_client, user).post(CONSENTS_URL, {"grantee": reg.guarantor.pk}, format="json"),
        400,
        "validation_failed",
    )
    assert "enterprise" in body["fields"]


def test_revoking_twice_is_409(reg, api_client):
    consent = Consent.objects.get(grantee=reg.head)
    client = as_user(api_client, reg.user("msme"))
    assert client.post(f"{CONSENTS_URL}{consent.pk}/revoke/").status_code == 200
    assert_error(client.post(f"{CONSENTS_URL}{consent.pk}/revoke/"), 409, "consent_already_revoked")


def test_grantee_may_not_revoke(reg, api_client):
    consent = Consent.objects.get(grantee=reg.head)
    assert_error(
        as_user(api_client, reg.user("head", Role.ADMIN)).post(f"{CONSENTS_URL}{consent.pk}/revoke/"),
        403,
        "permission_denied",
    )
    consent.refresh_from_db()
    assert consent.revoked_at is None


def test_consent_list_per_organisation(reg, api_client):
    to_head = Consent.objects.get(grantee=reg.head).pk
    to_other = Consent.objects.get(grantee=reg.other_bank).pk

    def ids(org: str) -> set[int]:
        return {c["id"] for c in as_user(api_client, reg.user(org)).get(CONSENTS_URL).json()["results"]}

    assert ids("msme") == {to_head}
    assert ids("branch") == {to_head}
    assert ids("other_bank") == {to_other}
    assert ids("guarantor") == set()
    assert ids("district") == {to_head, to_other}
    assert ids("so_s1") == {to_head}


# ---- permission matrix ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("org_type", "role"), ACTOR_CASES)
@pytest.mark.parametrize("endpoint", CONSENT_ENDPOINTS)
def test_permission_matrix(api_client, org_type, role, endpoint):
    world = build_world(org_type, role)
    expected = expected_status(endpoint, org_type, role)
    consents = list(Consent.objects.order_by("pk").values_list("pk", "revoked_at"))
    response = call(as_user(api_client, world.user), endpoint, world)
    assert response.status_code == expected, (org_type, role, endpoint, response.content)
    if expected == 403:
        assert response.json()["code"] == "permission_denied"
        assert list(Consent.objects.order_by("pk").values_list("pk", "revoked_at")) == consents
        assert not AuditEvent.objects.exists()
    elif endpoint in WRITE_ENDPOINTS:
        assert AuditEvent.objects.filter(actor=world.user).exists()


@pytest.mark.parametrize("org_type", [t for t in OrgType if t != OrgType.DISTRICT_AUTHORITY])
@pytest.mark.parametrize("endpoint", ["consent_retrieve", "consent_revoke"])
def test_a_hidden_consent_is_404(api_client, org_type, endpoint):
    world = build_world(org_type, Role.ADMIN)
    response = call(as_user(api_client, world.user), endpoint, world, hidden=True)
    assert_error(response, 404, "not_found")
    world.hidden_consent.refresh_from_db()
    assert world.hidden_consent.revoked_at is None


def test_an_inactive_institution_is_not_a_grantee(reg, api_client):
    closed = OrganizationFactory(org_type=OrgType.INVESTOR, is_active=False)
    body = assert_error(
        as_user(api_client, reg.user("msme")).post(CONSENTS_URL, {"grantee": closed.pk}, format="json"),
        400,
        "validation_failed",
    )
    assert "grantee" in body["fields"]
