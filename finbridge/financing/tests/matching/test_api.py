"""The matching API: a demand's matches, refreshing them, the institution inbox; the permission matrix."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from finbridge.accounts.choices import Role
from finbridge.financing.choices import DemandStatus
from finbridge.financing.models import DemandMatch
from finbridge.financing.services import matching as services
from finbridge.financing.tests.matching.conftest import make_demand, make_product
from finbridge.financing.tests.setup import make_response


def url(demand, suffix=""):
    return f"/api/v1/demands/{demand.pk}/matches/{suffix}"


@pytest.fixture
def world(market):
    """A demand of `factory` (shown to all) with a fit of `branch`, a fit of `other_bank` and a near miss of
    `branch`; matches computed."""
    market.fit = make_product(market, name="科技贷", name_en="Tech Loan")
    market.other_fit = make_product(market, provider=market.other_bank, name="另一贷", name_en="Other Loan")
    market.near = make_product(market, term_max_months=6, name="短贷", name_en="Short Loan")
    market.demand = make_demand(market)
    services.demand_match_refresh(demand_id=market.demand.pk)
    return market


def login(api_client, user):
    api_client.force_authenticate(user)
    return api_client


# ---- GET matches -------------------------------------------------------------------------------------------------


def test_the_firm_reads_every_match_ranked_with_reasons(world, api_client):
    response = login(api_client, world.firm_user).get(url(world.demand))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    rows = body["results"]
    assert [r["fits"] for r in rows] == [True, True, False]
    assert rows[-1]["product"] == {"id": world.near.pk, "name": "短贷", "name_en": "Short Loan", "kind": "mortgage"}
    first = rows[0]
    assert set(first) == {"product", "provider", "score", "fits", "fast_track", "reasons", "failures", "computed_at"}
    assert isinstance(first["score"], str) and Decimal(first["score"]) > 0
    assert first["fast_track"] is True
    assert {
        "code": "amount_in_range",
        "message": "lends 10.00 ten-thousand yuan to 1,000.00 ten-thousand yuan; this demand asks for 200.00 ten-thousand yuan",
    } in first["reasons"]
    assert rows[-1]["failures"] == [
        {"code": "term_too_long", "message": "terms of at most 6 months; this demand asks for 12 months"}
    ]
    assert Decimal(rows[0]["score"]) >= Decimal(rows[1]["score"])


def test_reasons_come_in_the_callers_language(world, api_client):
    response = login(api_client, world.firm_user).get(url(world.demand), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    near = response.json()["results"][-1]
    assert near["failures"][0]["code"] == "term_too_long"
    assert "6" in near["failures"][0]["message"]


def test_a_bank_reads_only_its_own_products(world, api_client):
    rows = login(api_client, world.branch_user).get(url(world.demand)).json()["results"]
    assert {r["product"]["id"] for r in rows} == {world.fit.pk, world.near.pk}
    assert {r["provider"]["id"] for r in rows} == {world.branch.pk}


def test_a_bank_without_a_financials_consent_does_not_read_the_firms_revenue(world, api_client):
    product = make_product(world, min_annual_revenue=Decimal("50000000.00"))
    services.demand_match_refresh(demand_id=world.demand.pk)
    firm_rows = login(api_client, world.firm_user).get(url(world.demand)).json()["results"]
    firm_row = next(r for r in firm_rows if r["product"]["id"] == product.pk)
    assert "3,000.00" in firm_row["failures"][0]["message"]
    bank_rows = login(api_client, world.branch_user).get(url(world.demand)).json()["results"]
    bank_row = next(r for r in bank_rows if r["product"]["id"] == product.pk)
    assert bank_row["failures"][0]["code"] == "revenue_short"
    assert "3,000.00" not in bank_row["failures"][0]["message"]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("msme", 200),
        (("msme", Role.VIEWER), 200),
        ("district", 200),
        ("ia_c", 200),
        ("so_s1", 200),
        ("so_s2", 404),
        ("other_msme", 404),
        ("branch", 200),
        ("head", 200),
        ("scitech", 200),
        ("other_bank", 200),
        ("guarantor", 200),
        ("insurer", 404),
    ],
)
def test_read_permission_matrix(world, api_client, who, status):
    org, role = who if isinstance(who, tuple) else (who, Role.STAFF)
    response = login(api_client, world.member(org, role)).get(url(world.demand))
    assert response.status_code == status, response.content
    if status == 404:
        assert response.json()["code"] == "not_found"


def test_a_bank_the_demand_is_not_shown_to_gets_404(market, api_client):
    make_product(market, provider=market.other_bank)
    demand = make_demand(market, chosen=[market.head])
    services.demand_match_refresh(demand_id=demand.pk)
    assert login(api_client, market.other_bank_user).get(url(demand)).status_code == 404
    assert login(api_client, market.scitech_user).get(url(demand)).status_code == 200


def test_anonymous_is_401_and_unknown_demands_404(world, api_client):
    assert api_client.get(url(world.demand)).status_code == 401
    login(api_client, world.firm_user)
    assert api_client.get("/api/v1/demands/999999/matches/").status_code == 404


def test_withdrawn_products_and_expired_ones_are_not_listed(world, api_client):
    type(world.fit).objects.filter(pk=world.fit.pk).update(
        valid_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    rows = login(api_client, world.firm_user).get(url(world.demand)).json()["results"]
    assert world.fit.pk not in {r["product"]["id"] for r in rows}


# ---- POST refresh ------------------------------------------------------------------------------------------------


def test_the_firm_refreshes_and_gets_the_new_matches(world, api_client):
    added = make_product(world, name="新产品")
    response = login(api_client, world.firm_user).post(url(world.demand, "refresh/"))
    assert response.status_code == 200
    assert added.pk in {r["product"]["id"] for r in response.json()["results"]}


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("msme", 200),
        (("msme", Role.VIEWER), 403),
        ("district", 200),
        (("district", Role.VIEWER), 403),
        ("so_s1", 200),
        ("ia_c", 200),
        ("so_s2", 404),
        ("other_msme", 404),
        ("branch", 403),
        ("guarantor", 403),
        ("insurer", 404),
    ],
)
def test_refresh_permission_matrix(world, api_client, who, status):
    org, role = who if isinstance(who, tuple) else (who, Role.STAFF)
    added = make_product(world, name="新产品")
    response = login(api_client, world.member(org, role)).post(url(world.demand, "refresh/"))
    assert response.status_code == status, response.content
    assert DemandMatch.objects.filter(product=added).exists() == (status == 200)


def test_refreshing_a_closed_demand_is_409_and_changes_nothing(world, api_client):
    type(world.demand).objects.filter(pk=world.demand.pk).update(status=DemandStatus.WITHDRAWN)
    before = set(DemandMatch.objects.values_list("pk", "score"))
    response = login(api_client, world.firm_user).post(url(world.demand, "refresh/"))
    assert response.status_code == 409
    assert response.json()["code"] == "demand_not_open"
    assert set(DemandMatch.objects.values_list("pk", "score")) == before


def test_wrong_verbs_are_405(world, api_client):
    login(api_client, world.firm_user)
    assert api_client.get(url(world.demand, "refresh/")).status_code == 405
    assert api_client.post(url(world.demand)).status_code == 405
    assert api_client.delete(url(world.demand)).status_code == 405
    assert api_client.put(url(world.demand)).status_code == 405
    assert api_client.post("/api/v1/inbox/").status_code == 405


def test_anonymous_refresh_is_401(world, api_client):
    assert api_client.post(url(world.demand, "refresh/")).status_code == 401


# ---- inbox -------------------------------------------------------------------------------------------------------


def test_the_institution_inboxs_fitting_unanswered_demands(world, api_client):
    answered = make_demand(world)
    make_response(answered, world.branch)
    software = make_demand(world, enterprise=world.software, amount=Decimal("500000.00"))
    for demand in (answered, software):
        services.demand_match_refresh(demand_id=demand.pk)
    response = login(api_client, world.branch_user).get("/api/v1/inbox/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and body["count_capped"] is False
    rows = body["results"]
    assert [r["demand"]["id"] for r in rows] == [world.demand.pk, software.pk]  # fast track first
    first = rows[0]
    assert set(first) == {"demand", "product", "score", "fast_track", "overdue"}
    assert first["product"]["id"] == world.fit.pk
    assert first["demand"]["amount"] == "2000000.00"
    assert first["demand"]["enterprise"]["labels"] == ["high_tech"]
    assert first["demand"]["enterprise"]["subdistrict"] == "440310001"
    assert first["overdue"] is False
    assert "annual_revenue" not in first["demand"]["enterprise"]


def test_inbox_filters(world, api_client):
    overdue = make_demand(
        world, enterprise=world.software, respond_by=timezone.localdate() - datetime.timedelta(days=1)
    )
    services.demand_match_refresh(demand_id=overdue.pk)
    login(api_client, world.branch_user)

    def ids(query):
        response = api_client.get("/api/v1/inbox/", query)
        assert response.status_code == 200, response.content
        return [r["demand"]["id"] for r in response.json()["results"]]

    assert ids({"fast_track": "true"}) == [world.demand.pk]
    assert ids({"fast_track": "false"}) == [overdue.pk]
    assert ids({"overdue": "true"}) == [overdue.pk]
    assert ids({"overdue": "false"}) == [world.demand.pk]
    assert ids({"product": world.fit.pk}) == [world.demand.pk, overdue.pk]
    assert ids({"product": world.near.pk}) == []
    assert ids({"product": world.other_fit.pk}) == []  # another bank's product
    rows = api_client.get("/api/v1/inbox/", {"overdue": "true"}).json()["results"]
    assert rows[0]["overdue"] is True


@pytest.mark.parametrize("query", [{"fast_track": "maybe"}, {"product": "x"}, {"colour": "red"}, {"product": "0"}])
def test_bad_inbox_filters_are_400(world, api_client, query):
    response = login(api_client, world.branch_user).get("/api/v1/inbox/", query)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_filter"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("branch", 200),
        (("branch", Role.VIEWER), 200),
        ("head", 200),
        ("guarantor", 200),
        ("msme", 403),
        ("district", 403),
        ("so_s1", 403),
        ("insurer", 403),
    ],
)
def test_inbox_permission_matrix(world, api_client, who, status):
    org, role = who if isinstance(who, tuple) else (who, Role.STAFF)
    response = login(api_client, world.member(org, role)).get("/api/v1/inbox/")
    assert response.status_code == status


def test_anonymous_inbox_is_401(api_client, db):
    assert api_client.get("/api/v1/inbox/").status_code == 401


def test_the_schema_describes_the_matching_api(api_client, db):
    paths = api_client.get("/api/schema/", {"format": "json"}).json()["paths"]
    assert "get" in paths["/api/v1/demands/{id}/matches/"]
    assert "post" in paths["/api/v1/demands/{id}/matches/refresh/"]
    inbox = paths["/api/v1/inbox/"]["get"]
    assert {p["name"] for p in inbox["parameters"]} >= {"fast_track", "overdue", "product", "page", "page_size"}
