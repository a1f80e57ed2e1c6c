"""Journey 7: a firm posts a financing demand and sees its matches; the bank's sci-tech branch takes it up,
approves it and records the loan; the firm sees it disbursed and the branch's league-table figures change.

Only the setup (the market of tests/setup.py and one published product of the sci-tech branch, made through
the product services so matching knows it) is written in Python; everything after it is done in the pages.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.translation import override
from playwright.sync_api import Locator, Page, expect

from finbridge.analytics.selectors import METRICS
from finbridge.financing.choices import (
    DemandPurpose,
    DemandStatus,
    EngagementStatus,
    ProductKind,
    ProductStatus,
    RateType,
)
from finbridge.financing.models import Demand, DemandMatch, Loan, Product
from finbridge.financing.services.products import product_create, product_publish
from finbridge.financing.tests.setup import Market, build_market

pytestmark = pytest.mark.e2e

PRODUCT_ZH = "科创首贷通"
PRODUCT_EN = "Sci-Tech First Loan"
CONTRACT = "KJZH-2025-0001"
NAV_DEMANDS = "/financing/demands/"
NAV_INBOX = "/financing/matching/inbox/"
NAV_LEAGUE = "/analytics/league-table/"
# Where each figure sits in a league-table row: rank, office, then one cell per metric.
COLUMN = {metric.key: index + 2 for index, metric in enumerate(METRICS)}
COUNTED = ("first_time_count", "msme_borrowers", "tech_count")
BALANCE = "inclusive_balance_end"
# Latin words a Chinese page may show: the brand, the API link, file types, and data (names, contract numbers).
LATIN_ALLOWED = {"FinBridge", "API", "Excel", "xlsx", "KJZH"}


@pytest.fixture
def market_and_product() -> tuple[Market, Product]:
    """The shared market with one published credit loan of the sci-tech branch that fits the firm's demand."""
    market = build_market()
    data = {
        "name": PRODUCT_ZH,
        "name_en": PRODUCT_EN,
        "kind": ProductKind.CREDIT_LOAN,
        "suits_first_time_borrowers": True,
        "amount_min": "500000",
        "amount_max": "5000000",
        "term_min_months": 6,
        "term_max_months": 36,
        "rate_type": RateType.FIXED,
        "fixed_rate": "0.0385",
        "eligible_size_classes": ["micro", "small", "medium"],
        "msme_exclusive": True,
        "description": "面向科技型中小企业的首贷信用贷款。",
        "description_en": "A first unsecured loan for technology SMEs.",
    }
    product = product_create(actor=market.scitech_user, provider=market.scitech, data=data)
    product = product_publish(actor=market.scitech_user, product=product)
    assert product.status == ProductStatus.PUBLISHED
    return market, product


def name_in(language: str, zh: str, en: str) -> str:
    return zh if language == "zh-hans" else en


def open_menu(page: Page, href: str, *, menu_label: str | re.Pattern | None = None) -> None:
    """Open the navbar drop-down holding the link to `href`, check the label, and follow the link."""
    menu = page.locator("#fb-nav li.dropdown").filter(has=page.locator(f'a[href="{href}"]'))
    toggle = menu.get_by_role("button")
    if menu_label is not None:
        expect(toggle).to_have_text(menu_label)
    link = menu.get_by_role("link").and_(menu.locator(f'a[href="{href}"]'))
    expect(link).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(link).to_be_visible()
    link.click()
    expect(page).to_have_url(re.compile(re.escape(href) + r"(\?.*)?$"))


