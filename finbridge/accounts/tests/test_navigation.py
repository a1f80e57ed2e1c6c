"""The navigation bar: the links and menus each kind of user may follow, and which one is active."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.context_processors import navigation
from finbridge.accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _nav_for(org_type: str, role: str = Role.STAFF, path: str = "/") -> list[dict]:
    user = UserFactory()
    MembershipFactory(user=user, organization=OrganizationFactory(org_type=org_type), role=role)
    request = RequestFactory().get(path)
    request.user = user
    return navigation(request)["nav_items"]


def _labels(items: list[dict]) -> dict[str, list[str]]:
    return {str(i["label"]): [str(c["label"]) for c in i.get("children", [])] for i in items}


def test_a_bank_sees_its_financing_work_in_one_menu():
    labels = _labels(_nav_for(OrgType.BANK))
    assert labels["Financing"] == ["Products", "Demands", "Demand inbox", "Loans", "Bank league table"]
    assert "Import" not in labels and "Audit trail" not in labels


def test_an_msme_sees_products_its_demands_and_loans_but_no_inbox():
    labels = _labels(_nav_for(OrgType.MSME))
    assert labels["Financing"] == ["Products", "Demands", "Loans"]
    assert "Consents" in labels


def test_the_district_authority_oversees_responses_and_reads_the_audit_trail():
    labels = _labels(_nav_for(OrgType.DISTRICT_AUTHORITY, Role.ADMIN))
    assert "Response oversight" in labels["Financing"] and "Demand inbox" not in labels["Financing"]
    assert {"Enterprises", "Import", "Members", "Audit trail"} <= set(labels)


def test_the_longest_matching_link_is_the_active_one():
    items = _nav_for(OrgType.DISTRICT_AUTHORITY, Role.ADMIN, path="/financing/demands/oversight/")
    financing = next(i for i in items if str(i["label"]) == "Financing")
    assert financing["active"] is True
    assert [str(c["label"]) for c in financing["children"] if c["active"]] == ["Response oversight"]
    assert not any(i["active"] for i in items if i is not financing)


def test_anonymous_visitors_get_no_links():
    request = RequestFactory().get("/")
    request.user = type("Anonymous", (), {"is_authenticated": False})()
    assert navigation(request) == {"nav_items": []}
