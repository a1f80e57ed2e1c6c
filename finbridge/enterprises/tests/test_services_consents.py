"""Services of consents: grant (replacing a live one), validation, revocation with immediate effect."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.models import User
from finbridge.accounts.tests.factories import OrganizationFactory
from finbridge.audit.models import AuditEvent
from finbridge.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from finbridge.core.testing import race
from finbridge.enterprises.choices import ConsentScope
from finbridge.enterprises.models import Consent
from finbridge.enterprises.selectors import can_see_financials, enterprise_visible_queryset
from finbridge.enterprises.services.consents import consent_grant, consent_revoke
from finbridge.enterprises.tests.registry_setup import build_registry

pytestmark = pytest.mark.django_db


@pytest.fixture
def reg():
    return build_registry()


def _visible(user, enterprise) -> bool:
    return enterprise_visible_queryset(actor=user).filter(pk=enterprise.pk).exists()


def test_grant_lets_the_institution_and_its_branches_see_the_enterprise(reg):
    owner = reg.user("msme", Role.ADMIN)
    guarantor_user = reg.user("guarantor")
    assert not _visible(guarantor_user, reg.factory)

    consent = consent_grant(
        actor=owner, enterprise=reg.factory, grantee=reg.guarantor, scope=ConsentScope.PROFILE, expires_on=None
    )

    assert (consent.granted_by, consent.scope, consent.revoked_at) == (owner, "profile", None)
    assert _visible(guarantor_user, reg.factory)
    assert not can_see_financials(actor=guarantor_user, enterprise=reg.factory)
    event = AuditEvent.objects.get(action="consent_grant")
    assert (event.actor, event.object_id, event.after["grantee"]) == (owner, str(consent.pk), reg.guarantor.pk)


def test_granting_again_revokes_the_live_consent_and_creates_a_new_one(reg):
    owner = reg.user("msme")
    first = Consent.objects.get(enterprise=reg.factory, grantee=reg.head)
    expiry = timezone.localdate() + datetime.timedelta(days=30)

    second = consent_grant(actor=owner, enterprise=reg.factory, grantee=reg.head, scope="profile", expires_on=expiry)

    first.refresh_from_db()
    assert first.revoked_at is not None and first.revoked_by == owner
    assert second.pk != first.pk
    assert (second.scope, second.expires_on, second.revoked_at) == ("profile", expiry, None)
    assert Consent.objects.filter(enterprise=reg.factory, grantee=reg.head, revoked_at__isnull=True).count() == 1
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "consent_revoke",
        "consent_grant",
    ]
    branch_user = reg.user("branch")
    assert not can_see_financials(actor=branch_user, enterprise=reg.factory)


def test_expiry_today_is_allowed_and_in_the_past_is_refused(reg):
    owner = reg.user("msme")
    today = timezone.localdate()
    consent = consent_grant(
        actor=owner, enterprise=reg.factory, grantee=reg.guarantor, scope="financials", expires_on=today
    )
    assert consent.is_active()

    count = Consent.objects.count()
    with pytest.raises(ValidationFailed) as error:
        consent_grant(
            actor=owner,
            enterprise=reg.factory,
            grantee=reg.other_bank,
            scope="financials",
            expires_on=(today - datetime.timedelta(days=1)).isoformat(),
        )
    assert "expires_on" in error.value.fields
    assert Consent.objects.count() == count


@pytest.mark.parametrize(
    ("grantee_type", "active"),
    [
        (OrgType.MSME, True),
        (OrgType.DISTRICT_AUTHORITY, True),
        (OrgType.SUBDISTRICT_OFFICE, True),
        (OrgType.BANK, False),
    ],
)
def test_grantee_must_be_an_active_institution(reg, grantee_type, active):
    grantee = OrganizationFactory(org_type=grantee_type, is_active=active)
    with pytest.raises(ValidationFailed) as error:
        consent_grant(actor=reg.user("msme"), enterprise=reg.factory, grantee=grantee, scope="profile")
    assert "grantee" in error.value.fields
    assert not Consent.objects.filter(grantee=grantee).exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("scope", "expires_on"), [("everything", None), ("profile", "31/12/2099"), ("profile", "2099-02-30")]
)
def test_bad_scope_or_date_changes_nothing(reg, scope, expires_on):
    count = Consent.objects.count()
    with pytest.raises(ValidationFailed):
        consent_grant(
            actor=reg.user("msme"), enterprise=reg.factory, grantee=reg.guarantor, scope=scope, expires_on=expires_on
        )
    assert Consent.objects.count() == count


@pytest.mark.parametrize(
    ("org", "role"), [("msme", Role.VIEWER), ("msme", Role.REVIEWER), ("district", Role.ADMIN), ("ia_c", Role.ADMIN)]
)
def test_only_the_enterprise_itself_may_grant(reg, org, role):
    with pytest.raises(PermissionDenied):
        consent_grant(actor=reg.user(org, role), enterprise=reg.factory, grantee=reg.guarantor, scope="profile")
    assert not Consent.objects.filter(grantee=reg.guarantor).exists()


def test_granting_for_someone_elses_enterprise_is_not_found(reg):
    with pytest.raises(NotFound):
        consent_grant(actor=reg.user("msme"), enterprise=reg.software, grantee=reg.guarantor, scope="profile")
    assert not Consent.objects.filter(grantee=reg.guarantor).exists()


def test_revocation_takes_effect_at_once(reg):
    owner = reg.user("msme")
    bank_user, branch_user = reg.user("head"), reg.user("branch")
    consent = Consent.objects.get(enterprise=reg.factory, grantee=reg.head)
    assert _visible(bank_user, reg.factory) and _visible(branch_user, reg.factory)

    revoked = consent_revoke(actor=owner, consent=consent)

    assert revoked.revoked_at is not None and revoked.revoked_by == owner
    assert not _visible(bank_user, reg.factory)
    assert not _visible(branch_user, reg.factory)
    event = AuditEvent.objects.get(action="consent_revoke")
    assert event.before["revoked_at"] is None and event.after["revoked_at"] is not None


def test_revoking_twice_is_a_conflict(reg):
    owner = reg.user("msme")
    consent = Consent.objects.get(enterprise=reg.factory, grantee=reg.head)
    consent_revoke(actor=owner, consent=consent)
    first_revocation = Consent.objects.get(pk=consent.pk).revoked_at
    with pytest.raises(Conflict) as error:
        consent_revoke(actor=owner, consent=consent)
    assert error.value.code == "consent_already_revoked"
    assert Consent.objects.get(pk=consent.pk).revoked_at == first_revocation
    assert AuditEvent.objects.filter(action="consent_revoke").count() == 1


def test_the_grantee_may_not_revoke_and_others_do_not_see_the_consent(reg):
    consent = Consent.objects.get(enterprise=reg.factory, grantee=reg.head)
    with pytest.raises(PermissionDenied):
        consent_revoke(actor=reg.user("head", Role.ADMIN), consent=consent)
    with pytest.raises(NotFound):
        consent_revoke(actor=reg.user("other_bank", Role.ADMIN), consent=consent)
    consent.refresh_from_db()
    assert consent.revoked_at is None


# ---- concurrency (PostgreSQL: row locks) ------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_parallel_grants_to_one_grantee_leave_one_live_consent():
    reg = build_registry()
    owner_id = reg.user("msme").pk

    def grant():
        owner = User.objects.get(pk=owner_id)
        return consent_grant(actor=owner, enterprise=reg.factory, grantee=reg.guarantor, scope="profile")

    results = race(*([grant] * 4))

    assert all(isinstance(r, Consent) for r in results), results
    assert Consent.objects.filter(enterprise=reg.factory, grantee=reg.guarantor).count() == 4
    assert Consent.objects.filter(enterprise=reg.factory, grantee=reg.guarantor, revoked_at__isnull=True).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_parallel_revocations_revoke_once():
    reg = build_registry()
    owner_id = reg.user("msme").pk
    consent = Consent.objects.get(grantee=reg.head)

    def revoke():
        return consent_revoke(actor=User.objects.get(pk=owner_id), consent=consent)

    results = race(*([revoke] * 3))

    assert sum(isinstance(r, Consent) for r in results) == 1
    assert {r.code for r in results if isinstance(r, DomainError)} == {"consent_already_revoked"}
    assert AuditEvent.objects.filter(action="consent_revoke").count() == 1
