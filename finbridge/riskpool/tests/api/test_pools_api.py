"""The pool API: pools, money paid in and out, members and suspensions, rule versions and presets.

Allowed, forbidden (403), hidden (404), bad input (400 with fields, nothing changed) for every endpoint."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from finbridge.accounts.choices import Role
from finbridge.riskpool.choices import PoolStatus
from finbridge.riskpool.models import MemberSuspension, Pool, PoolMember, RuleVersion
from finbridge.riskpool.tests.api.support import other_authority_user, outsider_bank_user, state
from finbridge.riskpool.tests.setup import build_pool_scenario

pytestmark = pytest.mark.django_db

BASE = "/api/v1/riskpool"


def _new_pool(**overrides):
    today = timezone.localdate()
    data = {
        "name": "测试资金池",
        "name_en": "Test pool",
        "period_start": today.isoformat(),
        "period_end": (today + datetime.timedelta(days=365)).isoformat(),
        "capacity_basis": "leverage",
        "leverage_multiple": "8",
        "npl_suspension_threshold": "0.04",
    }
    data.update(overrides)
    return data


# ---- pools ---------------------------------------------------------------------------------------------


def test_anonymous_callers_get_401(api_client, scenario):
    for url in (f"{BASE}/pools/", f"{BASE}/pools/{scenario.pool.pk}/", f"{BASE}/presets/"):
        response = api_client.get(url)
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


def test_list_and_retrieve_show_the_summary_to_government_only(as_user, scenario):
    pool = scenario.pool
    data = as_user(scenario.authority).get(f"{BASE}/pools/{pool.pk}/").json()
    assert data["status"] == "active" and data["capital_total"] == "10000000.00"
    assert data["summary"]["free_balance"] == "10000000.00"
    bank = as_user(scenario.head_user).get(f"{BASE}/pools/{pool.pk}/").json()
    assert bank["summary"] is None and bank["alerts"] == []
    listed = as_user(scenario.head_user).get(f"{BASE}/pools/").json()
    assert [row["id"] for row in listed["results"]] == [pool.pk]


def test_a_pool_is_hidden_from_banks_that_are_not_members(as_user, scenario):
    outsider = outsider_bank_user()
    client = as_user(outsider)
    assert client.get(f"{BASE}/pools/").json()["results"] == []
    for url in (f"{BASE}/pools/{scenario.pool.pk}/", f"{BASE}/pools/{scenario.pool.pk}/members/"):
        response = client.get(url)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert client.get(f"{BASE}/pools/abc/").status_code == 404


def test_the_authority_creates_a_draft_pool(as_user, scenario):
    response = as_user(scenario.authority).post(f"{BASE}/pools/", _new_pool(), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == PoolStatus.DRAFT and data["npl_suspension_threshold"] == "0.040000"
    assert data["authority"] == scenario.market.district.pk
    # A draft is seen only by its authority.
    other = other_authority_user()
    assert as_user(other).get(f"{BASE}/pools/{data['id']}/").status_code == 404


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"period_end": "2000-01-01"}, "period_end"),
        ({"leverage_multiple": None}, "leverage_multiple"),
        ({"npl_suspension_threshold": "1.5"}, "npl_suspension_threshold"),
        ({"eligible_size_classes": ["huge"]}, "eligible_size_classes"),
        ({"excluded_industry_prefixes": ["finance!"]}, "excluded_industry_prefixes"),
        ({"capacity_basis": "absolute"}, "max_covered_amount"),
        ({"period_start": "not a date"}, "period_start"),
    ],
)
def test_bad_pool_settings_answer_400_with_the_field_and_change_nothing(as_user, scenario, overrides, field):
    before = state()
    response = as_user(scenario.authority).post(f"{BASE}/pools/", _new_pool(**overrides), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"]
    assert state() == before


def test_only_the_authority_creates_and_changes_pools(as_user, scenario):
    before = state()
    for user in (scenario.head_user, scenario.market.member("district", Role.VIEWER)):
        assert as_user(user).post(f"{BASE}/pools/", _new_pool(), format="json").status_code == 403
        patch = as_user(user).patch(f"{BASE}/pools/{scenario.pool.pk}/", {"name": "x"}, format="json")
        assert patch.status_code == 403
    # Another district authority sees the pool but may not change it.
    other = as_user(other_authority_user()).patch(f"{BASE}/pools/{scenario.pool.pk}/", {"name": "x"}, format="json")
    assert other.status_code == 403
    assert state() == before


def test_patch_changes_settings(as_user, scenario):
    response = as_user(scenario.authority).patch(
        f"{BASE}/pools/{scenario.pool.pk}/", {"max_loan_amount": "3000000.00", "require_sme": False}, format="json"
    )
    assert response.status_code == 200, response.json()
    scenario.pool.refresh_from_db()
    assert scenario.pool.max_loan_amount == Decimal("3000000.00") and scenario.pool.require_sme is False
    bad = as_user(scenario.authority).patch(f"{BASE}/pools/{scenario.pool.pk}/", {"max_term_months": 0}, format="json")
    assert bad.status_code == 400 and "max_term_months" in bad.json()["fields"]


def test_activate_needs_rules_and_capital_and_close_is_final(as_user):
    scenario = build_pool_scenario(capital=None)
    client = as_user(scenario.authority)
    pool = scenario.pool
    before = state()
    refused = client.post(f"{BASE}/pools/{pool.pk}/activate/")
    assert refused.status_code == 409 and refused.json()["code"] == "pool_not_ready"
    assert state() == before
    assert client.post(f"{BASE}/pools/{pool.pk}/capital/", {"amount": "5000000.00"}, format="json").status_code == 201
    assert client.post(f"{BASE}/pools/{pool.pk}/activate/").json()["status"] == "active"
    assert client.post(f"{BASE}/pools/{pool.pk}/close/").json()["status"] == "closed"
    again = client.post(f"{BASE}/pools/{pool.pk}/close/")
    assert again.status_code == 409


def test_capital_interest_and_withdrawal_post_ledger_entries(as_user, scenario):
    client = as_user(scenario.authority)
    pool = scenario.pool
    top_up = client.post(f"{BASE}/pools/{pool.pk}/capital/", {"amount": "1000000.00", "memo": "top-up"}, format="json")
    assert top_up.status_code == 201 and top_up.json()["kind"] == "top_up"
    interest = client.post(f"{BASE}/pools/{pool.pk}/interest/", {"amount": "1234.56"}, format="json")
    assert interest.status_code == 201 and interest.json()["kind"] == "interest"
    withdrawal = client.post(f"{BASE}/pools/{pool.pk}/withdrawals/", {"amount": "500000.00"}, format="json")
    assert withdrawal.status_code == 201 and withdrawal.json()["kind"] == "withdrawal"
    pool.refresh_from_db()
    assert pool.cash_balance == Decimal("10501234.56")
    assert {line["account"] for line in withdrawal.json()["lines"]} == {"cash", "capital"}


@pytest.mark.parametrize(
    ("path", "payload", "status", "field"),
    [
        ("capital", {"amount": "-5"}, 400, "amount"),
        ("capital", {"amount": "1.234"}, 400, "amount"),
        ("capital", {}, 400, "amount"),
        ("interest", {"amount": "10", "value_date": "2999-01-01"}, 400, "value_date"),
        ("withdrawals", {"amount": "99999999.00"}, 409, None),
    ],
)
def test_bad_money_changes_nothing(as_user, scenario, path, payload, status, field):
    before = state()
    response = as_user(scenario.authority).post(f"{BASE}/pools/{scenario.pool.pk}/{path}/", payload, format="json")
    assert response.status_code == status, response.json()
    if field:
        assert field in response.json()["fields"]
    assert state() == before


def test_banks_cannot_move_the_pools_money(as_user, scenario):
    before = state()
    response = as_user(scenario.head_user).post(
        f"{BASE}/pools/{scenario.pool.pk}/capital/", {"amount": "100.00"}, format="json"
    )
    assert response.status_code == 403
    assert state() == before


# ---- members -------------------------------------------------------------------------------------------


def test_members_list_and_admission(as_user, scenario):
    client = as_user(scenario.authority)
    members = client.get(f"{BASE}/pools/{scenario.pool.pk}/members/").json()
    assert {m["role"] for m in members} == {"bank", "guarantor", "insurer"}
    from finbridge.riskpool.tests.api.support import outsider_bank_user as new_bank

    bank = new_bank().memberships.get().organization
    today = timezone.localdate().isoformat()
    created = client.post(
        f"{BASE}/pools/{scenario.pool.pk}/members/",
        {"organization": bank.pk, "role": "bank", "agreement_signed_on": today},
        format="json",
    )
    assert created.status_code == 201, created.json()
    twice = client.post(
        f"{BASE}/pools/{scenario.pool.pk}/members/",
        {"organization": bank.pk, "role": "bank", "agreement_signed_on": today},
        format="json",
    )
    assert twice.status_code == 409


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"organization": 999999, "role": "bank"}, "organization"),
        ({"role": "bank"}, "organization"),
        ({"organization": "branch", "role": "bank"}, "organization"),
        ({"organization": "guarantor", "role": "bank"}, "organization"),
        ({"organization": "branch", "role": "nobody"}, "role"),
        ({"organization": "branch", "role": "bank", "agreement_ends_on": "2000-01-01"}, "agreement_ends_on"),
    ],
)
def test_bad_admissions_change_nothing(as_user, scenario, payload, field):
    payload = dict(payload)
    if isinstance(payload.get("organization"), str):
        payload["organization"] = scenario.market.org(payload["organization"]).pk
    payload.setdefault("agreement_signed_on", timezone.localdate().isoformat())
    before = state()
    response = as_user(scenario.authority).post(f"{BASE}/pools/{scenario.pool.pk}/members/", payload, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"]
    assert state() == before


def test_suspend_resume_and_end_a_member(as_user, scenario):
    client = as_user(scenario.authority)
    member = scenario.head_member
    refused = as_user(scenario.head_user).post(f"{BASE}/members/{member.pk}/suspend/", {"note": "x"}, format="json")
    assert refused.status_code == 403
    client = as_user(scenario.authority)
    suspended = client.post(f"{BASE}/members/{member.pk}/suspend/", {"note": "检查"}, format="json")
    assert suspended.status_code == 200 and suspended.json()["is_suspended"] is True
    assert client.post(f"{BASE}/members/{member.pk}/suspend/", {"note": "again"}, format="json").status_code == 409
    history = client.get(f"{BASE}/members/{member.pk}/history/").json()
    assert [event["action"] for event in history] == ["suspend"]
    assert client.post(f"{BASE}/members/{member.pk}/resume/", {}, format="json").json()["is_suspended"] is False
    events = client.get(f"{BASE}/pools/{scenario.pool.pk}/suspensions/").json()
    assert [event["action"] for event in events["results"]] == ["resume", "suspend"]
    bank_view = as_user(scenario.head_user).get(f"{BASE}/pools/{scenario.pool.pk}/suspensions/")
    assert bank_view.status_code == 200
    client = as_user(scenario.authority)  # one API client: sign the authority in again
    dates = client.patch(f"{BASE}/members/{member.pk}/", {"agreement_ends_on": "2000-01-01"}, format="json")
    assert dates.status_code == 400 and "agreement_ends_on" in dates.json()["fields"]
    ended = client.post(f"{BASE}/members/{member.pk}/end/")
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    assert MemberSuspension.objects.count() == 2


def test_members_of_hidden_pools_answer_404(as_user, scenario):
    outsider = as_user(outsider_bank_user())
    for method, url in (
        ("get", f"{BASE}/members/{scenario.head_member.pk}/"),
        ("post", f"{BASE}/members/{scenario.head_member.pk}/suspend/"),
        ("get", f"{BASE}/members/999999/"),
    ):
        assert getattr(outsider, method)(url).status_code == 404
    assert PoolMember.objects.filter(is_suspended=True).count() == 0


# ---- rule versions and presets --------------------------------------------------------------------------


def _rules(pool_share="0.3", bank_share="0.7"):
    return {"categories": [{"category": "direct", "shares": {"pool": pool_share, "bank": bank_share}}]}


def test_rule_versions_from_a_preset_and_by_hand(as_user, scenario):
    client = as_user(scenario.authority)
    url = f"{BASE}/pools/{scenario.pool.pk}/rule-versions/"
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    by_preset = client.post(url, {"preset": "anhui", "effective_from": tomorrow.isoformat()}, format="json")
    assert by_preset.status_code == 201, by_preset.json()
    assert by_preset.json()["number"] == 2 and by_preset.json()["preset"] == "anhui"
    later = (tomorrow + datetime.timedelta(days=1)).isoformat()
    by_hand = client.post(url, {"rules": _rules(), "effective_from": later, "label": "hand"}, format="json")
    assert by_hand.status_code == 201, by_hand.json()
    versions = client.get(url).json()
    assert [v["number"] for v in versions] == [3, 2, 1]
    one = client.get(f"{BASE}/rule-versions/{versions[0]['id']}/").json()
    assert Decimal(one["rules"]["categories"][0]["shares"]["pool"]) == Decimal("0.3")
    assert as_user(scenario.head_user).get(f"{BASE}/rule-versions/{versions[0]['id']}/").status_code == 200
    assert as_user(outsider_bank_user()).get(f"{BASE}/rule-versions/{versions[0]['id']}/").status_code == 404


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"rules": _rules("0.3", "0.6")}, 400, "categories.0.shares"),
        ({"rules": {"categories": []}}, 400, "categories"),
        ({"rules": "nonsense"}, 400, None),
        ({"preset": "nowhere"}, 400, "preset"),
        ({}, 400, "rules"),
        ({"rules": _rules(), "effective_from": "2000-01-01"}, 409, None),
    ],
)
def test_bad_rule_versions_change_nothing(as_user, scenario, payload, status, field):
    payload = {"effective_from": (timezone.localdate() + datetime.timedelta(days=1)).isoformat(), **payload}
    before = state()
    response = as_user(scenario.authority).post(
        f"{BASE}/pools/{scenario.pool.pk}/rule-versions/", payload, format="json"
    )
    assert response.status_code == status, response.json()
    if field:
        assert field in response.json()["fields"]
    assert state() == before
    assert RuleVersion.objects.count() == 1


def test_presets_are_listed_with_their_rules(as_user, scenario):
    presets = as_user(scenario.head_user).get(f"{BASE}/presets/").json()
    assert {p["code"] for p in presets} >= {"pingshan", "shenzhen", "anhui", "4321", "eu_cosme"}
    one = as_user(scenario.head_user).get(f"{BASE}/presets/4321/").json()
    assert one["rules"]["categories"]
    assert as_user(scenario.head_user).get(f"{BASE}/presets/unknown/").status_code == 404


def test_errors_are_translated(as_user, scenario):
    response = as_user(scenario.authority).post(
        f"{BASE}/pools/{scenario.pool.pk}/capital/", {"amount": "-1"}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 400
    assert Pool.objects.get().cash_balance == Decimal("10000000.00")
