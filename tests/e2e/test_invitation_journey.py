"""Journey 5: an organisation admin invites a person by email; the invitee accepts and signs in."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from finbridge.accounts.choices import BankTier, OrgType, Role
from finbridge.accounts.models import Membership
from finbridge.accounts.tests.factories import OrganizationFactory, member_of

pytestmark = pytest.mark.e2e

BANK_EN = "Pingshan Invitation Test Bank"
INVITEE_EMAIL = "li.na@pingshan-bank.example"
INVITEE_PASSWORD = "Lantern-harbour-2931"


@pytest.fixture
def bank_admin():
    bank = OrganizationFactory(
        org_type=OrgType.BANK, bank_tier=BankTier.BRANCH, name="坪山邀请测试银行", name_en=BANK_EN
    )
    return member_of(OrgType.BANK, Role.ADMIN, organization=bank)


def test_admin_invites_a_member_who_accepts_and_signs_in(page, page_in, bank_admin, login, shoot):
    bank = bank_admin.memberships.get().organization
    login(page, bank_admin.username)
    page.locator('#fb-nav a[href="/accounts/organizations/"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Organisations and members")
    page.get_by_role("row", name=re.compile(BANK_EN)).get_by_role("link", name="Members").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Members of {BANK_EN}")

    page.locator("#id_email").fill(INVITEE_EMAIL)
    page.locator("#id_role").select_option("reviewer")
    shoot(page, "invite-form")
    page.get_by_role("button", name="Send invitation").click()

    expect(page.get_by_role("alert")).to_contain_text(f"An invitation was sent to {INVITEE_EMAIL}.")
    invitations = page.get_by_test_id("invitations")
    expect(invitations).to_contain_text(INVITEE_EMAIL)
    expect(invitations).to_contain_text("Reviewer")
    shoot(page, "invited")

    # The link arrives by email.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [INVITEE_EMAIL]
    assert BANK_EN in message.subject or "坪山邀请测试银行" in message.subject
    link = re.search(r"https?://\S+/accounts/invite/\S+/", message.body)
    assert link is not None, message.body

    # The invitee opens it in another browser, creates an account and is signed in.
    invitee = page_in("en")
    invitee.goto(link.group(0))
    expect(invitee.get_by_role("heading", level=1)).to_have_text(f"Join {BANK_EN}")
    expect(invitee.locator("main")).to_contain_text(INVITEE_EMAIL)
    invitee.get_by_label("Username").fill("li.na")
    invitee.get_by_label("Display name").fill("李娜")
    invitee.locator("#id_password1").fill(INVITEE_PASSWORD)
    invitee.locator("#id_password2").fill(INVITEE_PASSWORD)
    shoot(invitee, "accept")
    invitee.get_by_role("button", name="Create account and join").click()

    expect(invitee).to_have_url(re.compile(r"^https?://[^/]+/$"))
    expect(invitee.get_by_role("alert")).to_contain_text(f"Welcome to {BANK_EN}.")
    expect(invitee.get_by_test_id("user-menu")).to_have_text("李娜")
    membership = Membership.objects.get(user__username="li.na")
    assert (membership.organization_id, membership.role) == (bank.pk, Role.REVIEWER)
    shoot(invitee, "welcome")

    # The link works once.
    used = invitee.goto(link.group(0))
    assert used is not None and used.status == 410
    expect(invitee.locator("main")).to_contain_text("This invitation has already been used.")

    # Signing out and in again with the new password works; the admin sees the new member.
    invitee.get_by_test_id("user-menu").click()
    invitee.get_by_test_id("logout").click()
    expect(invitee).to_have_url(re.compile(r"/accounts/login/"))
    login(invitee, "li.na", INVITEE_PASSWORD)
    expect(invitee.get_by_role("heading", level=1)).to_contain_text("李娜")

    page.reload()
    expect(page.get_by_test_id("members")).to_contain_text("li.na")
    expect(page.get_by_test_id("invitations")).not_to_contain_text(INVITEE_EMAIL)
