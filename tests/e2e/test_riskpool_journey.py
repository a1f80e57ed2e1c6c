"""Journey: a bank enrols a loan in the district's risk-sharing pool, files a claim when it turns bad, the
authority approves it and sees the payout with its arithmetic, the bank reports a recovery and the pool gets its
share back; the statement shows every movement.

Only the setup (the pool scenario of riskpool/tests/setup.py: an active pool with capital, the Pingshan rules and
the head office of 示范银行 admitted; one loan of that bank) and the loan's downgrade to substandard (a monthly
status report in real life) are done in Python; everything else is done in the pages, in both languages.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from finbridge.financing.choices import LoanClassification
from finbridge.riskpool.choices import ClaimStatus, EnrolmentStatus
from finbridge.riskpool.models import Claim, Enrolment, Recovery
from finbridge.riskpool.selectors.ledger import ledger_assert_invariants
from finbridge.riskpool.tests.setup import build_pool_scenario

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n% evidence of the default\n"
POOLS = "/riskpool/"


def open_menu(page: Page, href: str) -> None:
    """Open the navbar drop-down holding the link to `href` and follow it."""
    menu = page.locator("#fb-nav li.dropdown").filter(has=page.locator(f'a[href="{href}"]'))
    menu.get_by_role("button").click()
    menu.locator(f'a[href="{href}"]').click()
    expect(page).to_have_url(re.compile(re.escape(href) + r"(\?.*)?$"))


def test_enrol_claim_payout_and_recovery(page_in, language, login, shoot):
    scenario = build_pool_scenario()
    loan = scenario.make_loan(amount=Decimal("800000.00"))
    pool = scenario.pool
    today = timezone.localdate()

    # ---- 1. The bank enrols the loan: checks it first, then enrols it from its row. ------------------------
    bank = page_in(language)
    login(bank, scenario.head_user.username)
    expect(bank.locator("html")).to_have_attribute("lang", language)
    open_menu(bank, POOLS)
    bank.get_by_test_id("pool-row").first.get_by_role("link").first.click()
    expect(bank.get_by_test_id("pool-name")).to_contain_text(pool.name_en if language == "en" else pool.name)
    bank.get_by_test_id("enrol-loans").click()
    row = bank.get_by_test_id("loan-row").filter(has_text=loan.reference)
    expect(row).to_have_count(1)
    row.get_by_test_id(f"check-{loan.pk}").click()
    expect(bank.get_by_test_id(f"eligibility-{loan.pk}").get_by_test_id("eligible")).to_be_visible()
    shoot(bank, "enrol")
    row.get_by_test_id(f"enrol-one-{loan.pk}").click()
    expect(bank.get_by_test_id("enrolment-status")).to_be_visible()
    enrolment = Enrolment.objects.get(loan=loan)
    assert enrolment.status == EnrolmentStatus.ACTIVE and enrolment.covered_amount == Decimal("800000.00")
    expect(bank.get_by_test_id("file-claim")).to_have_count(0)  # still performing: nothing to claim

    # A second enrolment of the same loan is refused, with the reason.
    bank.goto(f"/riskpool/{pool.pk}/enrol/")
    expect(bank.get_by_test_id("loan-row").filter(has_text=loan.reference)).to_have_count(0)

    # ---- 2. The loan turns substandard; the bank files a claim with evidence. ---------------------------
    scenario.classify(loan, LoanClassification.SUBSTANDARD)
    bank.goto(f"/riskpool/enrolments/{enrolment.pk}/")
    bank.get_by_test_id("file-claim").click()
    form = bank.get_by_test_id("claim-form")
    form.locator("#id_lost_principal").fill("900000")  # more than the outstanding balance: refused
    form.locator("#id_defaulted_on").fill(today.isoformat())
    form.locator("#id_documents").set_input_files(
        files=[{"name": "evidence.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    form.get_by_test_id("claim-submit").click()
    expect(bank.get_by_test_id("error-lost_principal")).to_be_visible()
    assert not Claim.objects.exists()
    form = bank.get_by_test_id("claim-form")
    form.locator("#id_lost_principal").fill("500,000.00")
    form.locator("#id_lost_interest").fill("0")
    form.locator("#id_defaulted_on").fill(today.isoformat())
    form.locator("#id_documents").set_input_files(
        files=[{"name": "evidence.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    shoot(bank, "claim-form")
    form.get_by_test_id("claim-submit").click()
    expect(bank.get_by_test_id("claim-status")).to_be_visible()
    claim = Claim.objects.get()
    assert claim.status == ClaimStatus.SUBMITTED
    expect(bank.get_by_test_id("claim-documents")).to_contain_text("evidence.pdf")

    # ---- 3. The authority sees the claim waiting, previews the payout and approves it. -------------------
    authority = page_in(language)
    login(authority, scenario.authority.username)
    panel = authority.get_by_test_id("panel-riskpool-authority")
    expect(panel.get_by_test_id("panel-waiting")).to_have_text("1")
    shoot(authority, "home")
    open_menu(authority, "/riskpool/claims/")
    authority.get_by_test_id("claim-row").get_by_role("link").first.click()
    expect(authority.get_by_test_id("payout-preview")).to_contain_text("150,000.00")
    shoot(authority, "review")
    authority.locator("input[name=decision][value=approve]").check()
    authority.get_by_test_id("review-submit").click()
    payout = authority.get_by_test_id("payout")
    expect(payout).to_be_visible()
    expect(payout.get_by_test_id("payout-amount")).to_contain_text("150,000.00")
    expect(payout.get_by_test_id("payout-version")).to_contain_text("1")
    expect(payout.get_by_test_id("breakdown-steps").locator("li")).not_to_have_count(0)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    shoot(authority, "payout")

    # A second approval is impossible: the review form is gone.
    expect(authority.get_by_test_id("review-form")).to_have_count(0)

    # ---- 4. The bank sees the payout and reports a recovery; the pool gets its share back. --------------
    bank.goto(f"/riskpool/claims/{claim.pk}/")
    expect(bank.get_by_test_id("payout-amount")).to_contain_text("150,000.00")
    recovery_form = bank.get_by_test_id("recovery-form")
    recovery_form.locator("#id_recovered_amount").fill("100000")
    recovery_form.locator("#id_recovered_on").fill((today + datetime.timedelta(days=1)).isoformat())
    recovery_form.get_by_test_id("recovery-submit").click()
    expect(bank.get_by_test_id("error-recovered_on")).to_be_visible()  # not in the future
    assert not Recovery.objects.exists()
    recovery_form = bank.get_by_test_id("recovery-form")
    recovery_form.locator("#id_recovered_amount").fill("100000")
    recovery_form.locator("#id_recovered_on").fill(today.isoformat())
    recovery_form.get_by_test_id("recovery-submit").click()
    expect(bank.get_by_test_id("recovery")).to_contain_text("30,000.00")
    expect(bank.get_by_test_id("payout-recovered")).to_contain_text("30,000.00")
    shoot(bank, "recovery")

    # ---- 5. The statement shows capital, payout and recovery; the ledger balances. ----------------------
    authority.goto(f"/riskpool/{pool.pk}/statement/")
    expect(authority.get_by_test_id("statement-row")).to_have_count(3)
    expect(authority.get_by_test_id("closing-cash")).to_contain_text("9,880,000.00")
    shoot(authority, "statement")
    authority.goto(f"/riskpool/{pool.pk}/risk/")
    expect(authority.get_by_test_id("risk-row").first).to_be_visible()
    shoot(authority, "risk")
    ledger_assert_invariants(pool)


def test_authority_adds_rules_by_hand_and_runs_a_stress_test(page_in, language, login, shoot):
    scenario = build_pool_scenario()
    pool = scenario.pool
    for _ in range(3):
        scenario.enrol(scenario.make_loan(amount=Decimal("600000.00")))
    authority = page_in(language)
    login(authority, scenario.authority.username)

    # ---- The overview: money of the pool and its capacity. -------------------------------------------------
    authority.goto(f"/riskpool/{pool.pk}/")
    expect(authority.get_by_test_id("figure-capital")).to_contain_text("1,000.00")
    shoot(authority, "overview")

    # ---- A rule version by hand: shares that do not add up are refused next to the category. ----------------
    authority.goto(f"/riskpool/{pool.pk}/rules/")
    authority.get_by_test_id("version-by-hand").click()
    form = authority.get_by_test_id("rule-form")
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    form.locator("#id_effective_from").fill(tomorrow)
    form.locator("#id_label").fill("2027")
    form.locator("#id_direct_pool").fill("40")
    form.locator("#id_direct_bank").fill("70")  # 110% in all
    form.get_by_test_id("rule-submit").click()
    expect(authority.get_by_test_id("category-error-direct")).to_be_visible()
    assert pool.rule_versions.count() == 1
    shoot(authority, "rule-form-error")
    form = authority.get_by_test_id("rule-form")
    form.locator("#id_direct_bank").fill("60")
    form.get_by_test_id("rule-submit").click()
    expect(authority.get_by_test_id("version-title")).to_contain_text("2")
    expect(authority.get_by_test_id("rule-category-direct")).to_contain_text("40%")
    assert pool.rule_versions.count() == 2

    # ---- The stress test: a chart of the payouts and the run-out probability. ------------------------------
    authority.get_by_test_id("tab-stress").click()
    stress = authority.get_by_test_id("stress-form")
    stress.locator("#id_scenarios").fill("2000")
    stress.locator("#id_pd_direct").fill("8")
    stress.locator("#id_loss_rate_direct").fill("70")
    stress.get_by_test_id("stress-submit").click()
    expect(authority.get_by_test_id("stress-run-title")).to_be_visible()
    expect(authority.get_by_test_id("chart-histogram").locator("canvas")).to_have_count(1)
    expect(authority.get_by_test_id("chart-sensitivity").locator("canvas")).to_have_count(1)
    expect(authority.get_by_test_id("sensitivity-table").locator("tbody tr")).to_have_count(5)
    shoot(authority, "stress")
