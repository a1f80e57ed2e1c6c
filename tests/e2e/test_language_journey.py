"""Journey 2: the language switch on a page changes the page's language, and the choice persists."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.tests.factories import member_of
from finbridge.enterprises.tests.factories import EnterpriseFactory

pytestmark = pytest.mark.e2e

NAME = "深圳市坪山语言测试科技有限公司"


@pytest.fixture
def authority_staff():
    user = member_of(OrgType.DISTRICT_AUTHORITY, Role.STAFF)
    EnterpriseFactory(name=NAME)
    return user


def expect_english(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("lang-en")).to_have_attribute("aria-pressed", "true")
    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav.get_by_role("link", name="Enterprises", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Home", exact=True)).to_be_visible()


def expect_chinese(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_test_id("lang-zh-hans")).to_have_attribute("aria-pressed", "true")
    nav = page.locator("#fb-nav")
    expect(nav.locator('a[href="/enterprises/"]')).to_contain_text("企业")
    expect(nav).not_to_contain_text("Enterprises")
    expect(nav).not_to_contain_text("Home")
    expect(page.locator("main")).not_to_contain_text(re.compile(r"\b(Search|Welcome|Enterprises|History)\b"))


def test_switch_from_english_to_chinese_and_back(page, chinese_catalog, authority_staff, login, shoot):
    login(page, authority_staff.username)
    page.goto("/enterprises/")
    expect_english(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Enterprises")
    expect(page.get_by_role("button", name="Search", exact=True)).to_be_visible()
    shoot(page, "list-english")

    # English → 简体中文 on the list page: the same page comes back in Chinese.
    page.get_by_test_id("lang-zh-hans").click()
    expect(page).to_have_url(re.compile(r"/enterprises/$"))
    expect_chinese(page)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("企业")
    expect(heading).not_to_have_text("Enterprises")
    expect(page.get_by_role("button", name="Search", exact=True)).to_have_count(0)
    expect(page.get_by_test_id("enterprise-row")).to_contain_text(NAME)
    shoot(page, "list-chinese")

    # The choice persists: the next page (the record) is in Chinese too.
    page.get_by_role("link", name=NAME).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(NAME)
    expect_chinese(page)
    expect(page.locator("main")).not_to_contain_text("Profile")
    shoot(page, "detail-chinese")

    # 简体中文 → English on the record page, and English stays on the next page.
    page.get_by_test_id("lang-en").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(NAME)
    expect_english(page)
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Home", exact=True).click()
    expect(page).to_have_url(re.compile(r"^https?://[^/]+/$"))
    expect_english(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def test_switch_to_english_on_the_chinese_sign_in_page_persists_after_signing_in(
    page_in, chinese_catalog, authority_staff, login, shoot
):
    page = page_in("zh-hans")
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("登录")
    expect(page.locator("main")).not_to_contain_text("Sign in")
    expect(page.locator("main")).not_to_contain_text("Username")
    shoot(page, "login-chinese")

    page.get_by_test_id("lang-en").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(heading).to_have_text("Sign in to FinBridge")
    expect(page.get_by_label("Username")).to_be_visible()
    shoot(page, "login-english")

    login(page, authority_staff.username)
    expect_english(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")

    # And back to Chinese from the home page; the enterprise list then opens in Chinese.
    page.get_by_test_id("lang-zh-hans").click()
    expect_chinese(page)
    page.locator('#fb-nav a[href="/enterprises/"]').click()
    expect(page).to_have_url(re.compile(r"/enterprises/"))
    expect_chinese(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("企业")
