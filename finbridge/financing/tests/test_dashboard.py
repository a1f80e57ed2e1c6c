"""The financing panels of the home page: the firm's demands, an institution's inbox, the authority's oversight."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from finbridge.accounts.choices import Role
from finbridge.financing.choices import DemandStatus
from finbridge.financing.dashboard import inbox_panel, oversight_panel, own_demands_panel
from finbridge.financing.tests.setup import build_market, make_demand

pytestmark = pytest.mark.django_db


@pytest.fixture
def market(db):
    return build_market()


def _stat(panel: dict, label: str) -> int:
    return next(s["count"] for s in panel["stats"] if str(s["label"]) == label)


def test_a_firm_sees_its_open_demands_by_status_and_not_other_firms(market):
    make_demand(market, status=DemandStatus.PUBLISHED)
    make_demand(market, status=DemandStatus.DRAFT)
    make_demand(market, status=DemandStatus.WITHDRAWN, published_at=None)
    make_demand(market, enterprise=market.software, status=DemandStatus.PUBLISHED)  # another firm's

    panel = own_demands_panel(market.firm_user)

    assert (_stat(panel, "Published"), _stat(panel, "Draft"), _stat(panel, "Taken up")) == (1, 1, 0)
    assert {d.enterprise_id for d in panel["demands"]} == {market.factory.pk}
    assert own_demands_panel(market.branch_user) is None


def test_an_institution_is_shown_its_overdue_answers(market):
    long_ago = timezone.now() - datetime.timedelta(days=20)
    type(market.branch).objects.filter(pk=market.branch.pk).update(created_at=long_ago - datetime.timedelta(days=1))
    overdue = make_demand(market, published_at=long_ago)
    make_demand(market)  # published now: not yet due

    panel = inbox_panel(market.branch_user)

    assert _stat(panel, "answer overdue") == 1
    assert [d.pk for d in panel["demands"]] == [overdue.pk]
    assert inbox_panel(market.firm_user) is None and inbox_panel(market.district_user) is None


def test_the_authority_sees_escalated_demands_and_institutions_do_not(market):
    escalated = make_demand(market, escalated_at=timezone.now())
    make_demand(market)

    panel = oversight_panel(market.member("district", Role.VIEWER))

    assert _stat(panel, "escalated: nobody took them up") == 1
    assert [d.pk for d in panel["demands"]] == [escalated.pk]
    assert oversight_panel(market.branch_user) is None


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_home_page_draws_the_panels_in_both_languages(market, client, language):
    make_demand(market)
    client.force_login(market.firm_user)
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert 'data-testid="panel-own-demands"' in html
    assert reverse("financing:demands-create") in html
