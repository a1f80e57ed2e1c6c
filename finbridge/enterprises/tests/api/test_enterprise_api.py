"""The enterprises API: list and search, create, PUT/PATCH, history, verify, figures, contacts, the error
format and the permission matrix of every organisation type and role."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token

from finbridge.accounts.choices import OrgType, Role
from finbridge.audit.models import AuditEvent
from finbridge.enterprises.models import Enterprise, EnterpriseContact, EnterpriseFinancials
from finbridge.enterprises.tests.api.matrix import (
    ACTOR_CASES,
    DETAIL_ENDPOINTS,
    ENTERPRISE_ENDPOINTS,
    EXPECTED,
    WRITE_ENDPOINTS,
    build_world,
    call,
    expected_status,
)
from finbridge.enterprises.tests.factories import ContactFactory, FinancialsFactory, valid_uscc
from finbridge.enterprises.tests.registry_setup import build_registry, new_enterprise_data

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/enterprises/"


@pytest.fixture
def reg():
    return build_registry()


def as_user(client, user):
    client.force_authenticate(user)
    return client


def detail(enterprise, suffix: str = "") -> str:
    return f"{LIST_URL}{enterprise.pk}/{suffix}"


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code
    assert body["message"]
    return body


# ---- list, search, filters, pagination -----------------------------------------------------------------------


def test_list_is_paginated_and_limited_to_visible_rows(reg, api_client):
    body = as_user(api_client, reg.user("district")).get(LIST_URL, {"page_size": 2}).json()
    assert body["count"] == 3
    assert body["count_capped"] is False
    assert len(body["results"]) == 2
    assert body["next"]
    assert [row["name"] for row in body["results"]] == sorted(row["name"] for row in body["results"])

    body = as_user(api_client, reg.user("so_s1")).get(LIST_URL).json()
    assert [row["uscc"] for row in body["results"]] == [reg.factory.uscc]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "马峦"}, {"software", "shop"}),
        ({"q": "battery parts"}, {"factory"}),
        ({"q": valid_uscc(102).lower()}, {"software"}),
        ({"subdistrict": "440310002"}, {"software", "shop"}),
        ({"cluster": "new-energy-vehicles"}, {"factory"}),
        ({"size_class": "micro"}, {"software"}),
        ({"label": "high_tech"}, {"factory"}),
        ({"verification": "never"}, {"factory", "software", "shop"}),
        ({"verification": "due"}, set()),
        ({"industry": "I65"}, {"software"}),
        ({"industry": "F", "q": "便利"}, {"shop"}),
    ],
)
def test_list_filters(reg, api_client, params, expected):
    rows = as_user(api_client, reg.user("district")).get(LIST_URL, params).json()["results"]
    assert {row["uscc"] for row in rows} == {getattr(reg, name).uscc for name in expected}


@pytest.mark.parametrize(
    ("params", "field"),
    [({"size_class": "huge"}, "size_class"), ({"label": "x"}, "label"), ({"ordering": "revenue"}, "ordering")],
)
def test_bad_filter_is_400_with_fields(reg, api_client, params, field):
    body = assert_error(as_user(api_client, reg.user("district")).get(LIST_URL, params), 400, "validation_failed")
    assert field in body["fields"]


def test_ordering_parameter(reg, api_client):
    rows = as_user(api_client, reg.user("district")).get(LIST_URL, {"ordering": "-uscc"}).json()["results"]
    assert [row["uscc"] for row in rows] == sorted((row["uscc"] for row in rows), reverse=True)


# ---- representation and figure hiding -----------------------------------------------------------------------------


def test_retrieve_fields_and_decimal_strings(reg, api_client):
    body = as_user(api_client, reg.user("ia_c")).get(detail(reg.factory)).json()
    assert body["uscc"] == reg.factory.uscc
    assert body["subdistrict"] == "440310001"
    assert body["clusters"] == ["new-energy-vehicles"]
    assert body["industry_code"] == "C3670"
    assert body["industry_name"]
    assert body["annual_revenue"] == "30000000.00"
    assert body["total_assets"] == "20000000.00"
    assert body["registered_capital"] == "5000000.00"
    assert body["employees"] == 50
    assert body["size_class"] == "small"
    assert body["is_high_tech"] is True
    assert body["managing_authority"] == reg.ia_c.pk
    assert body["verification_state"] == "never"
    assert body["financials_visible"] is True


def test_profile_consent_hides_figures_and_financials_consent_shows_them(reg, api_client):
    profile_only = as_user(api_client, reg.user("other_bank")).get(detail(reg.software)).json()
    assert profile_only["financials_visible"] is False
    assert profile_only["annual_revenue"] is None
    assert profile_only["total_assets"] is None
    assert profile_only["registered_capital"] is None
    assert profile_only["name"] == reg.software.name
    listed = api_client.get(LIST_URL).json()["results"]
    assert [(row["annual_revenue"], row["financials_visible"]) for row in listed] == [(None, False)]
    assert_error(api_client.get(detail(reg.software, "financials/")), 403, "financials_not_shared")

    with_figures = as_user(api_client, reg.user("branch")).get(detail(reg.factory)).json()
    assert with_figures["financials_visible"] is True
    assert with_figures["annual_revenue"] == "30000000.00"


# ---- create, update ------------------------------------------------------------------------------------------------


def test_create_returns_the_record_with_derived_fields(reg, api_client):
    data = new_enterprise_data(clusters=["new-energy-vehicles"], employees=350)
    response = as_user(api_client, reg.user("ia_c")).post(LIST_URL, data, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["size_class"] == "medium"
    assert body["managing_authority"] == reg.ia_c.pk
    assert body["annual_revenue"] == "25000000.00"
    assert body["clusters"] == ["new-energy-vehicles"]
    assert Enterprise.objects.filter(uscc=valid_uscc(555)).exists()


def test_json_numbers_are_read_as_exact_decimals(reg, api_client):
    body = (
        as_user(api_client, reg.user("district"))
        .post(
            LIST_URL,
            data=b'{"uscc": "%s", "name": "\\u7cbe\\u786e", "industry_code": "C3670", "annual_revenue": 1234567890123.07}'
            % valid_uscc(777).encode(),
            content_type="application/json",
        )
        .json()
    )
    assert body["annual_revenue"] == "1234567890123.07"
    assert Enterprise.objects.get(uscc=valid_uscc(777)).annual_revenue == Decimal("1234567890123.07")


def test_create_with_bad_input_is_400_with_every_field_and_changes_nothing(reg, api_client):
    count = Enterprise.objects.count()
    data = new_enterprise_data(uscc="9144030071526726X1", industry_code="Q99999", employees="-1", colour="red")
    body = assert_error(
        as_user(api_client, reg.user("district")).post(LIST_URL, data, format="json"), 400, "validation_failed"
    )
    assert set(body["fields"]) == {"uscc", "industry_code", "employees", "colour"}
    assert all(isinstance(m, str) and m for msgs in body["fields"].values() for m in msgs)
    assert Enterprise.objects.count() == count
    assert not AuditEvent.objects.exists()


def test_body_that_is_not_an_object_is_400(reg, api_client):
    assert_error(as_user(api_client, reg.user("district")).post(LIST_URL, [1, 2], format="json"), 400, "invalid_body")
    response = api_client.post(LIST_URL, data=b"{nope", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_create_duplicate_is_409(reg, api_client):
    count = Enterprise.objects.count()
    response = as_user(api_client, reg.user("district")).post(
        LIST_URL, new_enterprise_data(uscc=reg.shop.uscc), format="json"
    )
    body = assert_error(response, 409, "duplicate_uscc")
    assert reg.shop.uscc in body["message"]
    assert Enterprise.objects.count() == count


def test_create_outside_remit_is_400_on_the_deciding_field(reg, api_client):
    response = as_user(api_client, reg.user("so_s1")).post(
        LIST_URL, new_enterprise_data(subdistrict="440310002"), format="json"
    )
    body = assert_error(response, 400, "outside_remit")
    assert "subdistrict" in body["fields"]
    assert not Enterprise.objects.filter(uscc=valid_uscc(555)).exists()


def test_patch_re_derives_size_class(reg, api_client):
    response = as_user(api_client, reg.user("ia_c")).patch(detail(reg.factory), {"employees": 5}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["size_class"] == "micro"
    reg.factory.refresh_from_db()
    assert reg.factory.size_class == "micro"


def test_put_requires_the_required_fields(reg, api_client):
    body = assert_error(
        as_user(api_client, reg.user("ia_c")).put(detail(reg.factory), {"address": "x"}, format="json"),
        400,
        "validation_failed",
    )
    assert set(body["fields"]) == {"uscc", "name", "industry_code"}
    reg.factory.refresh_from_db()
    assert reg.factory.address == ""


def test_the_msme_may_put_back_what_it_got(reg, api_client):
    client = as_user(api_client, reg.user("msme"))
    record = client.get(detail(reg.factory)).json()
    record["legal_representative"] = "李雷"
    record["size_class"] = "large"
    response = client.put(detail(reg.factory), record, format="json")
    assert response.status_code == 200, response.content
    reg.factory.refresh_from_db()
    assert (reg.factory.legal_representative, reg.factory.size_class) == ("李雷", "small")


def test_the_msme_may_not_set_its_own_labels(reg, api_client):
    response = as_user(api_client, reg.user("msme")).patch(
        detail(reg.factory), {"is_little_giant": True}, format="json"
    )
    body = assert_error(response, 403, "field_not_editable")
    assert list(body["fields"]) == ["is_little_giant"]
    reg.factory.refresh_from_db()
    assert reg.factory.is_little_giant is False


def test_403_for_a_visible_record_changes_nothing(reg, api_client):
    response = as_user(api_client, reg.user("head", Role.ADMIN)).patch(
        detail(reg.factory), {"name": "改名"}, format="json"
    )
    assert_error(response, 403, "permission_denied")
    reg.factory.refresh_from_db()
    assert reg.factory.name == "深圳市坪山新能源电池配件有限公司"
    assert not AuditEvent.objects.exists()


def test_anonymous_is_refused(reg, api_client):
    assert_error(api_client.get(LIST_URL), 401, "not_authenticated")
    assert_error(api_client.patch(detail(reg.factory), {"name": "x"}, format="json"), 401, "not_authenticated")


# ---- history, verify, figures, contacts -----------------------------------------------------------------------------


def test_history_via_token_auth_records_and_shows_the_user(reg, api_client):
    user = reg.user("ia_c")
    token = Token.objects.create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert (
        api_client.patch(
            detail(reg.factory), {"employees": 400, "annual_revenue": "50000000"}, format="json"
        ).status_code
        == 200
    )

    assert reg.factory.history.latest().history_user == user
    entries = api_client.get(detail(reg.factory, "history/")).json()
    assert entries[0]["user"] == user.pk
    assert entries[0]["kind"] == "changed"
    changes = {c["field"]: (c["old"], c["new"]) for c in entries[0]["changes"]}
    assert changes["employees"] == ("50", "400")
    assert changes["size_class"] == ("Small", "Medium")


def test_verify_endpoint(reg, api_client):
    response = as_user(api_client, reg.user("so_s1", Role.REVIEWER)).post(detail(reg.factory, "verify/"))
    assert response.status_code == 200, response.content
    assert response.json()["verification_state"] == "current"
    assert response.json()["verification_due_on"]
    assert AuditEvent.objects.filter(action="enterprise_verify").count() == 1


def test_financials_endpoints(reg, api_client):
    client = as_user(api_client, reg.user("msme"))
    response = client.post(
        detail(reg.factory, "financials/"), {"year": 2024, "revenue": "1,000.5", "net_profit": -20}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "year": 2024,
        "revenue": "1000.50",
        "total_assets": None,
        "net_profit": "-20.00",
        "rd_expense": None,
        "employees": None,
    }
    FinancialsFactory(enterprise=reg.factory, year=2022)
    assert [row["year"] for row in client.get(detail(reg.factory, "financials/")).json()] == [2024, 2022]
    body = assert_error(
        client.post(detail(reg.factory, "financials/"), {"revenue": "1"}, format="json"), 400, "validation_failed"
    )
    assert "year" in body["fields"]
    assert client.delete(detail(reg.factory, "financials/2022/")).status_code == 204
    assert_error(client.delete(detail(reg.factory, "financials/2022/")), 404, "not_found")
    assert list(EnterpriseFinancials.objects.values_list("year", flat=True)) == [2024]


def test_contacts_endpoints(reg, api_client):
    client = as_user(api_client, reg.user("ia_c"))
    response = client.post(
        detail(reg.factory, "contacts/"), {"name": "韩梅梅", "email": "han@example.com"}, format="json"
    )
    assert response.status_code == 201, response.content
    contact_id = response.json()["id"]
    assert [c["name"] for c in client.get(detail(reg.factory, "contacts/")).json()] == ["韩梅梅"]
    body = assert_error(
        client.post(detail(reg.factory, "contacts/"), {"email": "bad"}, format="json"), 400, "validation_failed"
    )
    assert set(body["fields"]) == {"name", "email"}

    other = ContactFactory(enterprise=reg.software)
    assert_error(client.delete(detail(reg.factory, f"contacts/{other.pk}/")), 404, "not_found")
    assert client.delete(detail(reg.factory, f"contacts/{contact_id}/")).status_code == 204
    assert list(EnterpriseContact.objects.values_list("pk", flat=True)) == [other.pk]


# ---- 404 for a hidden record, whatever the verb -----------------------------------------------------------------------


@pytest.mark.parametrize("org_type", [t for t in OrgType if t != OrgType.DISTRICT_AUTHORITY])
@pytest.mark.parametrize("endpoint", DETAIL_ENDPOINTS)
def test_a_hidden_record_is_404_for_every_verb(api_client, org_type, endpoint):
    world = build_world(org_type, Role.ADMIN)
    before = (Enterprise.objects.get(pk=world.hidden.pk).name, EnterpriseContact.objects.count())
    response = call(as_user(api_client, world.user), endpoint, world, hidden=True)
    assert_error(response, 404, "not_found")
    assert (Enterprise.objects.get(pk=world.hidden.pk).name, EnterpriseContact.objects.count()) == before
    assert not AuditEvent.objects.exists()


def test_non_numeric_id_is_404(reg, api_client):
    assert_error(as_user(api_client, reg.user("district")).get(f"{LIST_URL}abc/"), 404, "not_found")


# ---- permission matrix -------------------------------------------------------------------------------------------------


def test_the_table_covers_every_endpoint():
    assert set(ENTERPRISE_ENDPOINTS) <= set(EXPECTED)
    assert len(ACTOR_CASES) == len(OrgType) * len(Role)


@pytest.mark.parametrize(("org_type", "role"), ACTOR_CASES)
@pytest.mark.parametrize("endpoint", ENTERPRISE_ENDPOINTS)
def test_permission_matrix(api_client, org_type, role, endpoint):
    world = build_world(org_type, role)
    expected = expected_status(endpoint, org_type, role)
    response = call(as_user(api_client, world.user), endpoint, world)
    assert response.status_code == expected, (org_type, role, endpoint, response.content)
    if expected == 403:
        assert response.json()["code"] in ("permission_denied", "field_not_editable", "financials_not_shared")
        if endpoint in WRITE_ENDPOINTS:
            assert not AuditEvent.objects.exists()
    elif endpoint in WRITE_ENDPOINTS:
        assert AuditEvent.objects.filter(actor=world.user).exists()
