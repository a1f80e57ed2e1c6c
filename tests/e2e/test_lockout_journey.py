"""Journey 6: repeated wrong passwords lock the sign-in out, with a clear message, even for the right password."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.tests.factories import member_of

pytestmark = pytest.mark.e2e

LOCKED_MESSAGE = re.compile(r"Too many failed sign-in attempts\. Try again in \d+ minutes\.")


def submit_login(page: Page, username: str, password: str) -> int:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    with page.expect_response(lambda r: r.url.endswith("/accounts/login/") and r.request.method == "POST") as info:
        page.locator("main form button[type=submit]").click()
    return info.value.status


def test_too_many_wrong_passwords_lock_the_login(page, login, shoot):
    user = member_of(OrgType.SUBDISTRICT_OFFICE, Role.STAFF)
    limit = settings.AXES_FAILURE_LIMIT

    for _ in range(limit - 1):
        assert submit_login(page, user.username, "wrong-password") == 200
        expect(page.get_by_role("alert")).to_contain_text("enter a correct username and password")
    shoot(page, "wrong-password")

    assert submit_login(page, user.username, "wrong-password") == 429
    expect(page.get_by_role("alert")).to_have_text(LOCKED_MESSAGE)
    expect(page.get_by_role("alert")).to_contain_text(f"{settings.AXES_COOLOFF_TIME.seconds // 60} minutes")
    shoot(page, "locked")

    # Locked even with the right password: no session is opened.
    assert submit_login(page, user.username, "correct-horse-battery") == 429
    expect(page.get_by_role("alert")).to_have_text(LOCKED_MESSAGE)
    expect(page.get_by_test_id("user-menu")).to_have_count(0)
    response = page.goto("/enterprises/")
    assert response is not None
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))

    # Another person at the same address is not affected.
    other = member_of(OrgType.SUBDISTRICT_OFFICE, Role.STAFF)
    login(page, other.username)
    expect(page.get_by_role("heading", level=1)).to_contain_text(other.username)
