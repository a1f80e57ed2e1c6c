"""The audit trail: selector filters, the page (district authority only, with diffs) and the API."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from finbridge.accounts.choices import BankTier, OrgType, Role
from finbridge.accounts.services import invitation_create, membership_change_role
from finbridge.accounts.tests.factories import MembershipFactory, OrganizationFactory, member_of
from finbridge.audit.models import AuditEvent
from finbridge.audit.selectors import audit_event_get, audit_event_list
from finbridge.audit.services import log_event
from finbridge.core.errors import NotFound, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db

TZ = timezone.get_default_timezone()


def _at(year, month, day, hour=12):
    return datetime.datetime(year, month, day, hour, tzinfo=TZ)


@pytest.fixture
def auditor():
    return member_of(OrgType.DISTRICT_AUTHORITY, Role.VIEWER)


@pytest.fixture
def trail():
    """Changes made by people of two other organisations on different days."""
    bank = OrganizationFactory(org_type=OrgType.BANK, bank_tier=BankTier.HEAD_OFFICE)
    bank_admin = MembershipFactory(organization=bank, role=Role.ADMIN, user__username="bank.admin").user
    staff = MembershipFactory(organization=bank, role=Role.STAFF, user__username="bank.clerk")
    msme_admin = member_of(OrgType.MSME, Role.ADMIN)
    msme_admin.username = "msme.owner"
    msme_admin.save()
    membership_change_role(actor=bank_admin, membership=staff, role=Role.REVIEWER)
    invitation_create(
        actor=msme_admin, organization=msme_admin.memberships.get().organization, email="a@example.com", role=Role.STAFF
    )
    AuditEvent.objects.filter(action="membership_change_role").update(created_at=_at(2025, 3, 1))
    AuditEvent.objects.filter(action="invitation_create").update(created_at=_at(2025, 3, 3, hour=23))
    return {"staff": staff, "bank_admin": bank_admin, "msme_admin": msme_admin}


def _actions(qs):
    return sorted(qs.values_list("action", flat=True))


# --- selector -------------------------------------------------------------------------------------


def test_district_authority_sees_everyones_changes(auditor, trail):
    assert _actions(audit_event_list(actor=auditor)) == ["invitation_create", "membership_change_role"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"actor": "BANK."}, ["membership_change_role"]),
        ({"actor": "owner"}, ["invitation_create"]),
        ({"action": "invitation_create"}, ["invitation_create"]),
        ({"action": "invitation"}, []),
        ({"object_type": "accounts.membership"}, ["membership_change_role"]),
        ({"date_from": datetime.date(2025, 3, 2)}, ["invitation_create"]),
        ({"date_to": datetime.date(2025, 3, 2)}, ["membership_change_role"]),
        ({"date_from": "2025-03-03", "date_to": "2025-03-03"}, ["invitation_create"]),
        ({"date_from": datetime.date(2025, 3, 4)}, []),
        ({"actor": "", "action": "", "date_from": None}, ["invitation_create", "membership_change_role"]),
    ],
)
def test_filters(auditor, trail, filters, expected):
    assert _actions(audit_event_list(actor=auditor, filters=filters)) == expected


def test_object_id_filter(auditor, trail):
    events = audit_event_list(
        actor=auditor, filters={"object_id": str(trail["staff"].pk), "object_type": "accounts.membership"}
    )
    assert [e.action for e in events] == ["membership_change_role"]


def test_newest_first(auditor, trail):
    assert [e.action for e in audit_event_list(actor=auditor)] == ["invitation_create", "membership_change_role"]


def test_bad_dates_are_refused(auditor):
    with pytest.raises(ValidationFailed) as info:
        audit_event_list(actor=auditor, filters={"date_from": "2025-03-05", "date_to": "2025-03-01"})
    assert "date_to" in info.value.fields
    with pytest.raises(ValidationFailed) as info:
        audit_event_list(actor=auditor, filters={"date_from": "yesterday"})
    assert "date_from" in info.value.fields


@pytest.mark.parametrize(
    ("org_type", "role"),
    [(OrgType.INDUSTRY_AUTHORITY, Role.ADMIN), (OrgType.BANK, Role.ADMIN), (OrgType.MSME, Role.STAFF)],
)
def test_others_may_not_read_the_trail(trail, org_type, role):
    actor = member_of(org_type, role)
    with pytest.raises(PermissionDenied):
        audit_event_list(actor=actor)
    with pytest.raises(PermissionDenied):
        audit_event_get(actor=actor, pk=AuditEvent.objects.first().pk)


def test_get_unknown_is_not_found(auditor):
    with pytest.raises(NotFound):
        audit_event_get(actor=auditor, pk=123456)


def test_changed_fields_of_a_service_event(auditor, trail):
    event = audit_event_list(actor=auditor, filters={"action": "membership_change_role"}).get()
    assert event.changed_fields == [("role", "staff", "reviewer")]
    assert event.actor_name == "bank.admin"


# --- page -----------------------------------------------------------------------------------------


def test_page_lists_everyones_changes_with_diffs(client, auditor, trail):
    client.force_login(auditor)
    page = client.get(reverse("audit:list"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "bank.admin" in text and "msme.owner" in text
    assert '<td class="fb-diff-before">staff</td><td class="fb-diff-after">reviewer</td>' in text
    assert "1 field changed" in text


def test_page_filters(client, auditor, trail):
    client.force_login(auditor)
    page = client.get(reverse("audit:list"), {"actor": "msme", "date_from": "2025-03-03", "date_to": "2025-03-03"})
    assert [row["event"].action for row in page.context["rows"]] == ["invitation_create"]
    by_type = client.get(
        reverse("audit:list"), {"object_type": "accounts.membership", "action": "membership_change_role"}
    )
    assert [row["event"].action for row in by_type.context["rows"]] == ["membership_change_role"]


def test_page_reports_a_bad_range(client, auditor, trail):
    client.force_login(auditor)
    page = client.get(reverse("audit:list"), {"date_from": "2025-03-05", "date_to": "2025-03-01"})
    assert page.status_code == 200
    assert "The end date is before the start date." in page.content.decode()
    assert page.context["rows"] == []


def test_page_htmx_request_gets_only_the_results(client, auditor, trail):
    client.force_login(auditor)
    page = client.get(reverse("audit:list"), {"actor": "bank"}, HTTP_HX_REQUEST="true")
    text = page.content.decode()
    assert "<html" not in text
    assert 'data-testid="audit-events"' in text
    assert "bank.admin" in text and "msme.owner" not in text


def test_page_is_paginated(client, auditor):
    for n in range(55):
        log_event(actor=auditor, action="test_write", object_type="x.y", object_id=str(n), after={"n": n})
    client.force_login(auditor)
    first = client.get(reverse("audit:list"))
    assert len(first.context["rows"]) == 50
    second = client.get(reverse("audit:list"), {"page": 2})
    assert [row["event"].object_id for row in second.context["rows"]] == ["4", "3", "2", "1", "0"]


@pytest.mark.parametrize("org_type", [t for t in OrgType.values if t != OrgType.DISTRICT_AUTHORITY])
def test_page_is_403_for_other_organisations_even_their_admins(client, org_type):
    client.force_login(member_of(org_type, Role.ADMIN))
    assert client.get(reverse("audit:list")).status_code == 403


# --- API ------------------------------------------------------------------------------------------

URL = "/api/v1/audit-events/"


def test_api_lists_with_changes(api_client, auditor, trail):
    api_client.force_login(auditor)
    body = api_client.get(URL, {"action": "membership_change_role"}).json()
    assert body["count"] == 1
    event = body["results"][0]
    assert event["actor_name"] == "bank.admin"
    assert event["object_type"] == "accounts.membership"
    assert event["changes"] == [{"field": "role", "before": "staff", "after": "reviewer"}]
    detail = api_client.get(f"{URL}{event['id']}/").json()
    assert detail["before"]["role"] == "staff"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"actor": "bank"}, ["membership_change_role"]),
        ({"object_type": "accounts.invitation"}, ["invitation_create"]),
        ({"date_from": "2025-03-02"}, ["invitation_create"]),
        ({"date_to": "2025-03-01"}, ["membership_change_role"]),
        ({}, ["invitation_create", "membership_change_role"]),
    ],
)
def test_api_filters(api_client, auditor, trail, params, expected):
    api_client.force_login(auditor)
    results = api_client.get(URL, params).json()["results"]
    assert sorted(e["action"] for e in results) == expected


def test_api_object_id_filter(api_client, auditor, trail):
    api_client.force_login(auditor)
    results = api_client.get(URL, {"object_id": str(trail["staff"].pk), "object_type": "accounts.membership"}).json()[
        "results"
    ]
    assert [e["action"] for e in results] == ["membership_change_role"]


def test_api_bad_dates_are_400(api_client, auditor):
    api_client.force_login(auditor)
    bad = api_client.get(URL, {"date_from": "03/01/2025"})
    assert bad.status_code == 400
    assert "date_from" in bad.json()["fields"]
    reversed_range = api_client.get(URL, {"date_from": "2025-03-05", "date_to": "2025-03-01"})
    assert reversed_range.status_code == 400
    assert reversed_range.json()["fields"]["date_to"] == ["The end date is before the start date."]


def test_api_is_403_for_others(api_client, trail):
    api_client.force_login(member_of(OrgType.BANK, Role.ADMIN))
    assert api_client.get(URL).status_code == 403
    assert api_client.get(f"{URL}{AuditEvent.objects.first().pk}/").status_code == 403


def test_api_unknown_event_is_404(api_client, auditor):
    api_client.force_login(auditor)
    assert api_client.get(f"{URL}999999/").status_code == 404


# --- admin ----------------------------------------------------------------------------------------


def test_admin_shows_events_read_only(client, trail):
    from finbridge.accounts.models import User

    superuser = User.objects.create_superuser("root", "root@example.com", "Root-Password-123")
    client.force_login(superuser)
    event = AuditEvent.objects.first()
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:audit_auditevent_change", args=[event.pk])).status_code == 200
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    assert client.post(reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
