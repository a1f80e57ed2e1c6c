"""Pages of pools: list, create, edit, overview with money, activation and closing, members and suspensions,
rule versions from a preset and by hand (errors next to their fields)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from finbridge.accounts.choices import Role
from finbridge.riskpool.choices import PoolStatus
from finbridge.riskpool.models import Pool, PoolMember, RuleVersion
from finbridge.riskpool.tests.api.support import other_authority_user, outsider_bank_user, state
from finbridge.riskpool.tests.setup import build_pool_scenario

pytestmark = pytest.mark.django_db


def _pool_form(**overrides):
    today = timezone.localdate()
    data = {
        "name": "新资金池",
        "name_en": "New pool",
        "description": "",
        "period_start": today.isoformat(),
        "period_end": (today + datetime.timedelta(days=365)).isoformat(),
        "require_disbursed_in_period": "on",
        "capacity_basis": "leverage",
        "leverage_multiple": "10",
        "max_covered_amount": "",
        "npl_suspension_threshold_percent": "5",
        "free_balance_alert_share_percent": "20",
        "require_sme": "on",
        "eligible_size_classes": ["small", "micro"],
        "require_district_operation": "on",
        "excluded_industry_prefixes": "J, K7010",
        "exclude_serious_bad_credit": "on",
        "max_loan_amount": "",
        "max_term_months": "",
    }
    data.update(overrides)
    return data


def test_anonymous_visitors_are_sent_to_sign_in(client, scenario):
    for url in (reverse("riskpool:pools-list"), reverse("riskpool:pool-detail", args=[scenario.pool.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_list_shows_the_pools_one_may_see(as_user, scenario):
    content = as_user(scenario.authority).get(reverse("riskpool:pools-list")).content.decode()
    assert scenario.pool.name_en in content and 'data-testid="pool-create"' in content
    bank = as_user(scenario.head_user).get(reverse("riskpool:pools-list")).content.decode()
    assert scenario.pool.name_en in bank and 'data-testid="pool-create"' not in bank
    outsider = as_user(outsider_bank_user()).get(reverse("riskpool:pools-list")).content.decode()
    assert 'data-testid="empty"' in outsider


def test_create_a_pool(as_user, scenario):
    client = as_user(scenario.authority)
    assert client.get(reverse("riskpool:pool-create")).status_code == 200
    response = client.post(reverse("riskpool:pool-create"), _pool_form())
    assert response.status_code == 302
    pool = Pool.objects.exclude(pk=scenario.pool.pk).get()
    assert pool.status == PoolStatus.DRAFT and pool.npl_suspension_threshold == Decimal("0.05")
    assert pool.eligible_size_classes == ["small", "micro"] and pool.excluded_industry_prefixes == ["J", "K7010"]
    assert pool.require_sme is True


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"period_end": "2000-01-01"}, "period_end"),
        ({"leverage_multiple": ""}, "leverage_multiple"),
        ({"npl_suspension_threshold_percent": "150"}, "npl_suspension_threshold_percent"),
        ({"excluded_industry_prefixes": "finance!"}, "excluded_industry_prefixes"),
        ({"capacity_basis": "absolute"}, "max_covered_amount"),
        ({"max_term_months": "abc"}, "max_term_months"),
    ],
)
def test_bad_pool_forms_show_the_error_next_to_the_field(as_user, scenario, overrides, field):
    before = state()
    response = as_user(scenario.authority).post(reverse("riskpool:pool-create"), _pool_form(**overrides))
    assert response.status_code == 400
    assert f'data-testid="error-{field}"' in response.content.decode()
    assert state() == before


def test_only_the_authority_creates_and_edits(as_user, scenario):
    for user in (scenario.head_user, scenario.market.member("district", Role.VIEWER)):
        assert as_user(user).get(reverse("riskpool:pool-create")).status_code == 403
        assert as_user(user).get(reverse("riskpool:pool-edit", args=[scenario.pool.pk])).status_code == 403
    assert (
        as_user(other_authority_user()).get(reverse("riskpool:pool-edit", args=[scenario.pool.pk])).status_code == 403
    )
    assert as_user(outsider_bank_user()).get(reverse("riskpool:pool-edit", args=[scenario.pool.pk])).status_code == 404


def test_edit_a_pool(as_user, scenario):
    client = as_user(scenario.authority)
    url = reverse("riskpool:pool-edit", args=[scenario.pool.pk])
    assert "10" in client.get(url).content.decode()
    response = client.post(url, _pool_form(name=scenario.pool.name, max_loan_amount="5,000,000.00"))
    assert response.status_code == 302
    scenario.pool.refresh_from_db()
    assert scenario.pool.max_loan_amount == Decimal("5000000.00")


def test_the_overview_shows_money_to_government_and_own_figures_to_banks(as_user, scenario):
    scenario.enrol(scenario.make_loan())
    url = reverse("riskpool:pool-detail", args=[scenario.pool.pk])
    authority = as_user(scenario.authority).get(url).content.decode()
    assert 'data-testid="pool-summary"' in authority and 'data-testid="money-form"' in authority
    bank = as_user(scenario.head_user).get(url).content.decode()
    assert 'data-testid="pool-summary"' not in bank and 'data-testid="own-figures"' in bank
    assert 'data-testid="enrol-loans"' in bank and 'data-testid="money-form"' not in bank
    assert as_user(outsider_bank_user()).get(url).status_code == 404


def test_money_paid_in_by_page_and_by_htmx(as_user, scenario):
    client = as_user(scenario.authority)
    url = reverse("riskpool:pool-money", args=[scenario.pool.pk])
    response = client.post(url, {"kind": "capital", "amount": "1,000,000.00", "value_date": "", "memo": "top-up"})
    assert response.status_code == 302
    scenario.pool.refresh_from_db()
    assert scenario.pool.capital_total == Decimal("11000000.00")
    htmx = client.post(url, {"kind": "interest", "amount": "100"}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 204 and htmx["HX-Redirect"]
    before = state()
    bad = client.post(url, {"kind": "withdrawal", "amount": "abc"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400 and 'data-testid="error-amount"' in bad.content.decode()
    too_much = client.post(url, {"kind": "withdrawal", "amount": "99,000,000.00"})
    assert too_much.status_code == 409 and 'data-testid="form-error"' in too_much.content.decode()
    assert state() == before
    assert as_user(scenario.head_user).post(url, {"kind": "capital", "amount": "1"}).status_code == 403


def test_activate_and_close(as_user):
    scenario = build_pool_scenario(activate=False)
    client = as_user(scenario.authority)
    detail = client.get(reverse("riskpool:pool-detail", args=[scenario.pool.pk])).content.decode()
    assert 'data-testid="pool-activate"' in detail
    assert client.post(reverse("riskpool:pool-activate", args=[scenario.pool.pk])).status_code == 302
    again = client.post(reverse("riskpool:pool-activate", args=[scenario.pool.pk]))
    assert again.status_code == 409
    assert client.post(reverse("riskpool:pool-close", args=[scenario.pool.pk])).status_code == 302
    scenario.pool.refresh_from_db()
    assert scenario.pool.status == PoolStatus.CLOSED
    assert as_user(scenario.head_user).post(reverse("riskpool:pool-close", args=[scenario.pool.pk])).status_code == 403


def test_members_page_admits_and_refuses(as_user, scenario):
    client = as_user(scenario.authority)
    url = reverse("riskpool:members", args=[scenario.pool.pk])
    page = client.get(url).content.decode()
    assert page.count('data-testid="member-row"') == 4 and 'data-testid="member-form"' in page
    bank = outsider_bank_user().memberships.get().organization
    before = state()
    bad = client.post(url, {"organization": bank.pk, "agreement_signed_on": "soon"})
    assert bad.status_code == 400 and 'data-testid="error-agreement_signed_on"' in bad.content.decode()
    assert state() == before
    ok = client.post(url, {"organization": bank.pk, "agreement_signed_on": timezone.localdate().isoformat()})
    assert ok.status_code == 302
    assert PoolMember.objects.filter(organization=bank).exists()
    assert 'data-testid="member-form"' not in as_user(scenario.head_user).get(url).content.decode()
    assert as_user(scenario.head_user).post(url, {"organization": bank.pk}).status_code == 403


def test_suspend_and_resume_a_bank_by_page(as_user, scenario):
    client = as_user(scenario.authority)
    member = scenario.head_member
    detail = reverse("riskpool:member-detail", args=[scenario.pool.pk, member.pk])
    assert 'data-testid="member-suspend"' in client.get(detail).content.decode()
    suspend = reverse("riskpool:member-action", args=[scenario.pool.pk, member.pk, "suspend"])
    assert client.post(suspend, {"note": "核查"}).status_code == 302
    page = client.get(detail).content.decode()
    assert 'data-testid="member-resume"' in page and "核查" in page
    again = client.post(suspend, {"note": "x"})
    assert again.status_code == 409
    resume = reverse("riskpool:member-action", args=[scenario.pool.pk, member.pk, "resume"])
    assert client.post(resume, {}).status_code == 302
    assert client.post(reverse("riskpool:member-action", args=[scenario.pool.pk, member.pk, "fly"])).status_code == 404
    bank_view = as_user(scenario.head_user).get(detail).content.decode()
    assert 'data-testid="member-actions"' not in bank_view
    assert as_user(scenario.head_user).post(suspend, {"note": "x"}).status_code == 403
    bank_overview = as_user(scenario.head_user).get(reverse("riskpool:pool-detail", args=[scenario.pool.pk]))
    assert 'data-testid="suspension-notice"' not in bank_overview.content.decode()


def test_a_suspended_bank_sees_a_notice(as_user, scenario):
    from finbridge.riskpool.services.members import member_suspend

    member_suspend(actor=scenario.authority, member=scenario.head_member, note="检查")
    page = as_user(scenario.head_user).get(reverse("riskpool:pool-detail", args=[scenario.pool.pk]))
    assert 'data-testid="suspension-notice"' in page.content.decode()


def test_member_dates(as_user, scenario):
    client = as_user(scenario.authority)
    url = reverse("riskpool:member-detail", args=[scenario.pool.pk, scenario.other_member.pk])
    before = state()
    bad = client.post(url, {"agreement_signed_on": "2026-01-01", "agreement_ends_on": "2020-01-01"})
    assert bad.status_code == 400 and 'data-testid="error-agreement_ends_on"' in bad.content.decode()
    assert state() == before
    end = timezone.localdate() + datetime.timedelta(days=400)
    ok = client.post(
        url,
        {
            "agreement_signed_on": scenario.other_member.agreement_signed_on.isoformat(),
            "agreement_ends_on": end.isoformat(),
        },
    )
    assert ok.status_code == 302
    assert client.get(reverse("riskpool:member-detail", args=[scenario.pool.pk, 999999])).status_code == 404


def test_rule_version_from_a_preset(as_user, scenario):
    client = as_user(scenario.authority)
    url = reverse("riskpool:rules", args=[scenario.pool.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="preset-form"' in page and 'data-testid="preset-eu_cosme"' in page
    before = state()
    past = client.post(url, {"preset": "shenzhen", "effective_from": "2000-01-01"})
    assert past.status_code == 409 and 'data-testid="error-effective_from"' in past.content.decode()
    unknown = client.post(url, {"preset": "moon", "effective_from": timezone.localdate().isoformat()})
    assert unknown.status_code == 400 and 'data-testid="error-preset"' in unknown.content.decode()
    assert state() == before
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    ok = client.post(url, {"preset": "shenzhen", "effective_from": tomorrow, "label": ""})
    assert ok.status_code == 302
    version = RuleVersion.objects.get(number=2)
    detail = client.get(reverse("riskpool:rule-version", args=[scenario.pool.pk, version.pk])).content.decode()
    assert 'data-testid="rule-category-direct"' in detail
    assert as_user(scenario.head_user).post(url, {"preset": "shenzhen", "effective_from": tomorrow}).status_code == 403


def _rule_form(**overrides):
    data = {"effective_from": (timezone.localdate() + datetime.timedelta(days=1)).isoformat(), "label": "by hand"}
    data.update({"direct_enabled": "on", "direct_pool": "35", "direct_bank": "65", "direct_uplift_first_time": "5"})
    data.update(overrides)
    return data


def test_rule_version_by_hand(as_user, scenario):
    client = as_user(scenario.authority)
    url = reverse("riskpool:rule-version-create", args=[scenario.pool.pk])
    start = client.get(url, {"preset": "4321"}).content.decode()
    assert 'value="40"' in start  # the guarantor's 40% of the 4:3:2:1 model
    assert client.get(url, {"from": scenario.version.pk}).status_code == 200
    response = client.post(url, _rule_form())
    assert response.status_code == 302
    version = RuleVersion.objects.get(number=2)
    rule = version.rules["categories"][0]
    assert Decimal(rule["shares"]["pool"]) == Decimal("0.35") and Decimal(rule["uplifts"]["first_time"]) == 5


@pytest.mark.parametrize(
    ("overrides", "marker"),
    [
        ({"direct_bank": "70"}, 'data-testid="category-error-direct"'),  # 105%
        ({"direct_pool": "abc"}, 'data-testid="error-direct_pool"'),
        ({"direct_uplift_first_time": "200"}, 'data-testid="error-direct_uplift_first_time"'),
        ({"direct_enabled": ""}, 'data-testid="form-errors"'),  # no category at all
        ({"cap_rate": "20"}, 'data-testid="error-cap_guarantee_rate"'),
        ({"effective_from": "2000-01-01"}, 'data-testid="error-effective_from"'),
    ],
)
def test_bad_rules_show_the_error_next_to_the_field(as_user, scenario, overrides, marker):
    before = state()
    response = as_user(scenario.authority).post(
        reverse("riskpool:rule-version-create", args=[scenario.pool.pk]), _rule_form(**overrides)
    )
    assert response.status_code in (400, 409)
    assert marker in response.content.decode()
    assert state() == before


def test_banks_see_rules_but_cannot_add_them(as_user, scenario):
    client = as_user(scenario.head_user)
    page = client.get(reverse("riskpool:rules", args=[scenario.pool.pk])).content.decode()
    assert 'data-testid="versions-table"' in page and 'data-testid="preset-form"' not in page
    assert client.get(reverse("riskpool:rule-version-create", args=[scenario.pool.pk])).status_code == 403
    assert client.get(reverse("riskpool:rule-version", args=[scenario.pool.pk, 999999])).status_code == 404
