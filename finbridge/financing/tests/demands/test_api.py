"""The demands API end to end: shapes, errors, the whole life of a demand, and who may call what."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from finbridge.accounts.choices import Role
from finbridge.financing.choices import DemandStatus, EngagementStatus, ResponseKind
from finbridge.financing.models import Demand, DemandResponse, Loan
from finbridge.financing.tests.demands.conftest import Counts, demand_data, demand_in, engagement_of, state
from finbridge.financing.tests.setup import make_demand, make_response

pytestmark = pytest.mark.django_db
URL = "/api/v1/demands/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def detail(demand, suffix: str = "") -> str:
    return f"{URL}{demand.pk}/{suffix}"


def engagement_url(demand, engagement, verb: str) -> str:
    return f"{URL}{demand.pk}/engagements/{engagement.pk}/{verb}/"


def test_the_whole_life_of_a_demand_through_the_api(market):
    firm = client_for(market.firm_user)
    data = demand_data(amount="2500000.00", max_annual_rate="0.045")
    created = firm.post(URL, data, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "draft" and body["amount"] == "2500000.00" and body["max_annual_rate"] == "0.045000"
    assert body["enterprise"] == {
        "id": market.factory.pk,
        "name": market.factory.name,
        "name_en": market.factory.name_en,
        "size_class": "small",
        "size_class_label": "Small",
        "industry_code": "C3670",
        "industry_name": body["enterprise"]["industry_name"],
        "subdistrict": {"code": "440310001", "name": "Pingshan"},
        "labels": ["high_tech"],
        "years_in_operation": body["enterprise"]["years_in_operation"],
    }
    assert body["enterprise"]["years_in_operation"] >= 7 and body["enterprise"]["industry_name"]
    assert body["can_manage"] is True
    demand = Demand.objects.get(pk=body["id"])
    assert firm.patch(detail(demand), {"term_months": 18}, format="json").json()["term_months"] == 18
    published = firm.post(detail(demand, "publish/"))
    assert published.status_code == 200 and published.json()["respond_by"]

    bank = client_for(market.scitech_user)
    seen = bank.get(detail(demand)).json()
    assert seen["can_manage"] is False and seen["chosen_institutions"] == [] and seen["responses"] == []
    taken = bank.post(detail(demand, "take-up/"), {"note": "Our sci-tech desk will call"}, format="json")
    assert taken.status_code == 201 and taken.json()["status"] == "taken_up"
    engagement = DemandResponse.objects.get(pk=taken.json()["id"])
    assert bank.post(engagement_url(demand, engagement, "review"), {}, format="json").status_code == 200
    approved = bank.post(
        engagement_url(demand, engagement, "approve"), {"amount": "2400000", "annual_rate": "0.0395"}, format="json"
    )
    assert approved.status_code == 200 and approved.json()["approved_amount"] == "2400000.00"
    disbursed = bank.post(
        engagement_url(demand, engagement, "disburse"),
        {"reference": "KJ-2025-88", "disbursed_on": timezone.localdate().isoformat(), "is_credit": True},
        format="json",
    )
    assert disbursed.status_code == 200, disbursed.json()
    loan = Loan.objects.get(pk=disbursed.json()["loan"])
    assert loan.amount == Decimal("2400000.00") and loan.term_months == 18 and loan.is_credit
    final = firm.get(detail(demand)).json()
    assert final["status"] == "disbursed"
    assert [r["institution"]["id"] for r in final["responses"]] == [market.scitech.pk]
    timeline = firm.get(detail(demand, "timeline/")).json()
    assert [e["action"] for e in timeline] == [
        "created",
        "updated",
        "published",
        "taken_up",
        "review_started",
        "approved",
        "disbursed",
    ]
    assert timeline[3]["organization"]["id"] == market.scitech.pk and timeline[3]["action_label"] == "Taken up"


def test_decline_and_republish_through_the_api(market):
    demand = demand_in(market, DemandStatus.UNDER_REVIEW)
    engagement = engagement_of(demand, market.scitech)
    bank = client_for(market.scitech_user)
    declined = bank.post(
        engagement_url(demand, engagement, "decline"),
        {"reason": "weak_financials", "note": "Loss in 2024"},
        format="json",
    )
    assert declined.status_code == 200
    firm = client_for(market.firm_user)
    assert firm.get(detail(demand)).json()["decline_reason"] == "weak_financials"
    again = firm.post(detail(demand, "republish/"), {"amount": "1000000"}, format="json")
    assert again.status_code == 200 and again.json()["status"] == "published" and again.json()["amount"] == "1000000.00"


def test_government_records_on_behalf_through_the_api(market):
    client = client_for(market.member("so_s2"))
    missing = client.post(URL, demand_data(recorded_source="visit"), format="json")
    assert missing.status_code == 400 and "enterprise" in missing.json()["fields"]
    created = client.post(URL, {**demand_data(recorded_source="visit"), "enterprise": market.shop.pk}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["recorded_on_behalf"] and body["recorded_by_organization"]["id"] == market.so_s2.pk


def test_errors_have_the_house_shape_and_change_nothing(market):
    firm = client_for(market.firm_user)
    counts = Counts()
    response = firm.post(URL, demand_data(amount="0", term_months=0), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed" and set(body["fields"]) == {"amount", "term_months"}
    assert counts.unchanged()
    demand = make_demand(market)
    before = state(demand)
    assert firm.post(detail(demand, "publish/")).json()["code"] == "invalid_transition"
    assert firm.patch(detail(demand), {"colour": "red"}, format="json").status_code == 400
    assert firm.post(detail(demand, "withdraw/"), {"colour": "red"}, format="json").status_code == 400
    assert state(demand) == before


def test_decimal_amounts_are_exact(market):
    firm = client_for(market.firm_user)
    response = firm.post(URL, demand_data(amount="1234567.89"), format="json")
    assert Demand.objects.get(pk=response.json()["id"]).amount == Decimal("1234567.89")
    raw = firm.post(URL, '{"amount": 0.1, "term_months": 3, "purpose": "rnd"}', content_type="application/json")
    assert raw.status_code == 201 and raw.json()["amount"] == "0.10"


def test_another_firms_demand_is_404_for_every_verb(market):
    demand = make_demand(market, status=DemandStatus.DRAFT)
    other = client_for(market.other_firm_user)
    before = state(demand)
    assert other.get(detail(demand)).status_code == 404
    assert other.get(detail(demand, "timeline/")).status_code == 404
    assert other.patch(detail(demand), {"term_months": 3}, format="json").status_code == 404
    for verb in ("publish", "withdraw", "republish", "take-up", "pass"):
        assert other.post(detail(demand, f"{verb}/")).status_code == 404, verb
    assert other.post(URL, {**demand_data(), "enterprise": market.factory.pk}, format="json").status_code == 404
    assert state(demand) == before


def test_a_bank_never_sees_a_demand_not_shown_to_it(market):
    shown = make_demand(market, chosen=[market.scitech])
    hidden_from_other = client_for(market.other_bank_user)
    assert hidden_from_other.get(detail(shown)).status_code == 404
    assert hidden_from_other.post(detail(shown, "take-up/")).status_code == 404
    listed = hidden_from_other.get(URL).json()
    assert listed["count"] == 0
    assert client_for(market.scitech_user).get(URL).json()["count"] == 1


def test_an_institution_sees_only_its_own_engagement(market):
    demand = make_demand(market)
    mine = make_response(demand, market.scitech)
    theirs = make_response(demand, market.other_bank)
    client = client_for(market.scitech_user)
    assert [r["id"] for r in client.get(detail(demand)).json()["responses"]] == [mine.pk]
    assert client.post(engagement_url(demand, theirs, "review")).status_code == 404
    assert client.post(f"{URL}{demand.pk}/engagements/abc/review/").status_code == 404
    passed = make_response(make_demand(market), market.scitech, kind=ResponseKind.PASS)
    assert client.post(engagement_url(passed.demand, passed, "review")).status_code == 404


def test_list_filters_and_bad_filters(market):
    make_demand(market)
    make_demand(market, status=DemandStatus.DRAFT)
    firm = client_for(market.firm_user)
    assert firm.get(URL, {"status": "draft"}).json()["count"] == 1
    assert firm.get(URL, {"status": "draft,published"}).json()["count"] == 2
    bad = firm.get(URL, {"status": "lost"})
    assert bad.status_code == 400 and "status" in bad.json()["fields"]
    assert firm.get(URL, {"purpose": "fun"}).status_code == 400
    bank = client_for(market.head_user)
    assert bank.get(URL, {"answered": "false"}).json()["count"] == 1


def test_institution_overdue_and_oversight_endpoints(market):
    from finbridge.accounts.models import Organization
    from finbridge.financing.services.demands import demand_deadlines_check

    Organization.objects.update(created_at=timezone.now() - datetime.timedelta(days=400))
    market.member("head")
    demand = make_demand(market, published_at=timezone.now() - datetime.timedelta(days=10))
    demand_deadlines_check()
    assert [d["id"] for d in client_for(market.head_user).get(f"{URL}overdue/").json()["results"]] == [demand.pk]
    authority = client_for(market.district_user)
    overdue = authority.get(f"{URL}oversight/overdue/").json()["results"]
    assert overdue[0]["id"] == demand.pk
    assert {o["id"] for o in overdue[0]["overdue_institutions"]} == {o.pk for o in market.lenders}
    assert authority.get(f"{URL}oversight/escalated/").json()["results"][0]["id"] == demand.pk
    assert client_for(market.ia_user).get(f"{URL}oversight/overdue/").status_code == 403
    assert client_for(market.head_user).get(f"{URL}oversight/escalated/").status_code == 403


def test_anonymous_gets_401_everywhere(market):
    demand = make_demand(market)
    anonymous = APIClient()
    assert anonymous.get(URL).status_code == 401
    assert anonymous.get(detail(demand)).status_code == 401
    assert anonymous.post(URL, demand_data(), format="json").status_code == 401
    assert anonymous.post(detail(demand, "take-up/")).status_code == 401
    assert anonymous.get(detail(demand, "timeline/")).status_code == 401


def test_put_and_delete_are_not_offered(market):
    demand = make_demand(market, status=DemandStatus.DRAFT)
    firm = client_for(market.firm_user)
    assert firm.put(detail(demand), demand_data(), format="json").status_code == 405
    assert firm.delete(detail(demand)).status_code == 405


# ---- permission matrix ------------------------------------------------------------------------------------

ORGS = (
    "district",
    "ia_c",
    "so_s1",
    "head",
    "branch",
    "scitech",
    "other_bank",
    "guarantor",
    "insurer",
    "msme",
    "other_msme",
)
LENDERS = {"head", "branch", "scitech", "other_bank", "guarantor"}
GOVERNMENT = {"district", "ia_c", "so_s1"}
WRITERS = {Role.ADMIN, Role.STAFF}


def _expected(org: str, role: str) -> dict[str, int]:
    """The status each endpoint answers for a member of `org` with `role` (see the module's rules)."""
    writer = role in WRITERS
    sees_published = org in GOVERNMENT | LENDERS | {"msme"}
    return {
        "list": 200,
        "detail": 200 if sees_published else 404,
        "timeline": 200 if sees_published else 404,
        "create": (201 if writer else 403)
        if org in GOVERNMENT | {"msme"}
        else (404 if org == "other_msme" and writer else 403),
        "publish_draft": (200 if writer else 403) if org == "msme" else (404 if org not in ("msme",) else 403),
        "take_up": (201 if writer else 403) if org in LENDERS else (404 if not sees_published else 403),
        "review": (200 if role != Role.VIEWER else 403)
        if org == "scitech"
        else (403 if org in {"head", "msme"} | GOVERNMENT else 404),
        "oversight": 200 if org == "district" else 403,
    }


@pytest.mark.parametrize("org", ORGS)
@pytest.mark.parametrize("role", list(Role.values))
def test_permission_matrix(market, org, role):
    user = market.member(org, role)
    client = client_for(user)
    published = make_demand(market)
    draft = make_demand(market, status=DemandStatus.DRAFT)
    reviewing = demand_in(market, DemandStatus.TAKEN_UP)
    engagement = engagement_of(reviewing, market.scitech)
    expected = _expected(org, role)
    payload = {**demand_data(recorded_source="visit" if org in GOVERNMENT else ""), "enterprise": market.factory.pk}
    if org not in GOVERNMENT:
        payload.pop("recorded_source")
    got = {
        "list": client.get(URL).status_code,
        "detail": client.get(detail(published)).status_code,
        "timeline": client.get(detail(published, "timeline/")).status_code,
        "create": client.post(URL, payload, format="json").status_code,
        "publish_draft": client.post(detail(draft, "publish/")).status_code,
        "take_up": client.post(detail(published, "take-up/")).status_code,
        "review": client.post(engagement_url(reviewing, engagement, "review")).status_code,
        "oversight": client.get(f"{URL}oversight/overdue/").status_code,
    }
    assert got == expected
    assert engagement_of(reviewing, market.scitech).status == (
        EngagementStatus.UNDER_REVIEW if expected["review"] == 200 else EngagementStatus.TAKEN_UP
    )
