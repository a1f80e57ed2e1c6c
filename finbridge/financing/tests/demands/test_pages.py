"""The demand pages: a firm posts and follows its demand, an institution answers and decides, government
records on a firm's behalf, the district authority oversees; who may open which page; both languages."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from finbridge.accounts.choices import Role
from finbridge.financing.choices import DemandStatus, EngagementStatus
from finbridge.financing.models import Demand, Loan
from finbridge.financing.tests.demands.conftest import Counts, demand_in, engagement_of, state
from finbridge.financing.tests.setup import make_demand, make_response
from finbridge.financing.views import demands as views

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name: str, *args) -> str:
    return reverse(f"financing:{name}", args=args)


def form_data(**overrides) -> dict:
    data = {
        "amount_wan": "250.5",
        "term_months": "12",
        "purpose": "equipment",
        "collateral_offered": ["equipment", "receivables"],
        "collateral_note": "",
        "max_rate_percent": "4.35",
        "needed_by": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
        "description": "Two CNC machines",
        "visibility": "all",
    }
    data.update(overrides)
    return data


def test_firm_posts_a_demand_in_ten_thousand_yuan_and_publishes_it(market):
    client = client_for(market.firm_user)
    page = client.get(url("demands-create"))
    assert page.status_code == 200 and "ten-thousand yuan" in page.content.decode()
    response = client.post(url("demands-create"), {**form_data(), "publish": "1"})
    assert response.status_code == 302
    demand = Demand.objects.get()
    assert demand.amount == Decimal("2505000.00")  # 250.5 万元, exactly
    assert demand.max_annual_rate == Decimal("0.043500")
    assert demand.collateral_offered == ["equipment", "receivables"]
    assert demand.status == DemandStatus.PUBLISHED
    assert response["Location"] == url("demands-detail", demand.pk)
    detail = client.get(response["Location"]).content.decode()
    assert 'data-testid="status-published"' in detail
    assert "250.50" in detail and "timeline-published" in detail


def test_exact_conversion_of_small_fractions_of_wan(market):
    client = client_for(market.firm_user)
    client.post(url("demands-create"), form_data(amount_wan="12.345678"))
    assert Demand.objects.get().amount == Decimal("123456.78")


def test_bad_input_shows_the_form_again_and_saves_nothing(market):
    client = client_for(market.firm_user)
    counts = Counts()
    for bad in (
        {"amount_wan": "0"},
        {"amount_wan": "lots"},
        {"amount_wan": "0.0000001"},
        {"max_rate_percent": "40"},
        {"term_months": "0"},
        {"needed_by": "2020-01-01"},
        {"visibility": "chosen"},
    ):
        response = client.post(url("demands-create"), form_data(**bad))
        assert response.status_code == 400, bad
        assert 'data-testid="form-errors"' in response.content.decode()
    assert counts.unchanged()


def test_firm_list_shows_its_demands_only(market):
    mine = make_demand(market)
    theirs = make_demand(market, enterprise=market.software)
    page = client_for(market.firm_user).get(url("demands-list")).content.decode()
    assert url("demands-detail", mine.pk) in page and url("demands-detail", theirs.pk) not in page
    assert 'data-testid="new-demand"' in page


def test_firm_edits_withdraws_and_republishes(market):
    client = client_for(market.firm_user)
    demand = make_demand(market, status=DemandStatus.DRAFT)
    edit = client.get(url("demands-edit", demand.pk))
    assert edit.status_code == 200 and 'value="200"' in edit.content.decode()  # 2,000,000 yuan as 万元
    assert client.post(url("demands-edit", demand.pk), form_data(amount_wan="300")).status_code == 302
    assert Demand.objects.get(pk=demand.pk).amount == Decimal("3000000.00")
    client.post(url("demands-publish", demand.pk))
    client.post(url("demands-withdraw", demand.pk))
    assert Demand.objects.get(pk=demand.pk).status == DemandStatus.WITHDRAWN
    refused = client.post(url("demands-publish", demand.pk), follow=True)
    assert "cannot be done" in refused.content.decode()
    declined = demand_in(market, DemandStatus.DECLINED)
    client.post(url("demands-republish", declined.pk))
    assert Demand.objects.get(pk=declined.pk).status == DemandStatus.PUBLISHED


def test_institution_answers_and_takes_the_demand_to_a_loan(market):
    firm = client_for(market.firm_user)
    demand = make_demand(market)
    bank = client_for(market.scitech_user)
    page = bank.get(url("demands-detail", demand.pk)).content.decode()
    assert 'data-testid="take-up"' in page and 'data-testid="enterprise-summary"' in page
    assert bank.post(url("demands-take-up", demand.pk), {"note": "We call tomorrow"}).status_code == 302
    engagement = engagement_of(demand, market.scitech)
    bank.post(url("demands-engagement-review", demand.pk, engagement.pk))
    page = bank.get(url("demands-detail", demand.pk)).content.decode()
    assert 'data-testid="approve-form"' in page and 'data-testid="decline-form"' in page
    bad = bank.post(
        url("demands-engagement-approve", demand.pk, engagement.pk), {"amount_wan": "900", "rate_percent": "4"}
    )
    assert bad.status_code == 400 and "cannot be more than" in bad.content.decode()
    ok = bank.post(
        url("demands-engagement-approve", demand.pk, engagement.pk), {"amount_wan": "180", "rate_percent": "3.95"}
    )
    assert ok.status_code == 302
    engagement.refresh_from_db()
    assert engagement.status == EngagementStatus.APPROVED and engagement.approved_rate == Decimal("0.0395")
    page = bank.get(url("demands-detail", demand.pk)).content.decode()
    assert 'data-testid="disburse-form"' in page
    done = bank.post(
        url("demands-engagement-disburse", demand.pk, engagement.pk),
        {
            "reference": "KJ-77",
            "disbursed_on": timezone.localdate().isoformat(),
            "is_first_time": "",
            "is_credit": "on",
        },
    )
    assert done.status_code == 302
    loan = Loan.objects.get()
    assert loan.amount == Decimal("1800000.00") and loan.is_credit
    firm_page = firm.get(url("demands-detail", demand.pk)).content.decode()
    assert 'data-testid="status-disbursed"' in firm_page and market.scitech.name_en in firm_page


def test_institution_declines_with_a_reason(market):
    demand = demand_in(market, DemandStatus.TAKEN_UP)
    engagement = engagement_of(demand, market.scitech)
    bank = client_for(market.scitech_user)
    missing = bank.post(url("demands-engagement-decline", demand.pk, engagement.pk), {"reason": "other", "note": ""})
    assert missing.status_code == 400
    bank.post(url("demands-engagement-decline", demand.pk, engagement.pk), {"reason": "credit_history", "note": "x"})
    assert Demand.objects.get(pk=demand.pk).status == DemandStatus.DECLINED


def test_institution_passes_and_the_page_says_so(market):
    demand = make_demand(market)
    bank = client_for(market.guarantor_user)
    bank.post(url("demands-pass", demand.pk), {"note": ""})
    page = bank.get(url("demands-detail", demand.pk)).content.decode()
    assert 'data-testid="own-answer"' in page and 'data-testid="take-up"' not in page
    again = bank.post(url("demands-take-up", demand.pk), follow=True)
    assert "already answered" in again.content.decode()


def test_institution_overdue_tab(market):
    from finbridge.accounts.models import Organization

    Organization.objects.update(created_at=timezone.now() - datetime.timedelta(days=400))
    late = make_demand(market, published_at=timezone.now() - datetime.timedelta(days=10))
    fresh = make_demand(market)
    page = client_for(market.head_user).get(url("demands-list") + "?overdue=1").content.decode()
    assert url("demands-detail", late.pk) in page and url("demands-detail", fresh.pk) not in page


def test_government_records_on_behalf(market):
    client = client_for(market.member("so_s2"))
    page = client.get(url("demands-record") + f"?enterprise={market.shop.pk}").content.decode()
    assert market.shop.uscc in page
    missing_source = client.post(url("demands-record"), {**form_data(), "enterprise": market.shop.uscc})
    assert missing_source.status_code == 400
    outside = client.post(
        url("demands-record"), {**form_data(), "enterprise": market.factory.uscc, "recorded_source": "visit"}
    )
    assert outside.status_code == 400 and "in your remit" in outside.content.decode()
    bad_code = client.post(url("demands-record"), {**form_data(), "enterprise": "123", "recorded_source": "visit"})
    assert bad_code.status_code == 400
    assert not Demand.objects.exists()
    ok = client.post(
        url("demands-record"), {**form_data(), "enterprise": market.shop.uscc, "recorded_source": "Event 2025-03"}
    )
    assert ok.status_code == 302
    demand = Demand.objects.get()
    assert demand.recorded_on_behalf and demand.recorded_by_organization == market.so_s2
    assert 'data-testid="on-behalf"' in client.get(ok["Location"]).content.decode()


def test_oversight_page(market):
    from finbridge.accounts.models import Organization
    from finbridge.financing.services.demands import demand_deadlines_check

    Organization.objects.update(created_at=timezone.now() - datetime.timedelta(days=400))
    demand = make_demand(market, published_at=timezone.now() - datetime.timedelta(days=10))
    demand_deadlines_check()
    page = client_for(market.district_user).get(url("demands-oversight")).content.decode()
    assert page.count('data-testid="overdue-row"') == 1 and page.count('data-testid="escalated-row"') == 1
    assert market.guarantor.name_en in page and url("demands-detail", demand.pk) in page
    assert client_for(market.ia_user).get(url("demands-oversight")).status_code == 403


def test_matches_panel_only_when_the_matching_page_exists(market, monkeypatch):
    demand = make_demand(market)
    client = client_for(market.firm_user)
    page = client.get(url("demands-detail", demand.pk)).content.decode()
    assert f'hx-get="{reverse("financing:matching-demand-matches", args=[demand.pk])}"' in page
    monkeypatch.setattr(views, "MATCHES_URL_NAME", "financing:no-such-page")
    page = client.get(url("demands-detail", demand.pk)).content.decode()
    assert 'data-testid="matches"' not in page and "hx-trigger" not in page


def test_the_detail_page_in_chinese(market):
    client = client_for(market.firm_user)
    demand = demand_in(market, DemandStatus.TAKEN_UP)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(url("demands-detail", demand.pk))
    body = page.content.decode()
    assert page.status_code == 200 and '<html lang="zh-hans">' in body
    assert "200.00 万元" in body  # the amount in 万元 with the Chinese unit
    assert "退出登录" in body  # the layout in Chinese
    assert market.scitech.name in body  # the institution by its Chinese name


def test_the_list_page_in_chinese_for_an_institution(market):
    make_demand(market)
    client = client_for(market.scitech_user)
    client.cookies["django_language"] = "zh-hans"
    body = client.get(url("demands-list")).content.decode()
    assert "200.00 万元" in body and market.factory.name in body


# ---- who may open which page ------------------------------------------------------------------------------


PAGES = ("list", "detail", "create", "record", "edit", "oversight", "take_up", "review")


def _expected_pages(org: str, role: str) -> dict[str, int]:
    writer = role in (Role.ADMIN, Role.STAFF)
    gov = org in ("district", "ia_c", "so_s1")
    lender = org in ("head", "branch", "scitech", "other_bank", "guarantor")
    sees = gov or lender or org == "msme"
    return {
        "list": 200,
        "detail": 200 if sees else 404,
        "create": (200 if writer else 403) if org in ("msme", "other_msme") else 403,
        "record": 200 if gov and writer else 403,
        "edit": (200 if writer else 403) if org == "msme" else (403 if sees else 404),
        "oversight": 200 if org == "district" else 403,
        "take_up": (302 if writer else 403) if lender else (403 if sees else 404),
        "review": 302
        if org == "scitech" and role != Role.VIEWER
        else (403 if org in ("head", "msme") or gov or (org == "scitech") else 404),
    }


@pytest.mark.parametrize(
    "org", ["district", "ia_c", "so_s1", "head", "scitech", "other_bank", "guarantor", "insurer", "msme", "other_msme"]
)
@pytest.mark.parametrize("role", [Role.STAFF, Role.VIEWER])
def test_page_permission_matrix(market, org, role):
    user = market.member(org, role)
    client = client_for(user)
    published = make_demand(market)
    reviewing = demand_in(market, DemandStatus.TAKEN_UP)
    engagement = engagement_of(reviewing, market.scitech)
    before = state(published)
    got = {
        "list": client.get(url("demands-list")).status_code,
        "detail": client.get(url("demands-detail", published.pk)).status_code,
        "create": client.get(url("demands-create")).status_code,
        "record": client.get(url("demands-record")).status_code,
        "edit": client.get(url("demands-edit", published.pk)).status_code,
        "oversight": client.get(url("demands-oversight")).status_code,
        "take_up": client.post(url("demands-take-up", published.pk)).status_code,
        "review": client.post(url("demands-engagement-review", reviewing.pk, engagement.pk)).status_code,
    }
    expected = _expected_pages(org, role)
    assert got == expected
    answered = published.responses.exists()
    assert answered == (org in ("head", "scitech", "other_bank", "guarantor") and role == Role.STAFF)
    if not answered:
        assert state(published) == before


def test_anonymous_is_sent_to_login(market):
    demand = make_demand(market)
    for name, args in (("demands-list", ()), ("demands-detail", (demand.pk,)), ("demands-create", ())):
        response = Client().get(url(name, *args))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Client().post(url("demands-take-up", demand.pk)).status_code == 302
    assert not demand.responses.exists()


def test_a_hidden_demand_is_404_on_every_page(market):
    hidden = make_demand(market, chosen=[market.guarantor])
    client = client_for(market.other_bank_user)
    assert client.get(url("demands-detail", hidden.pk)).status_code == 404
    assert client.post(url("demands-take-up", hidden.pk)).status_code == 404
    assert client.post(url("demands-pass", hidden.pk)).status_code == 404
    make_response(hidden, market.guarantor)
    engagement = engagement_of(hidden, market.guarantor)
    assert client.post(url("demands-engagement-approve", hidden.pk, engagement.pk), {}).status_code == 404