def expect_language(page: Page, language: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", language)


def league_row(page: Page, office: str) -> Locator:
    name = page.locator("span.fw-semibold").filter(has_text=re.compile(rf"^{re.escape(office)}$"))
    return page.get_by_test_id("league-row").filter(has=name)


def expect_no_english(page: Page, *data: str) -> None:
    """The main part of a Chinese page holds no English word but those of `data` (names shown as stored)."""
    allowed = LATIN_ALLOWED | {word for text in data for word in re.findall(r"[A-Za-z]+", text)}
    words = set(re.findall(r"[A-Za-z]{2,}", page.locator("main").inner_text())) - allowed
    assert not words, f"untranslated on a Chinese page: {sorted(words)}"


def league_figures(page: Page, office: str) -> dict[str, Decimal]:
    """Show the league table by bank office (the default period: the last twelve months) and read a row."""
    page.locator("#id_level").select_option("branch")
    page.get_by_test_id("league-submit").click()
    expect(page).to_have_url(re.compile(r"level=branch"))
    expect(page.get_by_test_id("league-table")).to_be_visible()
    row = league_row(page, office)
    expect(row).to_have_count(1)
    expect(row).to_have_class(re.compile(r"\btable-info\b"))  # sci-tech branches are highlighted
    values = {key: row.locator("td").nth(COLUMN[key]).get_attribute("data-value") for key in (*COUNTED, BALANCE)}
    return {key: Decimal(value or "0") for key, value in values.items()}


def test_firm_posts_demand_scitech_branch_lends_and_league_table_changes(
    page_in, language, market_and_product, login, shoot
):
    market, product = market_and_product
    firm_user, banker = market.firm_user, market.scitech_user
    product_name = name_in(language, PRODUCT_ZH, PRODUCT_EN)
    branch_name = name_in(language, market.scitech.name, market.scitech.name_en)
    firm_name = market.factory.name  # enterprise names are shown as registered (Chinese)
    firm_english_name = market.factory.name_en  # the firm summary shows it too
    today = timezone.localdate()

    # ---- 1. The firm posts a demand and sees the sci-tech branch's product among its matches. ----------------
    firm = page_in(language)
    login(firm, firm_user.username)
    expect_language(firm, language)
    open_menu(firm, NAV_DEMANDS, menu_label="Financing" if language == "en" else re.compile("融资"))
    expect(firm.get_by_test_id("empty")).to_be_visible()
    firm.get_by_test_id("new-demand").click()

    form = firm.get_by_test_id("demand-form")
    expect(form).to_be_visible()
    form.locator("#id_amount_wan").fill("300")
    form.locator("#id_term_months").fill("12")
    form.locator("#id_purpose").select_option(DemandPurpose.RND)
    form.locator("#id_max_rate_percent").fill("4.5")
    form.locator("#id_description").fill("研发新一代电池连接件，需要流动资金。")
    expect(form.locator("input[name=visibility][value=all]")).to_be_checked()
    shoot(firm, "demand-form")
    form.get_by_test_id("save").click()  # saved as a draft first ...

    expect(firm).to_have_url(re.compile(r"/financing/demands/\d+/$"))
    demand = Demand.objects.get(enterprise=market.factory)
    assert demand.status == DemandStatus.DRAFT
    assert demand.amount == 3_000_000 and demand.term_months == 12 and str(demand.max_annual_rate) == "0.045000"
    header = firm.locator("main .fb-page-header")
    expect(header.get_by_test_id("status-draft")).to_be_visible()
    expect(firm.get_by_test_id("amount")).to_contain_text("300")
    firm.get_by_test_id("publish").click()  # ... then published from its page

    expect(header.get_by_test_id("status-published")).to_be_visible()
    expect(firm.get_by_role("alert")).to_be_visible()
    expect(firm.get_by_test_id("respond-by")).to_be_visible()
    demand.refresh_from_db()
    assert demand.status == DemandStatus.PUBLISHED

    # The matches panel is loaded by htmx after the page: the product fits, with the reasons it fits.
    matches = firm.get_by_test_id("matches")
    fit = matches.get_by_test_id("match-fit")
    expect(fit).to_have_count(1)
    expect(fit).to_have_attribute("data-product", str(product.pk))
    expect(fit).to_contain_text(product_name)
    expect(fit).to_contain_text(branch_name)
    expect(fit.get_by_test_id("reason").first).to_be_visible()
    expect(fit.get_by_test_id("failure")).to_have_count(0)
    assert DemandMatch.objects.filter(demand=demand, product=product, fits=True).count() == 1
    if language == "en":
        expect(matches.get_by_test_id("matches-list")).to_contain_text("1 product fits")
    else:
        expect_no_english(firm, firm_english_name)
    shoot(firm, "demand-with-matches")

    # ---- 2. The sci-tech branch: league table first, then its inbox, take-up, review, approval, the loan. -----
    bank = page_in(language)
    login(bank, banker.username)
    expect_language(bank, language)
    open_menu(bank, NAV_LEAGUE)
    before = league_figures(bank, branch_name)
    assert before == dict.fromkeys((*COUNTED, BALANCE), Decimal(0)), before
    if language == "zh-hans":
        expect_no_english(bank)
    shoot(bank, "league-before")

    open_menu(bank, NAV_INBOX)
    row = bank.get_by_test_id("inbox-row")
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-demand", str(demand.pk))
    expect(row).to_contain_text(firm_name)
    expect(row).to_contain_text(product_name)
    expect(row.get_by_test_id("fast-track")).to_be_visible()  # a high-tech firm: fast track
    if language == "zh-hans":
        expect_no_english(bank)
    shoot(bank, "inbox")
    row.get_by_role("link", name=firm_name).click()

    expect(bank).to_have_url(re.compile(rf"/financing/demands/{demand.pk}/$"))
    answer = bank.get_by_test_id("answer")
    answer.locator("#id_note").fill("我行科技支行可提供首贷，请准备近两年财务报表。")
    answer.get_by_test_id("take-up").click()

    engagement = bank.get_by_test_id("engagement")
    expect(engagement.get_by_test_id(f"status-{EngagementStatus.TAKEN_UP}")).to_be_visible()
    expect(bank.get_by_test_id("answer")).to_have_count(0)
    engagement.get_by_test_id("review").click()

    expect(engagement.get_by_test_id(f"status-{EngagementStatus.UNDER_REVIEW}")).to_be_visible()
    approve = engagement.get_by_test_id("approve-form")
    expect(approve.locator("#id_approve_amount_wan")).to_have_value("300")
    approve.locator("#id_approve_rate_percent").fill("3.85")
    approve.locator("#id_approve_product").select_option(str(product.pk))
    approve.get_by_test_id("approve").click()

    expect(engagement.get_by_test_id(f"status-{EngagementStatus.APPROVED}")).to_be_visible()
    expect(bank.get_by_test_id("response-row")).to_contain_text("3.85")
    expect(bank.get_by_test_id("timeline-approved")).to_be_visible()
    if language == "zh-hans":
        expect_no_english(bank, firm_english_name)
    shoot(bank, "engagement-approved")

    disburse = engagement.get_by_test_id("disburse-form")
    disburse.locator("#id_disburse_reference").fill(CONTRACT)
    expect(disburse.locator("#id_disburse_disbursed_on")).to_have_value(today.isoformat())
    disburse.get_by_test_id("disburse").click()

    expect(engagement.get_by_test_id(f"status-{EngagementStatus.DISBURSED}")).to_be_visible()
    expect(engagement.get_by_test_id("disburse-form")).to_have_count(0)
    shoot(bank, "loan-recorded")
    loan = Loan.objects.get(reference=CONTRACT)
    assert loan.lender_id == market.scitech.pk and loan.borrower_id == market.factory.pk
    assert loan.amount == 3_000_000 and str(loan.annual_rate) == "0.038500" and loan.disbursed_on == today
    assert loan.demand_id == demand.pk and loan.product_id == product.pk
    # Derived: no earlier loan (first-time), high-tech firm, credit-loan product, small firm under 10 million.
    assert loan.is_first_time and loan.is_tech_enterprise and loan.is_credit and loan.is_inclusive

    # ---- 3. The firm sees the demand disbursed, with every step; the branch's figures went from 0 to 1. ------
    firm.reload()
    expect(header.get_by_test_id("status-disbursed")).to_be_visible()
    timeline = firm.get_by_test_id("timeline")
    for action in ("created", "published", "taken_up", "review_started", "approved", "disbursed"):
        expect(timeline.get_by_test_id(f"timeline-{action}")).to_be_visible()
    expect(timeline.get_by_test_id("timeline-disbursed")).to_contain_text(branch_name)
    response_row = firm.get_by_test_id("response-row")
    expect(response_row).to_have_count(1)
    expect(response_row).to_contain_text(branch_name)
    expect(response_row).to_contain_text(product_name)
    expect(firm.get_by_test_id("matches").get_by_test_id("matching-closed")).to_be_visible()
    if language == "en":
        expect(header).to_contain_text("Disbursed")
        expect(timeline).to_contain_text("Loan disbursed")
    else:
        expect_no_english(firm, firm_english_name, CONTRACT)
    with override(language):
        assert str(DemandStatus.DISBURSED.label) in header.inner_text()
    shoot(firm, "demand-disbursed")

    open_menu(bank, NAV_LEAGUE)
    after = league_figures(bank, branch_name)
    assert after == {**dict.fromkeys(COUNTED, Decimal(1)), BALANCE: loan.amount}, after
    shoot(bank, "league-after")
