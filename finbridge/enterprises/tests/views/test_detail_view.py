"""The detail page: profile, figures or their absence, size-class basis, verification, contacts, history."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from finbridge.accounts.choices import OrgType, Role
from finbridge.audit.models import AuditEvent
from finbridge.enterprises.choices import ConsentScope
from finbridge.enterprises.models import Enterprise, EnterpriseContact
from finbridge.enterprises.tests.views.helpers import form_post_data

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def _detail(client, enterprise: Enterprise):
    return client.get(reverse("enterprises:detail", args=[enterprise.pk]))


def test_government_sees_profile_figures_yearly_table_and_size_basis(world, client):
    client.force_login(world.user(OrgType.INDUSTRY_AUTHORITY, Role.VIEWER))
    html = _detail(client, world.target).content.decode()
    assert world.target.uscc in html
    assert "3,000.00 ten-thousand yuan" in html  # annual revenue
    assert "2,800.00" in html  # 2024 yearly figures, in a column headed with the unit
    assert "(amounts in ten-thousand yuan)" in html
    assert 'data-testid="size-basis"' in html
    assert "Industry (mining, manufacturing, utilities)" in html
    assert world.cluster.name_en in html
    assert "not shared" not in html


def test_profile_only_consent_shows_the_profile_without_figures(world, client):
    consent = world.consents[OrgType.BANK]
    consent.scope = ConsentScope.PROFILE
    consent.save()
    client.force_login(world.user(OrgType.BANK, Role.STAFF))
    html = _detail(client, world.target).content.decode()
    assert world.target.name in html
    assert 'data-testid="figures-not-shared"' in html
    assert "3,000.00" not in html
    assert "2,800.00" not in html
    assert 'data-testid="size-basis"' not in html


def test_financials_consent_shows_the_figures(world, client):
    client.force_login(world.user(OrgType.GUARANTOR, Role.VIEWER))
    html = _detail(client, world.target).content.decode()
    assert 'data-testid="annual-revenue"' in html
    assert "3,000.00 ten-thousand yuan" in html


def test_revoked_consent_hides_the_record_at_once(world, client):
    client.force_login(world.user(OrgType.BANK))
    assert _detail(client, world.target).status_code == 200
    consent = world.consents[OrgType.BANK]
    consent.revoked_at = timezone.now()
    consent.save()
    assert _detail(client, world.target).status_code == 404


def test_a_missing_record_is_404_like_a_hidden_one(world, client):
    client.force_login(world.user(OrgType.DISTRICT_AUTHORITY))
    assert client.get(reverse("enterprises:detail", args=[999999])).status_code == 404


@pytest.mark.parametrize(
    ("org_type", "role", "edit", "verify", "history"),
    [
        (OrgType.SUBDISTRICT_OFFICE, Role.STAFF, True, True, True),
        (OrgType.SUBDISTRICT_OFFICE, Role.REVIEWER, False, True, True),
        (OrgType.SUBDISTRICT_OFFICE, Role.VIEWER, False, False, True),
        (OrgType.BANK, Role.ADMIN, False, False, False),
        (OrgType.MSME, Role.STAFF, True, False, True),
        (OrgType.MSME, Role.VIEWER, False, False, True),
    ],
)
def test_buttons_follow_permissions(world, client, org_type, role, edit, verify, history):
    client.force_login(world.user(org_type, role))
    html = _detail(client, world.target).content.decode()
    assert ('data-testid="edit-link"' in html) is edit
    assert ('data-testid="verify-button"' in html) is verify
    assert ('data-testid="history-link"' in html) is history
    assert ('data-testid="contact-add"' in html) is edit


def test_verify_with_htmx_swaps_the_verification_block_and_writes_audit(world, client):
    client.force_login(world.user(OrgType.SUBDISTRICT_OFFICE, Role.REVIEWER))
    response = client.post(reverse("enterprises:verify", args=[world.target.pk]), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'data-testid="verification-block"' in html
    assert 'hx-swap-oob="true"' in html
    world.target.refresh_from_db()
    assert world.target.last_verified_at is not None
    assert world.target.verification_state() == "current"
    assert AuditEvent.objects.filter(action="enterprise_verify", object_id=str(world.target.pk)).count() == 1


def test_verify_without_htmx_redirects_back_with_a_message(world, client):
    client.force_login(world.user(OrgType.DISTRICT_AUTHORITY, Role.STAFF))
    response = client.post(reverse("enterprises:verify", args=[world.target.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("enterprises:detail", args=[world.target.pk])
    assert "The record was marked as verified." in response.content.decode()


def test_verify_is_refused_for_a_viewer_and_changes_nothing(world, client):
    client.force_login(world.user(OrgType.SUBDISTRICT_OFFICE, Role.VIEWER))
    response = client.post(reverse("enterprises:verify", args=[world.target.pk]), headers=HTMX)
    assert response.status_code == 403
    world.target.refresh_from_db()
    assert world.target.last_verified_at is None
    assert not AuditEvent.objects.exists()


def test_verify_by_get_is_not_allowed(world, client):
    client.force_login(world.user(OrgType.DISTRICT_AUTHORITY, Role.STAFF))
    assert client.get(reverse("enterprises:verify", args=[world.target.pk])).status_code == 405


def test_add_a_contact_with_htmx_returns_the_updated_block(world, client):
    client.force_login(world.user(OrgType.MSME, Role.STAFF))
    data = {"name": "陈主管", "title": "财务总监", "phone": "0755-8888 0000", "email": "chen@example.com"}
    response = client.post(reverse("enterprises:contact_add", args=[world.target.pk]), data, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "陈主管" in html and world.contact.name in html
    assert world.target.contacts.filter(name="陈主管", email="chen@example.com").exists()
    assert AuditEvent.objects.filter(action="contact_add").count() == 1


def test_a_bad_contact_shows_the_error_next_to_the_field_and_adds_nothing(world, client):
    client.force_login(world.user(OrgType.INDUSTRY_AUTHORITY, Role.STAFF))
    data = {"name": "", "email": "not-an-email"}
    response = client.post(reverse("enterprises:contact_add", args=[world.target.pk]), data, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200  # htmx swaps 2xx answers only
    assert 'data-testid="error-email"' in html
    assert 'id="id_contact_email_error"' in html
    assert 'aria-invalid="true"' in html
    assert world.target.contacts.count() == 1
    assert not AuditEvent.objects.exists()


def test_a_bad_contact_without_htmx_goes_back_with_the_message(world, client):
    client.force_login(world.user(OrgType.INDUSTRY_AUTHORITY, Role.STAFF))
    url = reverse("enterprises:contact_add", args=[world.target.pk])
    response = client.post(url, {"name": "李", "email": "nope"}, follow=True)
    assert "Enter a valid email address." in response.content.decode()
    assert world.target.contacts.count() == 1


def test_remove_a_contact_with_htmx(world, client):
    client.force_login(world.user(OrgType.SUBDISTRICT_OFFICE, Role.ADMIN))
    response = client.post(reverse("enterprises:contact_remove", args=[world.contact.pk]), headers=HTMX)
    assert response.status_code == 200
    assert world.contact.name not in response.content.decode()
    assert not EnterpriseContact.objects.filter(pk=world.contact.pk).exists()
    assert AuditEvent.objects.filter(action="contact_remove").count() == 1


def test_an_institution_cannot_remove_a_contact(world, client):
    client.force_login(world.user(OrgType.INSURER, Role.ADMIN))
    response = client.post(reverse("enterprises:contact_remove", args=[world.contact.pk]), headers=HTMX)
    assert response.status_code == 403
    assert EnterpriseContact.objects.filter(pk=world.contact.pk).exists()
    assert not AuditEvent.objects.exists()


def test_history_lists_each_change_with_old_and_new_values(world, client):
    user = world.user(OrgType.DISTRICT_AUTHORITY, Role.STAFF)
    client.force_login(user)
    url = reverse("enterprises:edit", args=[world.target.pk])
    data = form_post_data(client.get(url).context["form"], employees="65", address="坪山大道1号")
    assert client.post(url, data).status_code == 302
    response = client.get(reverse("enterprises:history", args=[world.target.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    entries = response.context["entries"]
    assert entries[0].user == user
    changed = {c.field: (c.old, c.new) for c in entries[0].changes}
    assert changed["employees"] == ("50", "65")
    assert changed["address"] == ("", "坪山大道1号")
    assert "坪山大道1号" in html
    assert user.username in html


def test_history_is_refused_to_an_institution(world, client):
    client.force_login(world.user(OrgType.BANK, Role.ADMIN))
    assert client.get(reverse("enterprises:history", args=[world.target.pk])).status_code == 403


def test_detail_renders_in_chinese(world, client):
    client.force_login(world.user(OrgType.DISTRICT_AUTHORITY))
    response = client.get(reverse("enterprises:detail", args=[world.target.pk]), headers={"Accept-Language": "zh-hans"})
    html = response.content.decode()
    assert 'lang="zh-hans"' in html
    assert world.subdistrict_a.name_zh in html
    assert world.cluster.name_zh in html
