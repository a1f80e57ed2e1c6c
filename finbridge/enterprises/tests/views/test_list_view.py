"""The enterprise list: search, filters, counts, pagination, htmx partials and visibility."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.tests.factories import ClusterFactory
from finbridge.enterprises.choices import ConsentScope
from finbridge.enterprises.tests.factories import ConsentFactory, EnterpriseFactory

pytestmark = pytest.mark.django_db
LIST_URL = reverse("enterprises:list")


def _names(response) -> set[str]:
    """The names of the enterprises listed on a page (their detail links)."""
    return {e.name for e in response.context["page"].object_list}


@pytest.fixture
def district_client(world, client):
    client.force_login(world.user(OrgType.DISTRICT_AUTHORITY))
    return client


def test_full_page_has_the_search_form_and_the_results(world, district_client):
    response = district_client.get(LIST_URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert 'role="search"' in html
    assert 'hx-push-url="true"' in html
    assert 'id="results"' in html
    assert _names(response) == {world.target.name, world.other.name}
    assert "2 enterprises" in html


def test_htmx_request_returns_only_the_results_partial(world, district_client):
    response = district_client.get(LIST_URL, {"q": "马峦"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'role="search"' not in html
    assert 'data-testid="result-count"' in html
    assert world.other.name in html
    assert world.target.name not in html


def test_htmx_history_restore_gets_the_full_page(district_client):
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    html = district_client.get(LIST_URL, headers=headers).content.decode()
    assert "<html" in html


def test_search_by_chinese_name_fragment(world, district_client):
    response = district_client.get(LIST_URL, {"q": "芯片"})
    assert _names(response) == {world.target.name}


def test_search_by_english_name_fragment_ignores_case(world, district_client):
    response = district_client.get(LIST_URL, {"q": "maluan software"})
    assert _names(response) == {world.other.name}


def test_search_by_credit_code_with_spaces_and_lower_case(world, district_client):
    typed = " ".join([world.other.uscc[:6], world.other.uscc[6:]]).lower()
    response = district_client.get(LIST_URL, {"q": typed})
    assert _names(response) == {world.other.name}


def test_search_without_a_match_says_so(district_client):
    response = district_client.get(LIST_URL, {"q": "不存在的公司"})
    assert _names(response) == set()
    assert 'data-testid="no-results"' in response.content.decode()


def test_filter_by_subdistrict(world, district_client):
    response = district_client.get(LIST_URL, {"subdistrict": world.subdistrict_b.code})
    assert _names(response) == {world.other.name}


def test_filter_by_cluster(world, district_client):
    response = district_client.get(LIST_URL, {"cluster": world.cluster.code})
    assert _names(response) == {world.target.name}


def test_filter_by_size_class(world, district_client):
    medium = EnterpriseFactory(name="中型企业", size_class="medium", subdistrict=world.subdistrict_a)
    response = district_client.get(LIST_URL, {"size_class": "medium"})
    assert _names(response) == {medium.name}


def test_filter_by_technology_label(world, district_client):
    giant = EnterpriseFactory(name="小巨人企业", is_little_giant=True, subdistrict=world.subdistrict_a)
    response = district_client.get(LIST_URL, {"label": "little_giant"})
    assert _names(response) == {giant.name}


def test_filter_by_verification_state(world, district_client):
    today = timezone.localdate()
    due = EnterpriseFactory(name="到期企业", verification_due_on=today - datetime.timedelta(days=1))
    current = EnterpriseFactory(name="已核实企业", verification_due_on=today + datetime.timedelta(days=30))
    assert _names(district_client.get(LIST_URL, {"verification": "due"})) == {due.name}
    assert _names(district_client.get(LIST_URL, {"verification": "current"})) == {current.name}
    assert _names(district_client.get(LIST_URL, {"verification": "never"})) == {world.target.name, world.other.name}


def test_filter_by_industry_code_prefix(world, district_client):
    assert _names(district_client.get(LIST_URL, {"industry": "I65"})) == {world.other.name}
    assert _names(district_client.get(LIST_URL, {"industry": "c36"})) == {world.target.name}


def test_filters_combine(world, district_client):
    ClusterFactory()
    response = district_client.get(
        LIST_URL, {"q": "深圳", "subdistrict": world.subdistrict_a.code, "size_class": "small"}
    )
    assert _names(response) == {world.target.name}


def test_an_unknown_filter_value_is_ignored_not_an_error(world, district_client):
    response = district_client.get(LIST_URL, {"size_class": "giant", "verification": "sometimes"})
    assert response.status_code == 200
    assert _names(response) == {world.target.name, world.other.name}


def test_pagination_splits_results_and_keeps_the_filters(world, district_client):
    for n in range(23):
        EnterpriseFactory(name=f"分页企业{n:02d}", subdistrict=world.subdistrict_b)
    first = district_client.get(LIST_URL, {"subdistrict": world.subdistrict_b.code})
    second = district_client.get(LIST_URL, {"subdistrict": world.subdistrict_b.code, "page": 2})
    html = first.content.decode()
    assert len(first.context["page"].object_list) == 20
    assert len(second.context["page"].object_list) == 4
    assert "24 enterprises" in html
    assert "Page 1 of 2" in html
    assert f"subdistrict={world.subdistrict_b.code}&amp;page=2" in html
    assert _names(first).isdisjoint(_names(second))


def test_counts_beyond_the_cap_show_a_plus(world, district_client, monkeypatch):
    from finbridge.core import pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 1)
    html = district_client.get(LIST_URL).content.decode()
    assert "1+ enterprises" in html


def test_amounts_are_shown_in_ten_thousand_yuan(world, district_client):
    html = district_client.get(LIST_URL, {"q": "芯片"}).content.decode()
    assert "3,000.00 ten-thousand yuan" in html


def test_an_institution_lists_only_consented_enterprises(world, client):
    client.force_login(world.user(OrgType.BANK))
    response = client.get(LIST_URL)
    assert _names(response) == {world.target.name}
    assert client.get(LIST_URL, {"q": world.other.uscc}).context["page"].object_list == []


def test_profile_only_consent_hides_the_amounts_in_the_list(world, client):
    investor = world.orgs[OrgType.INVESTOR]
    profile_only = EnterpriseFactory(name="只授权概况企业", annual_revenue=Decimal("12345678.00"))
    ConsentFactory(enterprise=profile_only, grantee=investor, scope=ConsentScope.PROFILE)
    client.force_login(world.user(OrgType.INVESTOR, Role.VIEWER))
    response = client.get(LIST_URL, {"q": "只授权"})
    html = response.content.decode()
    assert _names(response) == {profile_only.name}
    assert "1,234.57" not in html
    assert "not shared" in html


def test_add_and_import_buttons_only_for_those_allowed(world, client):
    client.force_login(world.user(OrgType.SUBDISTRICT_OFFICE, Role.STAFF))
    html = client.get(LIST_URL).content.decode()
    assert reverse("enterprises:create") in html
    client.force_login(world.user(OrgType.SUBDISTRICT_OFFICE, Role.VIEWER))
    html = client.get(LIST_URL).content.decode()
    assert reverse("enterprises:create") not in html
    assert 'data-testid="enterprise-create"' not in html


def test_the_list_renders_in_chinese(world, district_client):
    html = district_client.get(LIST_URL, headers={"Accept-Language": "zh-hans"}).content.decode()
    assert 'lang="zh-hans"' in html
    assert world.subdistrict_a.name_zh in html


def test_an_htmx_search_pushes_an_address_without_the_empty_fields(world, client):
    client.force_login(world.user(OrgType.DISTRICT_AUTHORITY))
    response = client.get(
        reverse("enterprises:list"),
        {"q": "坪山", "subdistrict": "", "size_class": "", "label": ""},
        headers={"HX-Request": "true"},
    )
    assert response["HX-Push-Url"] == reverse("enterprises:list") + "?q=%E5%9D%AA%E5%B1%B1"
    blank = client.get(reverse("enterprises:list"), {"q": " ", "subdistrict": ""}, headers={"HX-Request": "true"})
    assert blank["HX-Push-Url"] == reverse("enterprises:list")
