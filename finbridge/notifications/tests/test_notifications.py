"""Notifications: the list page (unread highlighted), opening and marking read, the bell, the API, and
e-mails in each recipient's language (the language remembered by UserLanguageMiddleware)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework.test import APIClient

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.tests.factories import member_of
from finbridge.financing import notices
from finbridge.financing.choices import DemandStatus
from finbridge.financing.services import responses
from finbridge.financing.tests.setup import build_market, make_demand
from finbridge.notifications.kinds import register_kind, render
from finbridge.notifications.models import Notification
from finbridge.notifications.services import notify_users

pytestmark = pytest.mark.django_db
TEST_KIND = "tests.catalogued"
# A text the Chinese catalog already holds, so the test sees a real translation.
register_kind(TEST_KIND, _("Some fields are not valid."))

MIDDLEWARE_WITH_LANGUAGE = None


def _middleware():
    from django.conf import settings

    items = list(settings.MIDDLEWARE)
    index = items.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1
    return [*items[:index], "finbridge.notifications.middleware.UserLanguageMiddleware", *items[index:]]


def _context_processors():
    from django.conf import settings

    templates = [dict(t) for t in settings.TEMPLATES]
    options = dict(templates[0]["OPTIONS"])
    options["context_processors"] = [
        *options["context_processors"],
        "finbridge.notifications.context_processors.notifications",
    ]
    templates[0]["OPTIONS"] = options
    return templates


@pytest.fixture
def user(db):
    return member_of(OrgType.BANK, Role.STAFF)


def _notify(user, n: int = 1, link: str = "/financing/demands/1/"):
    return notify_users(users=[user] * n, kind=TEST_KIND, params={}, link=link)


# ---- pages ------------------------------------------------------------------------------------------------


def test_list_highlights_unread_and_marks_read(user):
    first, second = _notify(user, 2)
    other = member_of(OrgType.BANK)
    _notify(other)
    client = Client()
    client.force_login(user)
    page = client.get("/notifications/").content.decode()
    assert page.count('data-testid="notification-unread"') == 2
    client.post("/notifications/mark-read/", {"ids": [first.pk]})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    page = client.get("/notifications/").content.decode()
    assert page.count('data-testid="notification-unread"') == 1 and page.count('data-testid="notification"') == 1
    unread_page = client.get("/notifications/?unread=1").content.decode()
    assert (
        unread_page.count('data-testid="notification-unread"') == 1 and 'data-testid="notification"' not in unread_page
    )
    client.post("/notifications/mark-read/")
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).count() == 1  # not someone else's


def test_opening_marks_read_and_follows_the_link(user):
    (notification,) = _notify(user, link="/financing/demands/7/")
    client = Client()
    client.force_login(user)
    response = client.post(f"/notifications/{notification.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/financing/demands/7/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    (outside,) = _notify(user, link="https://evil.example/")
    assert client.post(f"/notifications/{outside.pk}/open/")["Location"] == "/notifications/"


def test_nobody_opens_or_marks_someone_elses_notification(user):
    (notification,) = _notify(user)
    intruder = member_of(OrgType.BANK)
    client = Client()
    client.force_login(intruder)
    assert client.post(f"/notifications/{notification.pk}/open/").status_code == 404
    client.post("/notifications/mark-read/", {"ids": [notification.pk]})
    notification.refresh_from_db()
    assert notification.read_at is None
    assert Client().get("/notifications/").status_code == 302  # anonymous: sign in


def test_list_page_in_chinese(user):
    _notify(user)
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "zh-hans"
    body = client.get("/notifications/").content.decode()
    assert "部分字段填写有误。" in body


def test_bell_shows_the_unread_count(user, settings):
    settings.TEMPLATES = _context_processors()
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    _notify(user, 3)
    request = RequestFactory().get("/")
    request.user = user
    html = render_to_string("notifications/partials/_bell.html", request=request)
    assert 'data-testid="unread-count">3' in html
    Notification.objects.update(read_at="2025-01-01T00:00:00+08:00")
    request = RequestFactory().get("/")
    request.user = user
    html = render_to_string("notifications/partials/_bell.html", request=request)
    assert "unread-count" not in html and "notification-bell" in html


def test_mark_read_by_htmx_returns_the_bell(user, settings):
    settings.TEMPLATES = _context_processors()
    _notify(user, 2)
    client = Client()
    client.force_login(user)
    response = client.post("/notifications/mark-read/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'data-testid="notification-bell"' in response.content.decode()


# ---- API --------------------------------------------------------------------------------------------------


def test_api_lists_own_notifications_and_marks_them_read(user):
    first, second = _notify(user, 2)
    _notify(member_of(OrgType.BANK))
    client = APIClient()
    client.force_authenticate(user)
    listed = client.get("/api/v1/notifications/").json()
    assert listed["count"] == 2 and {n["id"] for n in listed["results"]} == {first.pk, second.pk}
    assert listed["results"][0]["text"] == "Some fields are not valid." and listed["results"][0]["is_read"] is False
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 2}
    assert client.post("/api/v1/notifications/mark-read/", {"ids": [first.pk]}, format="json").json() == {"marked": 1}
    assert client.get("/api/v1/notifications/", {"unread": "true"}).json()["count"] == 1
    assert client.post("/api/v1/notifications/mark-read/", {}, format="json").json() == {"marked": 1}
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 0}


def test_api_zh_text(user):
    _notify(user)
    client = APIClient()
    client.force_authenticate(user)
    body = client.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert body["results"][0]["text"] == "部分字段填写有误。"


@pytest.mark.parametrize("payload", [{"ids": "x"}, {"ids": [True]}, {"ids": [0]}, {"colour": 1}, {"ids": [{}]}])
def test_api_bad_input(user, payload):
    (notification,) = _notify(user)
    client = APIClient()
    client.force_authenticate(user)
    response = client.post("/api/v1/notifications/mark-read/", payload, format="json")
    assert response.status_code == 400 and response.json()["code"] == "validation_failed"
    notification.refresh_from_db()
    assert notification.read_at is None
    assert client.get("/api/v1/notifications/", {"unread": "maybe"}).status_code == 400


def test_api_others_ids_are_ignored_and_anonymous_refused(user):
    (notification,) = _notify(user)
    intruder = APIClient()
    intruder.force_authenticate(member_of(OrgType.BANK))
    assert intruder.post("/api/v1/notifications/mark-read/", {"ids": [notification.pk]}, format="json").json() == {
        "marked": 0
    }
    assert APIClient().get("/api/v1/notifications/").status_code == 401
    assert APIClient().post("/api/v1/notifications/mark-read/").status_code == 401


# ---- the language people use, and e-mails in it ------------------------------------------------------------


def test_middleware_remembers_the_language_of_page_requests(user, settings):
    settings.MIDDLEWARE = _middleware()
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "zh-hans"
    client.get("/notifications/")
    user.refresh_from_db()
    assert user.language == "zh-hans"
    client.post("/i18n/setlang/", {"language": "en", "next": "/notifications/"}, follow=True)
    user.refresh_from_db()
    assert user.language == "en"
    # an API call in another language does not change it
    api = APIClient()
    api.force_authenticate(user)
    api.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    user.refresh_from_db()
    assert user.language == "en"


def test_emails_go_out_in_each_recipients_language(django_capture_on_commit_callbacks):
    zh = member_of(OrgType.BANK)
    zh.language = "zh-hans"
    zh.save()
    en = member_of(OrgType.BANK)
    en.language = "en"
    en.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify_users(users=[zh, en], kind=TEST_KIND, params={}, link="/financing/demands/1/")
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert "部分字段填写有误。" in by_recipient[zh.email].body
    assert "Some fields are not valid." in by_recipient[en.email].body
    assert by_recipient[en.email].body.endswith("/financing/demands/1/")
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 2


@override_settings(LANGUAGE_CODE="en")
def test_demand_notifications_are_created_and_emailed(django_capture_on_commit_callbacks):
    market = build_market()
    firm_zh = market.firm_user
    firm_zh.language = "zh-hans"
    firm_zh.save()
    firm_en = market.new_user("msme", Role.ADMIN)
    firm_en.language = "en"
    firm_en.save()
    demand = make_demand(market, status=DemandStatus.PUBLISHED)
    with django_capture_on_commit_callbacks(execute=True):
        responses.demand_take_up(actor=market.scitech_user, demand=demand)
    told = Notification.objects.filter(kind=notices.DEMAND_TAKEN_UP)
    assert {n.recipient for n in told} == {firm_zh, firm_en}
    assert {n.organization for n in told} == {market.msme}
    emails = {m.to[0]: m.body for m in mail.outbox}
    assert set(emails) == {firm_zh.email, firm_en.email}
    params = told.first().params
    for recipient in (firm_zh, firm_en):
        with translation.override(recipient.language):
            expected = render(notices.DEMAND_TAKEN_UP, params)
        assert emails[recipient.email].startswith(expected)
    assert market.scitech.name in emails[firm_en.email] and "¥2,000,000.00" in emails[firm_en.email]


def test_a_parameter_stored_as_an_english_label_is_read_in_the_readers_language():
    from django.utils import translation

    from finbridge.financing import notices
    from finbridge.notifications.kinds import render

    params = {"institution": "坪山银行", "amount": "¥1,000,000.00", "reason": "Other"}
    with translation.override("en"):
        assert render(notices.DEMAND_DECLINED, params).endswith(": Other.")
    with translation.override("zh-hans"):
        text = render(notices.DEMAND_DECLINED, params)
        assert "Other" not in text and "declined" not in text
