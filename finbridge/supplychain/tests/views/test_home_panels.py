"""The home-page panels of supply-chain finance: the debtor's receivables to confirm, the supplier's offers to
decide and overdue receivables, the bank's requests waiting for an offer — each only for its reader."""

from __future__ import annotations

import pytest
from django.urls import reverse

from finbridge.accounts.choices import Role
from finbridge.supplychain.choices import ReceivableStatus
from finbridge.supplychain.tests.setup import make_receivable

pytestmark = pytest.mark.django_db
HOME = reverse("home")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_each_party_gets_its_panel(page_as, world, language):
    make_receivable(world.chain, status=ReceivableStatus.CONFIRMED, is_overdue=True)
    panels = {
        "core": {"panel-sc-confirm"},
        "supplier": {"panel-sc-offers"},
        "bank_b": {"panel-sc-inbox"},
        "bank_a": {"panel-sc-inbox"},
    }
    for name, expected in panels.items():
        html = page_as(name).get(HOME, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        for testid in ("panel-sc-confirm", "panel-sc-offers", "panel-sc-inbox"):
            assert (f'data-testid="{testid}"' in html) == (testid in expected), (name, testid)
    core = page_as("core").get(HOME).content.decode()
    assert world.pending.invoice_number in core
    bank_b = page_as("bank_b").get(HOME).content.decode()
    assert reverse("supplychain:offers-detail", args=[world.offer_b.pk]) in bank_b


def test_no_panel_for_readers_without_work(page_as, world):
    for name, role in (("district", Role.VIEWER), ("outsider", Role.STAFF), ("guarantor", Role.ADMIN)):
        html = page_as(name, role).get(HOME).content.decode()
        assert "panel-sc-" not in html, name
