"""The overview page and GET /api/v1/supplychain/overview/: who may, what they show, in both languages, and bad
input answering 400."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from finbridge.accounts.choices import Role
from finbridge.supplychain.tests.test_overview_setup import build_scenario

pytestmark = pytest.mark.django_db

PAGE = reverse("supplychain:overview")
API = "/api/v1/supplychain/overview/"


@pytest.fixture
def scenario():
    return build_scenario()


def _period(scenario) -> dict[str, str]:
    return {"start": scenario.period.start.isoformat(), "end": scenario.period.end.isoformat()}


def _charts(page: str) -> dict:
    return json.loads(page.split('id="overview-charts" type="application/json">')[1].split("</script>")[0])


def test_the_api_url():
    assert reverse("api-sc-overview") == API


@pytest.mark.parametrize(
    ("org_name", "role", "status"),
    [
        ("district", Role.VIEWER, 200),
        ("core", Role.STAFF, 200),
        ("core", Role.REVIEWER, 200),
        ("bank_a", Role.VIEWER, 200),
        ("bank_a_branch", Role.STAFF, 200),
        ("supplier", Role.ADMIN, 403),
        ("tier2", Role.STAFF, 403),
        ("ia", Role.STAFF, 403),
        ("guarantor", Role.ADMIN, 403),
    ],
)
def test_permission_matrix(client, api_client, scenario, org_name, role, status):
    user = scenario.chain.member(org_name, role)
    client.force_login(user)
    assert client.get(PAGE).status_code == status
    api_client.force_authenticate(user)
    assert api_client.get(API).status_code == status


def test_anonymous(client, api_client, scenario):
    assert client.get(PAGE).status_code == 302
    assert api_client.get(API).status_code == 401


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Supply-chain finance overview", "By voucher tier", "46.00 ten-thousand yuan", "Tier 2"]),
        ("zh-hans", ['lang="zh-hans"', "46.00"]),
    ],
)
def test_the_authority_page(client, scenario, language, words):
    chain = scenario.chain
    client.force_login(chain.user("district"))
    response = client.get(PAGE, _period(scenario), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    page = response.content.decode()
    for word in words:
        assert word in page
    for org in (chain.core, chain.core2, chain.bank_a, chain.bank_b, chain.bank_a_branch):
        assert org.display_name in page
    assert "vendor/echarts/echarts.min.js" in page and page.count('data-testid="chart"') == 4
    charts = _charts(page)
    assert charts["debtors"]["labels"][0] == chain.core.display_name
    assert charts["debtors"]["confirmed"][0] == 34.0  # 340,000 yuan in ten-thousand yuan
    assert sum(charts["months"]["confirmed"]) == 46.0
    assert charts["months"]["days_early"][-2] == 8.3  # last month: 8.3 days early on average


def test_a_bank_page_shows_only_its_side(client, scenario):
    chain = scenario.chain
    client.force_login(chain.user("bank_a"))
    response = client.get(PAGE, _period(scenario), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert chain.bank_a.display_name in page and chain.bank_a_branch.display_name in page
    assert chain.bank_b.display_name not in page and chain.bank_c.display_name not in page
    assert response.context["overview"].totals.financed_amount == 140000
    assert "and its branches" in page
    assert 'data-testid="total-confirmed"' not in page  # not a bank's to see
    assert _charts(page)["keys"]["months"] == ["requested", "financed", "settled"]


def test_a_core_enterprise_page(client, scenario):
    chain = scenario.chain
    client.force_login(chain.user("core"))
    response = client.get(PAGE, _period(scenario), HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 200
    assert chain.core2.display_name not in page  # neither in the tables nor in the filters
    assert 'name="debtor"' not in page
    assert "24.00 ten-thousand yuan" in page  # overdue: R2 + R6


def test_the_filters_on_the_page(client, scenario):
    chain = scenario.chain
    client.force_login(chain.user("district"))
    response = client.get(PAGE, {**_period(scenario), "debtor": chain.core2.pk, "funder": ""})
    assert response.status_code == 200
    assert response.context["overview"].totals.confirmed_amount == 120000


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-02-30"},
        {"start": "2025-06-01", "end": "2025-05-01"},
        {"debtor": "abc"},
        {"debtor": "0"},
        {"funder": "99999999"},
        {"organization": "-1"},
    ],
)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_bad_input_comes_back_on_the_form(client, scenario, params, language):
    client.force_login(scenario.chain.user("district"))
    response = client.get(PAGE, params, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    assert 'data-testid="overview-form"' in response.content.decode()
    assert response.context["overview"] is None


def test_the_api(api_client, scenario):
    chain = scenario.chain
    api_client.force_authenticate(chain.user("district"))
    body = api_client.get(API, _period(scenario)).json()
    assert body["period"] == _period(scenario)
    assert body["viewpoint"] == {
        "kind": "authority",
        "organization": {"id": chain.district.pk, "name": chain.district.name, "name_en": chain.district.name_en},
    }
    totals = body["totals"]
    assert totals["confirmed_amount"] == "460000.00" and totals["confirmed_count"] == 5
    assert totals["requested_amount"] == "240000.00" and totals["financed_amount"] == "170000.00"
    assert totals["advanced_amount"] == "143000.00" and totals["settled_amount"] == "150000.00"
    assert totals["average_days_early"] == "8.3" and totals["overdue_amount"] == "240000.00"
    assert totals["voucher_amount"] == "80000.00"
    assert [row["organization"]["id"] for row in body["by_debtor"]] == [chain.core.pk, chain.core2.pk]
    assert body["other_debtors"] is None and body["other_debtors_count"] == 0 and body["funder_side"] is False
    assert {row["tier"]: row["figures"]["settled_amount"] for row in body["by_tier"]} == {
        0: "100000.00",
        1: "20000.00",
        2: "30000.00",
    }
    assert len(body["by_month"]) == 4 and body["by_month"][0]["month"] == _period(scenario)["start"]
    empty_month = body["by_month"][-1]["figures"]
    assert empty_month["settled_amount"] == "0.00" and empty_month["average_days_early"] is None


def test_the_api_for_a_bank(api_client, scenario):
    chain = scenario.chain
    api_client.force_authenticate(chain.user("bank_b"))
    body = api_client.get(API, _period(scenario)).json()
    assert body["viewpoint"]["kind"] == "funder" and body["funder_side"] is True
    assert body["totals"]["financed_amount"] == "30000.00"
    assert body["totals"]["confirmed_amount"] is None and body["totals"]["voucher_count"] is None
    assert [row["organization"]["id"] for row in body["by_funder"]] == [chain.bank_b.pk]
    # Asking for bank_a's figures gives nothing; the totals of others are never shown.
    other = api_client.get(API, {**_period(scenario), "funder": chain.bank_a.pk}).json()
    assert other["totals"]["financed_amount"] == "0.00" and other["by_funder"] == []


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"start": "not a date"}, "invalid_period", "start"),
        ({"end": "2999-01-01"}, "invalid_period", "end"),
        ({"debtor": "x"}, "invalid_filter", "debtor"),
        ({"debtor": "1e3"}, "invalid_filter", "debtor"),
        ({"funder": "true"}, "invalid_filter", "funder"),
        ({"organization": "12345678"}, "invalid_organization", "organization"),
    ],
)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_bad_input_in_the_api(api_client, scenario, params, code, field, language):
    api_client.force_authenticate(scenario.chain.user("core"))
    response = api_client.get(API, params, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code and field in body["fields"] and body["message"]


def test_the_schema_describes_the_overview(api_client, scenario):
    api_client.force_authenticate(scenario.chain.user("district"))
    paths = api_client.get("/api/schema/", {"format": "json"}).json()["paths"]
    assert API in paths


@pytest.mark.parametrize("who", ["district", "bank_a", "core"])
def test_the_api_body_is_the_documented_serializers(scenario, who):
    from rest_framework.renderers import JSONRenderer

    from finbridge.supplychain.api.overview import OverviewSerializer, overview_data
    from finbridge.supplychain.selectors.overview import supplychain_overview

    period = scenario.period
    overview = supplychain_overview(actor=scenario.chain.user(who), start=period.start, end=period.end, rows=1)
    documented = OverviewSerializer(overview, context={"funder_side": overview.funder_side}).data
    assert json.loads(JSONRenderer().render(overview_data(overview))) == json.loads(JSONRenderer().render(documented))
