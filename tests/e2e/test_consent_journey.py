"""Journey 4: an MSME owner grants a bank consent, the bank opens the record, the owner revokes, the bank is shut out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from finbridge.accounts.choices import BankTier, OrgType, Role
from finbridge.accounts.tests.factories import OrganizationFactory, member_of
from finbridge.enterprises.models import Consent
from finbridge.enterprises.tests.factories import EnterpriseFactory

pytestmark = pytest.mark.e2e

ENTERPRISE = "深圳市坪山授权测试新材料有限公司"
BANK_ZH = "坪山测试银行科技支行"
BANK_EN = "Pingshan Test Bank Sci-tech Branch"


@pytest.fixture
def owner_bank_and_record():
    owner = member_of(OrgType.MSME, Role.ADMIN)
    enterprise = EnterpriseFactory(name=ENTERPRISE, organization=owner.memberships.get().organization)
    bank = OrganizationFactory(org_type=OrgType.BANK, bank_tier=BankTier.SCITECH_BRANCH, name=BANK_ZH, name_en=BANK_EN)
    banker = member_of(OrgType.BANK, Role.STAFF, organization=bank)
    return owner, banker, enterprise


def expect_not_found(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 404
    expect(page.locator("body")).not_to_contain_text(ENTERPRISE)
    expect(page.get_by_test_id("not-found")).to_be_visible()  # the site's own page, in the site's layout
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile("not found|找不到|不存在|未找到", re.IGNORECASE)
    )


def test_owner_grants_and_revokes_consent_to_a_bank(page_in, language, owner_bank_and_record, login, shoot):
    owner, banker, enterprise = owner_bank_and_record
    record_url = f"/enterprises/{enterprise.pk}/"
    bank_name = BANK_EN if language == "en" else BANK_ZH

    bank_page = page_in(language)
    login(bank_page, banker.username)
    expect_not_found(bank_page, record_url)  # no consent yet

    owner_page = page_in(language)
    login(owner_page, owner.username)
    owner_page.locator('#fb-nav a[href="/enterprises/consents/"]').click()
    if language == "en":
        expect(owner_page.get_by_role("heading", level=1)).to_have_text("Consents")
    else:
        expect(owner_page.get_by_role("heading", level=1)).not_to_have_text("Consents")
        expect(owner_page.locator('#fb-nav a[href="/enterprises/"]')).to_contain_text("企业")
    form = owner_page.get_by_test_id("grant-form")
    bank_option = form.locator("#id_grantee option", has_text=bank_name)
    form.locator("#id_grantee").select_option(value=bank_option.get_attribute("value"))
    form.locator("input[name=scope][value=financials]").check()
    shoot(owner_page, "grant-form")
    form.get_by_test_id("grant").click()

    consent_row = owner_page.get_by_test_id("consent-row")
    expect(consent_row).to_have_count(1)
    expect(consent_row).to_contain_text(bank_name)
    expect(owner_page.get_by_role("alert")).to_contain_text(bank_name)
    if language == "en":
        expect(consent_row).to_contain_text("Active")
        expect(owner_page.get_by_role("alert")).to_contain_text("may now see your data")
    assert Consent.objects.filter(enterprise=enterprise, grantee__name=BANK_ZH, revoked_at__isnull=True).count() == 1
    shoot(owner_page, "granted")

    # The bank opens the record, figures included (the consent covers them).
    response = bank_page.goto(record_url)
    assert response is not None and response.status == 200
    expect(bank_page.get_by_role("heading", level=1)).to_have_text(ENTERPRISE)
    expect(bank_page.get_by_test_id("annual-revenue")).to_contain_text("3,000.00")
    expect(bank_page.get_by_test_id("figures-not-shared")).to_have_count(0)
    shoot(bank_page, "bank-sees-record")

    # The owner revokes (confirming the dialog); the bank gets the not-found page at once.
    owner_page.once("dialog", lambda dialog: dialog.accept())
    consent_row.get_by_test_id("revoke").click()
    expect(consent_row.get_by_test_id("revoke")).to_have_count(0)
    if language == "en":
        expect(consent_row).to_contain_text("Revoked")
        expect(owner_page.get_by_role("alert")).to_contain_text("can no longer see your data")
    assert Consent.objects.get(enterprise=enterprise).revoked_at is not None
    shoot(owner_page, "revoked")

    expect_not_found(bank_page, record_url)
    shoot(bank_page, "bank-not-found")
    bank_page.goto("/enterprises/")
    expect(bank_page.get_by_test_id("enterprise-row")).to_have_count(0)
    expect(bank_page.get_by_test_id("no-results")).to_be_visible()
