"""Journey 1: a subdistrict officer searches the registry, filters it, edits a record and reads its history."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.tests.factories import SubdistrictFactory, member_of
from finbridge.enterprises.models import Enterprise
from finbridge.enterprises.tests.factories import EnterpriseFactory

pytestmark = pytest.mark.e2e

BIOTECH = "深圳市坪山生物医药研发有限公司"
CAR_PARTS = "深圳市坪山新能源汽车部件有限公司"
MOULDS = "坪山精密模具加工厂"
OUTSIDE = "深圳市坪山生物医药器械有限公司"


@pytest.fixture
def officer_and_records():
    """A subdistrict officer with three enterprises in the area and one, similar, in another area."""
    officer = member_of(OrgType.SUBDISTRICT_OFFICE, Role.STAFF)
    area = officer.memberships.get().organization.subdistrict
    records = {
        "biotech": EnterpriseFactory(
            name=BIOTECH,
            subdistrict=area,
            legal_representative="张三",
            employees=400,
            annual_revenue=Decimal("100000000.00"),
            size_class="medium",
        ),
        "car_parts": EnterpriseFactory(
            name=CAR_PARTS, subdistrict=area, employees=50, annual_revenue=Decimal("10000000.00"), size_class="small"
        ),
        "moulds": EnterpriseFactory(
            name=MOULDS, subdistrict=area, employees=8, annual_revenue=Decimal("1500000.00"), size_class="micro"
        ),
        "outside": EnterpriseFactory(name=OUTSIDE, subdistrict=SubdistrictFactory(), size_class="medium"),
    }
    return officer, records


def search(page: Page, text: str) -> None:
    box = page.get_by_role("searchbox")
    box.fill(text)
    box.press("Enter")


def expect_only_row(page: Page, name: str) -> None:
    rows = page.get_by_test_id("enterprise-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(name)


def test_officer_searches_filters_edits_and_reads_history(page_in, language, officer_and_records, login, shoot):
    officer, records = officer_and_records
    page = page_in(language)
    login(page, officer.username)

    nav_link = page.locator('#fb-nav a[href="/enterprises/"]')
    expect(nav_link).to_have_text("Enterprises" if language == "en" else re.compile("企业"))
    nav_link.click()
    heading = page.get_by_role("heading", level=1)
    if language == "en":
        expect(heading).to_have_text("Enterprises")
    else:
        expect(heading).to_contain_text("企业")
        expect(page.get_by_role("button", name="Search", exact=True)).to_have_count(0)
        expect(page.locator("main")).not_to_contain_text(re.compile(r"\b(Search|Size class|Subdistrict)\b"))
    rows = page.get_by_test_id("enterprise-row")
    expect(rows).to_have_count(3)  # the record of the other subdistrict is not listed
    expect(page.locator("#results")).not_to_contain_text(OUTSIDE)

    # A Chinese name fragment finds the one record of the area that has it.
    search(page, "生物医药")
    expect_only_row(page, BIOTECH)
    shoot(page, "list-search-name")

    # A credit code, typed in lower case with a space, finds its record.
    code = records["car_parts"].uscc
    search(page, f"{code[:8]} {code[8:]}".lower())
    expect_only_row(page, CAR_PARTS)
    expect(rows.first).to_contain_text(code)

    # Filter by size class with an empty search.
    search(page, "")
    expect(rows).to_have_count(3)
    page.locator("#id_size_class").select_option("micro")
    expect_only_row(page, MOULDS)
    page.locator("#id_size_class").select_option("medium")
    expect_only_row(page, BIOTECH)
    expect(page).to_have_url(re.compile(r"size_class=medium"))
    shoot(page, "list-filter-size")

    # Open the record, edit it in the browser, and read the change in its history.
    rows.first.get_by_role("link", name=BIOTECH).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(BIOTECH)
    expect(page.locator("main")).to_contain_text("张三")
    shoot(page, "detail")

    page.get_by_test_id("edit-link").click()
    form = page.get_by_test_id("enterprise-form")
    expect(form.locator("#id_legal_representative")).to_have_value("张三")
    form.locator("#id_legal_representative").fill("王五")
    shoot(page, "edit")
    form.get_by_test_id("save").click()

    expect(page).to_have_url(re.compile(rf"/enterprises/{records['biotech'].pk}/$"))
    expect(page.locator("main")).to_contain_text("王五")
    expect(page.locator("main")).not_to_contain_text("张三")
    if language == "en":
        expect(page.get_by_role("alert")).to_contain_text("Your changes were saved.")
    assert Enterprise.objects.get(pk=records["biotech"].pk).legal_representative == "王五"

    page.get_by_test_id("history-link").click()
    entries = page.get_by_test_id("history-entry")
    expect(entries).to_have_count(2)  # created by the factory, then changed in the browser
    change = page.locator("tr", has=page.locator("del", has_text="张三"))
    expect(change).to_have_count(1)
    expect(change.locator("ins")).to_have_text("王五")
    expect(entries.first).to_contain_text(officer.username)
    if language == "en":
        expect(change.locator("th")).to_have_text(re.compile(r"^\s*legal representative\s*$", re.IGNORECASE))
        expect(entries.first).to_contain_text("Changed")
    else:
        expect(page.get_by_role("heading", level=1)).to_contain_text(BIOTECH)
        expect(page.locator("main")).not_to_contain_text(re.compile("legal representative", re.IGNORECASE))
        expect(page.locator("main")).not_to_contain_text("Before")
    shoot(page, "history")
