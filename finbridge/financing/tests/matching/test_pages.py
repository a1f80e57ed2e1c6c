"""Pages of matching: a demand's matches (htmx partial and whole page), refreshing them, the inbox."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from finbridge.accounts.choices import Role
from finbridge.financing.choices import DemandStatus
from finbridge.financing.models import DemandMatch
from finbridge.financing.services import matching as services
from finbridge.financing.tests.matching.conftest import make_demand, make_product
from finbridge.financing.tests.setup import make_response

HTMX = {"HX-Request": "true"}


@pytest.fixture
def world(market):
    market.fit = make_product(market, name="科技贷", name_en="Tech Loan")
    market.near = make_product(market, name="短贷", name_en="Short Loan", min_years_in_operation=30)
    market.demand = make_demand(market)
    services.demand_match_refresh(demand_id=market.demand.pk)
    return market


def matches_url(demand):
    return reverse("financing:matching-demand-matches", args=[demand.pk])


def refresh_url(demand):
    return reverse("financing:matching-demand-refresh", args=[demand.pk])


INBOX = "/financing/matching/inbox/"


def test_routes():
    assert reverse("financing:matching-demand-matches", args=[7]) == "/financing/matching/demands/7/"
    assert reverse("financing:matching-inbox") == INBOX


# ---- a demand's matches ----------------------------------------------------------------------------------------


def test_the_htmx_partial_lists_fits_with_ticks_and_near_misses_with_crosses(world, client):
    client.force_login(world.firm_user)
    response = client.get(matches_url(world.demand), headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert 'data-testid="match-fit"' in html and 'data-testid="match-near-miss"' in html
    assert html.index("Tech Loan") < html.index("Short Loan")
    assert "✓" in html and "✗" in html
    assert "needs 30 years in operation; this firm has" in html
    assert 'data-code="years_short"' in html
    assert "ten-thousand yuan" in html
    assert 'data-testid="refresh-matches"' in html
    assert "Fast track" in html


def test_the_whole_page_without_htmx(world, client):
    client.force_login(world.firm_user)
    response = client.get(matches_url(world.demand))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html and "Matching products" in html
    assert 'id="matches"' in html
    assert "200.00 ten-thousand yuan for 12 months" in html


def test_the_page_in_chinese(world, client):
    client.force_login(world.firm_user)
    response = client.get(matches_url(world.demand), headers={"Accept-Language": "zh-hans"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-hans"' in html
    assert "科技贷" in html and "短贷" in html
    assert "万元" in html


def test_a_bank_sees_its_own_products_only_and_no_refresh_button(world, client):
    make_product(world, provider=world.other_bank, name="他行贷", name_en="Other Bank Loan")
    services.demand_match_refresh(demand_id=world.demand.pk)
    client.force_login(world.branch_user)
    html = client.get(matches_url(world.demand), headers=HTMX).content.decode()
    assert "Tech Loan" in html and "Other Bank Loan" not in html
    assert "Only your organisation's products are shown." in html
    assert 'data-testid="refresh-matches"' not in html


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("msme", 200),
        (("msme", Role.VIEWER), 200),
        ("district", 200),
        ("so_s1", 200),
        ("so_s2", 404),
        ("other_msme", 404),
        ("branch", 200),
        ("guarantor", 200),
        ("insurer", 404),
    ],
)
def test_matches_page_permission_matrix(world, client, who, status):
    org, role = who if isinstance(who, tuple) else (who, Role.STAFF)
    client.force_login(world.member(org, role))
    assert client.get(matches_url(world.demand)).status_code == status


def test_anonymous_is_sent_to_sign_in(world, client):
    response = client.get(matches_url(world.demand))
    assert response.status_code == 302 and "/accounts/" in response["Location"]


def test_a_closed_demand_says_so_without_a_refresh_button(world, client):
    type(world.demand).objects.filter(pk=world.demand.pk).update(status=DemandStatus.WITHDRAWN)
    client.force_login(world.firm_user)
    html = client.get(matches_url(world.demand), headers=HTMX).content.decode()
    assert 'data-testid="matching-closed"' in html
    assert 'data-testid="refresh-matches"' not in html


# ---- refresh -----------------------------------------------------------------------------------------------------


def test_refresh_by_htmx_returns_the_new_list(world, client):
    make_product(world, name="新贷", name_en="New Loan")
    client.force_login(world.firm_user)
    response = client.post(refresh_url(world.demand), headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "New Loan" in html and "Matches recomputed." in html


def test_refresh_without_htmx_redirects_to_the_page(world, client):
    client.force_login(world.so_s1_user)
    response = client.post(refresh_url(world.demand))
    assert response.status_code == 302 and response["Location"] == matches_url(world.demand)


def test_refresh_of_a_closed_demand_shows_the_reason_and_changes_nothing(world, client):
    type(world.demand).objects.filter(pk=world.demand.pk).update(status=DemandStatus.WITHDRAWN)
    before = set(DemandMatch.objects.values_list("pk", "computed_at"))
    client.force_login(world.firm_user)
    html = client.post(refresh_url(world.demand), headers=HTMX).content.decode()
    assert "Matching runs only for a published demand that is still open." in html
    assert set(DemandMatch.objects.values_list("pk", "computed_at")) == before


@pytest.mark.parametrize(("who", "status"), [("branch", 403), ("other_msme", 404), (("msme", Role.VIEWER), 403)])
def test_others_may_not_refresh(world, client, who, status):
    org, role = who if isinstance(who, tuple) else (who, Role.STAFF)
    before = set(DemandMatch.objects.values_list("pk", "computed_at"))
    client.force_login(world.member(org, role))
    assert client.post(refresh_url(world.demand)).status_code == status
    assert set(DemandMatch.objects.values_list("pk", "computed_at")) == before


def test_refresh_needs_post(world, client):
    client.force_login(world.firm_user)
    assert client.get(refresh_url(world.demand)).status_code == 405


# ---- inbox -------------------------------------------------------------------------------------------------------


def test_the_inbox_table(world, client):
    late = make_demand(world, enterprise=world.software, respond_by=timezone.localdate() - datetime.timedelta(days=2))
    answered = make_demand(world)
    make_response(answered, world.branch)
    services.demand_match_refresh(demand_id=late.pk)
    services.demand_match_refresh(demand_id=answered.pk)
    client.force_login(world.branch_user)
    response = client.get(INBOX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="inbox-row"') == 2
    assert f'data-demand="{world.demand.pk}"' in html and f'data-demand="{late.pk}"' in html
    assert f'data-demand="{answered.pk}"' not in html
    assert html.index(f'data-demand="{world.demand.pk}"') < html.index(f'data-demand="{late.pk}"')  # fast track first
    assert "200.00 ten-thousand yuan" in html
    assert 'data-testid="overdue"' in html and "table-danger" in html
    assert "Tech Loan" in html
    assert world.factory.name in html


def test_inbox_filters_by_htmx(world, client):
    late = make_demand(world, enterprise=world.software, respond_by=timezone.localdate() - datetime.timedelta(days=2))
    services.demand_match_refresh(demand_id=late.pk)
    client.force_login(world.branch_user)
    html = client.get(INBOX, {"overdue": "true"}, headers=HTMX).content.decode()
    assert "<html" not in html
    assert html.count('data-testid="inbox-row"') == 1 and f'data-demand="{late.pk}"' in html
    html = client.get(INBOX, {"fast_track": "true", "product": world.fit.pk}, headers=HTMX).content.decode()
    assert html.count('data-testid="inbox-row"') == 1 and f'data-demand="{world.demand.pk}"' in html


def test_inbox_ignores_bad_filter_values(world, client):
    client.force_login(world.branch_user)
    response = client.get(INBOX, {"fast_track": "maybe", "product": "abc"})
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="inbox-row"') == 1


def test_an_empty_inbox_explains_why(market, client):
    client.force_login(market.branch_user)
    html = client.get(INBOX).content.decode()
    assert 'data-testid="no-results"' in html
    assert "Your organisation has no published product yet" in html


def test_the_inbox_in_chinese(world, client):
    client.force_login(world.branch_user)
    response = client.get(INBOX, headers={"Accept-Language": "zh-hans"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-hans"' in html and "万元" in html and "科技贷" in html


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("branch", 200),
        (("branch", Role.VIEWER), 200),
        ("guarantor", 200),
        ("msme", 403),
        ("district", 403),
        ("insurer", 403),
    ],
)
def test_inbox_permission_matrix(world, client, who, status):
    org, role = who if isinstance(who, tuple) else (who, Role.STAFF)
    client.force_login(world.member(org, role))
    assert client.get(INBOX).status_code == status


def test_anonymous_inbox_redirects(client, db):
    assert client.get(INBOX).status_code == 302


def test_inbox_paginates(market, client):
    make_product(market)
    for n in range(22):
        services.demand_match_refresh(demand_id=make_demand(market, amount=Decimal(1_000_000 + n * 10_000)).pk)
    client.force_login(market.branch_user)
    first = client.get(INBOX).content.decode()
    second = client.get(INBOX, {"page": 2}).content.decode()
    assert first.count('data-testid="inbox-row"') == 20
    assert second.count('data-testid="inbox-row"') == 2
    assert "22 demands" in first
