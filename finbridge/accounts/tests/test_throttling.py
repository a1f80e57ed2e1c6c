"""Login throttling (django-axes, AXES_FAILURE_LIMIT failures per username and address) in pages and API."""

from __future__ import annotations

import pytest
from django.conf import settings
from rest_framework.authtoken.models import Token

from finbridge.accounts.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
TOKEN_URL = "/api/v1/auth/token/"


def _page_login(client, username, password):
    return client.post(LOGIN_URL, {"username": username, "password": password})


def _api_login(client, username, password):
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json")


def test_the_limit_is_five(settings):
    assert settings.AXES_FAILURE_LIMIT == 5


def test_page_locks_out_after_repeated_failures_and_refuses_the_right_password(client, bank_staff):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _page_login(client, bank_staff.username, "wrong-password-1")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
    # The failure that reaches the limit locks the pair at once, so the 5th and 6th answer 429.
    assert _page_login(client, bank_staff.username, "wrong-password-1").status_code == 429
    sixth = _page_login(client, bank_staff.username, "wrong-password-1")
    assert sixth.status_code == 429
    assert "Too many failed sign-in attempts. Try again in 15 minutes." in sixth.content.decode()
    locked = _page_login(client, bank_staff.username, PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_page_lockout_is_per_username(client, bank_staff, bank_admin):
    for _attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        _page_login(client, bank_staff.username, "wrong-password-1")
    response = _page_login(client, bank_admin.username, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(bank_admin.pk)


def test_success_before_the_limit_resets_the_count(client, bank_staff):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        _page_login(client, bank_staff.username, "wrong-password-1")
    assert _page_login(client, bank_staff.username, PASSWORD).status_code == 302
    client.logout()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _page_login(client, bank_staff.username, "wrong-password-1").status_code == 200


def test_api_locks_out_after_repeated_failures_and_refuses_the_right_password(api_client, bank_staff):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _api_login(api_client, bank_staff.username, "wrong-password-1").status_code == 400
    assert _api_login(api_client, bank_staff.username, "wrong-password-1").status_code == 429
    sixth = _api_login(api_client, bank_staff.username, "wrong-password-1")
    assert sixth.status_code == 429
    assert sixth.json() == {
        "code": "locked_out",
        "message": "Too many failed sign-in attempts. Try again in 15 minutes.",
        "fields": {},
    }
    locked = _api_login(api_client, bank_staff.username, PASSWORD)
    assert locked.status_code == 429
    assert not Token.objects.filter(user=bank_staff).exists()


def test_failures_in_pages_and_api_count_together(client, api_client, bank_staff):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        _page_login(client, bank_staff.username, "wrong-password-1")
    assert _api_login(api_client, bank_staff.username, "wrong-password-1").status_code == 429
    assert _api_login(api_client, bank_staff.username, PASSWORD).status_code == 429
