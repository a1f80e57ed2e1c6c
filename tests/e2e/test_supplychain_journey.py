"""Journey: supply-chain finance. A supplier uploads a receivable with its invoice; the buyer (the debtor) confirms
it, seeing the fingerprint of what it confirms; the supplier asks two banks for financing; one bank checks the
confirmation and the registration search and makes an offer; the supplier accepts it (the pledge is registered);
at maturity the buyer records the payment, which goes to the bank and releases the registration. A second journey
passes a payment voucher down the chain and shows the debtor the whole tree.

Only the organisations are made in Python (tests/setup.py); everything else is done in the pages.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from finbridge.supplychain.choices import (
    FinancingRequestStatus,
    OfferStatus,
    ReceivableStatus,
    RegistrationStatus,
    VoucherStatus,
)
from finbridge.supplychain.models import FinancingRequest, Payment, Receivable, Registration, Voucher
from finbridge.supplychain.services.receivables import payable_create
from finbridge.supplychain.services.vouchers import voucher_issue
from finbridge.supplychain.tests.setup import build_chain

pytestmark = pytest.mark.e2e

INVOICE = "31415926"
NAV_RECEIVABLES = "/supplychain/receivables/"
NAV_OFFERS = "/supplychain/financing/offers/"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def open_menu(page: Page, href: str) -> None:
    """Open the navbar drop-down holding the link to `href` and follow it."""
    menu = page.locator("#fb-nav li.dropdown").filter(has=page.locator(f'a[href="{href}"]'))
    menu.get_by_role("button").click()
    menu.locator(f'a[href="{href}"]').click()
    expect(page).to_have_url(re.compile(re.escape(href) + r"(\?.*)?$"))


def accept_dialogs(page: Page) -> None:
    page.on("dialog", lambda dialog: dialog.accept())


@pytest.fixture
def chain():
    chain = build_chain()
    for name in ("supplier", "core", "bank_a", "tier2"):
        chain.user(name)
    return chain


def test_upload_confirm_finance_accept_and_settle(page_in, language, chain, login, shoot, tmp_path):
    today = timezone.localdate()
    invoice_file = tmp_path / "invoice.pdf"
    invoice_file.write_bytes(PDF)

    # ---- 1. The supplier uploads a receivable on its buyer, with the invoice scan. ----------------------------
    supplier = page_in(language)
    accept_dialogs(supplier)
    login(supplier, chain.user("supplier").username)
    expect(supplier.locator("html")).to_have_attribute("lang", language)
    open_menu(supplier, NAV_RECEIVABLES)
    supplier.get_by_test_id("receivables-create").click()
    form = supplier.get_by_test_id("receivable-form")
    form.locator("#id_counterparty_uscc").fill(chain.uscc("core"))
    form.locator("#id_invoice_code").fill("4403201130")
    form.locator("#id_invoice_number").fill(INVOICE)
    form.locator("#id_amount").fill("860,000.00")
    form.locator("#id_issued_on").fill((today - datetime.timedelta(days=5)).isoformat())
    form.locator("#id_due_on").fill((today + datetime.timedelta(days=90)).isoformat())
    form.locator("#id_contract_reference").fill("HT-2026-088")
    form.locator("#id_documents").set_input_files(str(invoice_file))
    shoot(supplier, "upload-form")
    form.get_by_test_id("save").click()

    expect(supplier).to_have_url(re.compile(r"/supplychain/receivables/\d+/$"))
    receivable = Receivable.objects.get(invoice_number=INVOICE)
    assert receivable.status == ReceivableStatus.PENDING and receivable.documents.count() == 1
    expect(supplier.get_by_test_id("status-pending")).to_be_visible()
    expect(supplier.get_by_test_id("amount")).to_contain_text("86")
    expect(supplier.get_by_test_id("document")).to_have_text("invoice.pdf")

    # ---- 2. The buyer finds it among its payables, sees the fingerprint and confirms. -------------------------
    buyer = page_in(language)
    accept_dialogs(buyer)
    login(buyer, chain.user("core").username)
    expect(buyer.get_by_test_id("panel-sc-confirm")).to_contain_text(INVOICE)
    open_menu(buyer, NAV_RECEIVABLES)
    buyer.get_by_test_id("side-debtor").click()
    row = buyer.locator(f'[data-testid="receivable-row"][data-receivable="{receivable.pk}"]')
    expect(row).to_be_visible()
    expect(row.get_by_test_id("select-receivable")).to_be_visible()  # it could be confirmed with others, too
    shoot(buyer, "payables-to-confirm")
    row.get_by_role("link").click()
    panel = buyer.get_by_test_id("confirm-panel")
    fingerprint = panel.get_by_test_id("fingerprint").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint)
    shoot(buyer, "confirm")
    panel.get_by_test_id("confirm").click()
    expect(buyer.get_by_test_id("status-confirmed")).to_be_visible()
    expect(buyer.get_by_test_id("confirmation").get_by_test_id("fingerprint")).to_have_text(fingerprint)
    receivable.refresh_from_db()
    assert receivable.status == ReceivableStatus.CONFIRMED and receivable.confirmation.fingerprint == fingerprint

    # ---- 3. The supplier asks two banks. ------------------------------------------------------------------------
    supplier.reload()
    supplier.get_by_test_id("request-financing").click()
    request_form = supplier.get_by_test_id("request-form")
    expect(request_form.locator(f'input[name=receivables][value="{receivable.pk}"]')).to_be_checked()
    request_form.locator(f'input[name=funders][value="{chain.bank_a.pk}"]').check()
    request_form.locator(f'input[name=funders][value="{chain.bank_b.pk}"]').check()
    request_form.locator("#id_amount_requested").fill("700000")
    shoot(supplier, "request-form")
    request_form.get_by_test_id("send-request").click()
    expect(supplier).to_have_url(re.compile(r"/supplychain/financing/requests/\d+/$"))
    financing_request = FinancingRequest.objects.get()
    assert financing_request.status == FinancingRequestStatus.OPEN and financing_request.offers.count() == 2

    # ---- 4. Bank A checks the confirmation and the registration search, and offers. ----------------------------
    bank = page_in(language)
    login(bank, chain.user("bank_a").username)
    expect(bank.get_by_test_id("panel-sc-inbox")).to_be_visible()
    open_menu(bank, NAV_OFFERS)
    bank.get_by_test_id("offer-row").get_by_role("link").first.click()
    expect(bank.get_by_test_id("item-row").get_by_test_id("fingerprint")).to_have_attribute(
        "data-fingerprint", fingerprint
    )
    expect(bank.get_by_test_id("no-registrations")).to_be_visible()
    offer_form = bank.get_by_test_id("offer-form")
    offer_form.locator("#id_offer_advance_ratio_percent").fill("80")
    offer_form.locator("#id_offer_annual_rate_percent").fill("4.2")
    offer_form.locator("#id_offer_term_days").fill("90")
    offer_form.locator("#id_offer_fees").fill("1000")
    shoot(bank, "offer-form")
    offer_form.get_by_test_id("make-offer").click()
    expect(bank.get_by_test_id("your-answer")).to_contain_text("4.20%")
    expect(bank.get_by_test_id("status-offered")).to_be_visible()

    # ---- 5. The supplier accepts it: the pledge is registered. --------------------------------------------------
    supplier.reload()
    answer = supplier.locator(f'[data-testid="offer-answer"][data-funder="{chain.bank_a.pk}"]')
    expect(answer.get_by_test_id("offer-rate")).to_have_text("4.20%")
    shoot(supplier, "offers")
    answer.get_by_test_id("accept-offer").click()
    expect(supplier.get_by_test_id("status-accepted").first).to_be_visible()
    registration = Registration.objects.get()
    assert registration.funder == chain.bank_a and registration.status == RegistrationStatus.ACTIVE
    assert financing_request.offers.get(funder=chain.bank_b).status == OfferStatus.CLOSED
    receivable.refresh_from_db()
    assert receivable.status == ReceivableStatus.FINANCED

    # ---- 6. At maturity the buyer pays: the bank is paid and the registration released. -----------------------
    buyer.reload()
    expect(buyer.get_by_test_id("registration-row")).to_contain_text(registration.number)
    settle = buyer.get_by_test_id("settle-panel")
    settle.locator("#id_settle_paid_on").fill(today.isoformat())
    settle.locator("#id_settle_reference").fill("PAY-2026-001")
    settle.get_by_test_id("settle").click()
    expect(buyer.get_by_test_id("status-settled").first).to_be_visible()
    expect(buyer.get_by_test_id("payment-row")).to_have_count(1)
    shoot(buyer, "settled")
    payment = Payment.objects.get()
    assert payment.payee == chain.bank_a and payment.amount == receivable.amount
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.RELEASED

    bank.goto("/supplychain/financing/registrations/")
    expect(bank.get_by_test_id("registration-row")).to_contain_text(registration.number)
    expect(bank.get_by_test_id("status-released")).to_be_visible()
    shoot(bank, "registrations")


def test_a_voucher_passes_down_the_chain(page_in, chain, login, shoot):
    today = timezone.localdate()
    payable = payable_create(
        actor=chain.user("core"),
        data={
            "creditor": chain.supplier.pk,
            "invoice_code": "",
            "invoice_number": "27182818",
            "amount": "600000.00",
            "issued_on": (today - datetime.timedelta(days=3)).isoformat(),
            "due_on": (today + datetime.timedelta(days=120)).isoformat(),
        },
    )
    voucher = voucher_issue(actor=chain.user("core"), receivable_id=payable.pk)

    supplier = page_in("en")
    login(supplier, chain.user("supplier").username)
    supplier.goto(f"/supplychain/vouchers/{voucher.pk}/")
    split = supplier.get_by_test_id("split-form")
    split.locator("#id_split-0-amount").fill("250000")
    split.locator("#id_split-0-recipient_uscc").fill(chain.uscc("tier2"))
    shoot(supplier, "split-form")
    split.get_by_test_id("split").click()
    expect(supplier.get_by_test_id("child-part")).to_have_count(2)
    tier2_part = Voucher.objects.get(holder=chain.tier2)
    assert tier2_part.tier == 2 and tier2_part.amount == 250000
    assert Voucher.objects.get(pk=voucher.pk).status == VoucherStatus.SPLIT

    tier2 = page_in("en")
    login(tier2, chain.user("tier2").username)
    tier2.goto("/supplychain/vouchers/")
    tier2.get_by_test_id("voucher-row").get_by_role("link").click()
    expect(tier2.get_by_test_id("trace-part")).to_have_count(2)
    expect(tier2.get_by_test_id("trace").get_by_test_id("fingerprint")).to_have_text(payable.confirmation.fingerprint)
    shoot(tier2, "tier2-part")

    buyer = page_in("en")
    login(buyer, chain.user("core").username)
    buyer.goto(f"/supplychain/vouchers/{voucher.pk}/")
    expect(buyer.get_by_test_id("tree-node")).to_have_count(3)
    expect(buyer.locator("#voucher-tree-chart canvas")).to_have_count(1)
    shoot(buyer, "tree")
