"""The MSME's consent page: grant with scope and expiry, list, revoke with immediate effect."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.tests.factories import OrganizationFactory, member_of
from finbridge.audit.models import AuditEvent
from finbridge.enterprises.choices import ConsentScope
from finbridge.enterprises.models import Consent

pytestmark = pytest.mark.django_db
CONSENTS_URL = reverse("enterprises:consents")


@pytest.fixture
def new_bank(world):
    """A bank the enterprise has not consented to yet."""
    return OrganizationFactory(org_type=OrgType.BANK, name="坪山新银行", name_en="Pingshan New Bank")


def _grant(client, enterprise, grantee, **changes):
    data = {"enterprise": enterprise.pk, "grantee": grantee.pk, "scope": ConsentScope.PROFILE, "expires_on": ""}
    data.update(changes)
    return client.post(CONSENTS_URL, data)


def test_the_page_lists_the_consents_and_the_institutions_to_choose(world, new_bank, client):
    client.force_login(world.user(OrgType.MSME, Role.STAFF))
    response = client.get(CONSENTS_URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('data-testid="consent-row"') == len(world.consents)
    assert f'<option value="{new_bank.pk}">' in html
    assert '<label class="form-label" for="id_grantee">' in html
    assert 'type="radio" name="scope"' in html


def test_grant_creates_a_consent_and_the_institution_sees_the_record(world, new_bank, client):
    banker = member_of(OrgType.BANK, Role.STAFF, organization=new_bank)
    client.force_login(banker)
    assert client.get(reverse("enterprises:detail", args=[world.target.pk])).status_code == 404

    client.force_login(world.user(OrgType.MSME, Role.ADMIN))
    expiry = timezone.localdate() + datetime.timedelta(days=90)
    response = _grant(client, world.target, new_bank, scope=ConsentScope.FINANCIALS, expires_on=expiry.isoformat())
    assert response.status_code == 302
    consent = Consent.objects.get(grantee=new_bank)
    assert consent.enterprise == world.target
    assert consent.scope == ConsentScope.FINANCIALS
    assert consent.expires_on == expiry
    assert AuditEvent.objects.filter(action="consent_grant", object_id=str(consent.pk)).count() == 1

    client.force_login(banker)
    html = client.get(reverse("enterprises:detail", args=[world.target.pk])).content.decode()
    assert "3,000.00 ten-thousand yuan" in html


def test_grant_without_an_institution_shows_the_error_next_to_the_field(world, client):
    client.force_login(world.user(OrgType.MSME, Role.STAFF))
    response = client.post(CONSENTS_URL, {"enterprise": world.target.pk, "grantee": "", "scope": "profile"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="error-grantee"' in html
    assert Consent.objects.count() == len(world.consents)
    assert not AuditEvent.objects.exists()


def test_an_expiry_in_the_past_is_refused_on_the_field(world, new_bank, client):
    client.force_login(world.user(OrgType.MSME, Role.STAFF))
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = _grant(client, world.target, new_bank, expires_on=yesterday.isoformat())
    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="error-expires_on"' in html
    assert "is in the past" in html
    assert not Consent.objects.filter(grantee=new_bank).exists()


def test_a_badly_written_expiry_is_refused_by_the_service_message(world, new_bank, client):
    client.force_login(world.user(OrgType.MSME, Role.STAFF))
    response = _grant(client, world.target, new_bank, expires_on="next year")
    assert response.status_code == 400
    assert "Enter a date as YYYY-MM-DD" in response.content.decode()
    assert not Consent.objects.filter(grantee=new_bank).exists()


def test_revoke_takes_effect_at_once(world, client):
    consent = world.consents[OrgType.BANK]
    banker = world.user(OrgType.BANK, Role.STAFF)
    client.force_login(world.user(OrgType.MSME, Role.STAFF))
    response = client.post(reverse("enterprises:consent_revoke", args=[consent.pk]))
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.revoked_at is not None
    assert AuditEvent.objects.filter(action="consent_revoke", object_id=str(consent.pk)).count() == 1
    client.force_login(banker)
    assert client.get(reverse("enterprises:detail", args=[world.target.pk])).status_code == 404
    assert client.get(reverse("enterprises:list")).context["page"].object_list == []


def test_revoke_with_htmx_asks_the_browser_to_reload_the_page(world, client):
    consent = world.consents[OrgType.INSURER]
    client.force_login(world.user(OrgType.MSME, Role.ADMIN))
    response = client.post(reverse("enterprises:consent_revoke", args=[consent.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == CONSENTS_URL


def test_revoking_twice_explains_instead_of_failing(world, client):
    consent = world.consents[OrgType.INVESTOR]
    client.force_login(world.user(OrgType.MSME, Role.ADMIN))
    client.post(reverse("enterprises:consent_revoke", args=[consent.pk]))
    first_revocation = Consent.objects.get(pk=consent.pk).revoked_at
    response = client.post(reverse("enterprises:consent_revoke", args=[consent.pk]), follow=True)
    assert response.status_code == 200
    assert "already revoked" in response.content.decode()
    assert Consent.objects.get(pk=consent.pk).revoked_at == first_revocation


def test_revoked_consents_stay_listed_as_revoked(world, client):
    consent = world.consents[OrgType.GUARANTOR]
    client.force_login(world.user(OrgType.MSME, Role.ADMIN))
    client.post(reverse("enterprises:consent_revoke", args=[consent.pk]))
    html = client.get(CONSENTS_URL).content.decode()
    assert html.count('data-testid="consent-row"') == len(world.consents)
    assert html.count('data-testid="revoke"') == len(world.consents) - 1


@pytest.mark.parametrize(("org_type", "role"), [(OrgType.MSME, Role.VIEWER), (OrgType.BANK, Role.ADMIN)])
def test_people_without_consent_management_change_nothing(world, new_bank, client, org_type, role):
    client.force_login(world.user(org_type, role))
    assert client.get(CONSENTS_URL).status_code == 403
    assert _grant(client, world.target, new_bank).status_code == 403
    consent = world.consents[OrgType.BANK]
    assert client.post(reverse("enterprises:consent_revoke", args=[consent.pk])).status_code == 403
    consent.refresh_from_db()
    assert consent.revoked_at is None
    assert not Consent.objects.filter(grantee=new_bank).exists()
    assert not AuditEvent.objects.exists()


def test_an_msme_cannot_grant_for_another_enterprise(world, new_bank, client):
    client.force_login(world.user(OrgType.MSME, Role.ADMIN))
    response = _grant(client, world.other, new_bank)
    assert response.status_code == 400
    assert 'data-testid="error-enterprise"' in response.content.decode()
    assert not Consent.objects.filter(grantee=new_bank).exists()


def test_consent_page_in_chinese_marks_errors_next_to_the_field(world, client):
    client.force_login(world.user(OrgType.MSME, Role.STAFF))
    response = client.post(
        CONSENTS_URL, {"enterprise": world.target.pk, "grantee": ""}, headers={"Accept-Language": "zh-hans"}
    )
    html = response.content.decode()
    assert 'lang="zh-hans"' in html
    assert html.index('for="id_grantee"') < html.index('data-testid="error-grantee"') < html.index("id_scope")
