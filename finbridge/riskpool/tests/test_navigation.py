"""The risk-pool menu of the navbar and the home-page panels (authority: free balance, claims waiting, alerts;
bank: covered balance, claims returned, suspension)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.tests.factories import member_of
from finbridge.riskpool.dashboard import PANELS, authority_panel, bank_panel
from finbridge.riskpool.services.claims import claim_return
from finbridge.riskpool.services.members import member_suspend
from finbridge.riskpool.tests.api.support import submitted_claim
from finbridge.riskpool.tests.setup import build_pool_scenario

pytestmark = pytest.mark.django_db

POOLS = reverse("riskpool:pools-list")
CLAIMS = reverse("riskpool:claims-all")


@pytest.fixture
def scenario(db):
    return build_pool_scenario()


def _menu(client, user):
    client.force_login(user)
    return client.get(reverse("home")).content.decode()


def test_the_menu_is_shown_to_those_who_see_pools(client, scenario):
    for user in (scenario.authority, scenario.head_user, scenario.market.guarantor_user, scenario.market.ia_user):
        page = _menu(client, user)
        assert f'href="{POOLS}"' in page and f'href="{CLAIMS}"' in page
    for user in (scenario.market.firm_user, member_of(OrgType.INVESTOR, Role.ADMIN)):
        page = _menu(client, user)
        assert f'href="{POOLS}"' not in page


def test_the_menu_marks_the_current_page(client, scenario):
    client.force_login(scenario.authority)
    page = client.get(POOLS).content.decode()
    assert f'aria-current="page" href="{POOLS}"' in page


def test_the_authority_panel(client, scenario):
    claim = submitted_claim(scenario)
    panel = authority_panel(scenario.authority)
    assert panel is not None and panel["testid"] == "panel-riskpool-authority"
    row = panel["rows"][0]
    assert row["waiting"] == 1 and row["free_balance"] == Decimal("10000000.00") and row["alerts"] == []
    client.force_login(scenario.authority)
    home = client.get(reverse("home")).content.decode()
    assert 'data-testid="panel-riskpool-authority"' in home and 'data-testid="panel-waiting"' in home
    claim_return(actor=scenario.authority, claim=claim, reason="补充")
    assert authority_panel(scenario.authority)["rows"][0]["waiting"] == 0
    # Not for banks, nor for other district authorities' staff (they run no pool).
    assert authority_panel(scenario.head_user) is None
    assert authority_panel(member_of(OrgType.DISTRICT_AUTHORITY, Role.STAFF)) is None


def test_the_authority_panel_shows_alerts(client):
    scenario = build_pool_scenario(capital=Decimal("100000.00"))
    claim = submitted_claim(scenario, principal="500000.00")
    from finbridge.riskpool.services.claims import claim_approve

    claim_approve(actor=scenario.authority, claim=claim)
    row = authority_panel(scenario.authority)["rows"][0]
    assert row["free_balance"] < 0 and row["alerts"]


def test_the_bank_panel(client, scenario):
    scenario.enrol(scenario.make_loan(amount=Decimal("600000.00")))
    claim = submitted_claim(scenario)
    panel = bank_panel(scenario.head_user)
    assert panel is not None and panel["rows"][0]["covered_balance"] == Decimal("1600000.00")  # both loans
    assert panel["rows"][0]["returned"] == 0 and panel["rows"][0]["suspended"] == []
    claim_return(actor=scenario.authority, claim=claim, reason="补充")
    member_suspend(actor=scenario.authority, member=scenario.head_member, note="核查")
    row = bank_panel(scenario.head_user)["rows"][0]
    assert row["returned"] == 1 and row["suspended"] == [scenario.market.head.display_name]
    client.force_login(scenario.branch_user)
    home = client.get(reverse("home")).content.decode()
    assert 'data-testid="panel-riskpool-bank"' in home and 'data-testid="panel-suspended"' in home
    # Another member bank sees only its own figures; outsiders and firms get no panel.
    other = bank_panel(scenario.other_bank_user)
    assert other["rows"][0]["covered_balance"] == 0 and other["rows"][0]["returned"] == 0
    assert bank_panel(scenario.market.firm_user) is None
    assert bank_panel(scenario.authority) is None


def test_every_panel_builder_answers_for_anyone(scenario):
    for user in (scenario.authority, scenario.head_user, scenario.market.firm_user, scenario.market.insurer_user):
        for build in PANELS:
            build(user)  # never raises
