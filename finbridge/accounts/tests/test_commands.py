"""create_authority_admin: the first administrator of a new installation."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.models import Membership, Organization, User
from finbridge.accounts.tests.factories import DistrictFactory
from finbridge.audit.models import AuditEvent
from finbridge.core.permissions import has_perm

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Tangerine-Lantern-42"


def _run(monkeypatch, password=GOOD_PASSWORD, **options):
    monkeypatch.setenv("FINBRIDGE_ADMIN_PASSWORD", password)
    defaults = {"organization": "坪山区发展和改革局", "username": "chief", "district": "440310"}
    call_command("create_authority_admin", **{**defaults, **options})


def test_creates_the_authority_and_its_admin(monkeypatch):
    district = DistrictFactory()
    _run(monkeypatch, email="chief@example.com")
    membership = Membership.objects.get(user__username="chief")
    assert membership.role == Role.ADMIN
    assert membership.organization.org_type == OrgType.DISTRICT_AUTHORITY
    assert membership.organization.district == district
    user = User.objects.get(username="chief")
    assert user.check_password(GOOD_PASSWORD)
    assert has_perm(user, "accounts.manage_organizations")
    assert set(AuditEvent.objects.values_list("actor_name", flat=True)) == {"system"}


def test_a_second_admin_joins_the_same_authority(monkeypatch):
    DistrictFactory()
    _run(monkeypatch)
    _run(monkeypatch, username="deputy")
    assert Organization.objects.filter(org_type=OrgType.DISTRICT_AUTHORITY).count() == 1
    assert Membership.objects.filter(role=Role.ADMIN).count() == 2


def test_weak_password_creates_nothing(monkeypatch):
    DistrictFactory()
    with pytest.raises(CommandError, match="too short"):
        _run(monkeypatch, password="short")
    assert not Organization.objects.exists()
    assert not User.objects.exists()


def test_unknown_district_creates_nothing(monkeypatch):
    with pytest.raises(CommandError):
        _run(monkeypatch, district="999999")
    assert not Organization.objects.exists()


def test_running_twice_for_the_same_person_is_refused(monkeypatch):
    DistrictFactory()
    _run(monkeypatch)
    with pytest.raises(CommandError, match="already a member"):
        _run(monkeypatch)
    assert Membership.objects.count() == 1
