"""The consent columns PostgreSQL keeps on each enterprise row (migration 0005) and the visibility built on them."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from finbridge.enterprises.models import Consent
from finbridge.enterprises.selectors import enterprise_visible_queryset
from finbridge.enterprises.services.consents import consent_columns_refresh_expired
from finbridge.enterprises.tests.factories import ConsentFactory, EnterpriseFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the consent columns exist on PostgreSQL only"),
    pytest.mark.django_db,
]


def _columns(enterprise) -> tuple[list[int], datetime.date | None]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT consent_grantees, consent_expiry_min FROM enterprises_enterprise WHERE id = %s", [enterprise.pk]
        )
        grantees, expiry = cursor.fetchone()
    return sorted(grantees), expiry


def _bank_user(bank):
    user = UserFactory()
    MembershipFactory(user=user, organization=bank, role=Role.STAFF)
    return user


def test_granting_revoking_and_deleting_keep_the_columns_current():
    enterprise = EnterpriseFactory()
    bank, insurer = OrganizationFactory(org_type=OrgType.BANK), OrganizationFactory(org_type=OrgType.INSURER)
    later = timezone.localdate() + datetime.timedelta(days=30)

    first = ConsentFactory(enterprise=enterprise, grantee=bank)
    second = ConsentFactory(enterprise=enterprise, grantee=insurer, expires_on=later)
    assert _columns(enterprise) == (sorted([bank.pk, insurer.pk]), later)

    Consent.objects.filter(pk=first.pk).update(revoked_at=timezone.now())
    assert _columns(enterprise) == ([insurer.pk], later)

    second.delete()
    assert _columns(enterprise) == ([], None)


def test_an_expired_consent_stops_showing_at_once_and_leaves_the_columns_at_the_daily_refresh():
    enterprise = EnterpriseFactory()
    bank = OrganizationFactory(org_type=OrgType.BANK)
    user = _bank_user(bank)
    consent = ConsentFactory(enterprise=enterprise, grantee=bank, expires_on=timezone.localdate())
    assert list(enterprise_visible_queryset(actor=user)) == [enterprise]

    # The consent's last day passes: the row still lists the bank until the refresh, yet it is not visible.
    Consent.objects.filter(pk=consent.pk).update(expires_on=timezone.localdate() - datetime.timedelta(days=1))
    with connection.cursor() as cursor:  # as the columns were the day before: the bank listed, expiring yesterday
        cursor.execute(
            "UPDATE enterprises_enterprise SET consent_grantees = %s, consent_expiry_min = %s WHERE id = %s",
            [[bank.pk], timezone.localdate() - datetime.timedelta(days=1), enterprise.pk],
        )
    assert list(enterprise_visible_queryset(actor=_bank_user(bank))) == []

    assert consent_columns_refresh_expired() == 1
    assert _columns(enterprise) == ([], None)
    assert consent_columns_refresh_expired() == 0


CONSENT_STATES = st.sampled_from(["live", "revoked", "expired", "expiring_later", "expires_today"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), CONSENT_STATES), max_size=12))
def test_visibility_through_the_columns_equals_the_consent_rule(plan):
    """Whatever consents exist, a bank sees exactly the enterprises with a live, unexpired consent to it (or to
    its head office), as the plain rule over the consent table says."""
    today = timezone.localdate()
    head = OrganizationFactory(org_type=OrgType.BANK)
    branch = OrganizationFactory(org_type=OrgType.BANK, parent=head)
    other = OrganizationFactory(org_type=OrgType.BANK)
    grantees = [head, branch, other]
    enterprises = [EnterpriseFactory() for _ in range(4)]
    expected: set[int] = set()
    for enterprise_index, grantee_index, state in plan:
        enterprise, grantee = enterprises[enterprise_index], grantees[grantee_index]
        Consent.objects.filter(enterprise=enterprise, grantee=grantee, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        expires = {
            "expired": today - datetime.timedelta(days=2),
            "expiring_later": today + datetime.timedelta(days=9),
            "expires_today": today,
        }.get(state)
        revoked_at = timezone.now() if state == "revoked" else None
        ConsentFactory(enterprise=enterprise, grantee=grantee, expires_on=expires, revoked_at=revoked_at)
    for enterprise in enterprises:
        live = Consent.objects.filter(enterprise=enterprise, grantee__in=[head, branch], revoked_at__isnull=True)
        if any(c.expires_on is None or c.expires_on >= today for c in live):
            expected.add(enterprise.pk)
    seen = set(enterprise_visible_queryset(actor=_bank_user(branch)).values_list("pk", flat=True))
    assert seen == expected


def test_the_columns_count_days_in_the_project_time_zone_whatever_the_session_time_zone():
    """A consent ending on the project's today is still live in the columns even when the database session runs
    twelve hours behind UTC (where `current_date` is usually a day earlier than in Shanghai) — and one that
    ended on the project's yesterday is gone."""
    enterprise, other = EnterpriseFactory(), EnterpriseFactory()
    bank = OrganizationFactory(org_type=OrgType.BANK)
    today = timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL TIME ZONE 'Etc/GMT+12'")
        cursor.execute("SELECT finbridge_today()")
        assert cursor.fetchone()[0] == today
        ConsentFactory(enterprise=enterprise, grantee=bank, expires_on=today)
        ConsentFactory(enterprise=other, grantee=bank, expires_on=today - datetime.timedelta(days=1))
    assert _columns(enterprise) == ([bank.pk], today)
    assert _columns(other) == ([], None)
