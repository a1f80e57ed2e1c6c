"""Create and edit pages: the service's validation shown per field, audit rows, forbidden edits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from finbridge.accounts.choices import OrgType, Role
from finbridge.audit.models import AuditEvent
from finbridge.audit.services import snapshot
from finbridge.enterprises.models import Enterprise
from finbridge.enterprises.tests.factories import valid_uscc
from finbridge.enterprises.tests.views.helpers import form_post_data

pytestmark = pytest.mark.django_db
CREATE_URL = reverse("enterprises:create")


def _edit_url(enterprise: Enterprise) -> str:
    return reverse("enterprises:edit", args=[enterprise.pk])


def _new_enterprise_data(world, **changes) -> dict:
    data = {
        "uscc": valid_uscc(777).lower()[:9] + " " + valid_uscc(777)[9:],
        "name": "深圳市坪山新能源有限公司",
        "name_en": "Pingshan New Energy Co., Ltd.",
        "legal_representative": "刘一",
        "established_on": "2019-03-15",
        "registered_capital": "5,000,000",
        "address": "坪山区坑梓街道1号",
        "subdistrict": world.subdistrict_a.code,
        "industry_code": "C3841",
        "clusters": [world.cluster.code],
        "employees": "350",
        "annual_revenue": "25000000",
        "total_assets": "18000000",
        "is_high_tech": "on",
        "patents_held": "12",
    }
    data.update(changes)
    return data


def _snapshot(enterprise: Enterprise) -> dict:
    enterprise.refresh_from_db()
    return snapshot(enterprise)


# ---- create ----------------------------------------------------------------------------------------


def test_the_create_form_has_labelled_fields_and_a_read_only_size_class(world, client):
    client.force_login(world.user(OrgType.SUBDISTRICT_OFFICE, Role.STAFF))
    html = client.get(CREATE_URL).content.decode()
    assert '<label class="form-label" for="id_uscc">' in html
    assert 'name="subdistrict"' in html and "<select" in html
    assert 'type="checkbox" name="clusters"' in html
    assert 'name="size_class"' not in html
    assert 'data-testid="size-class-readonly"' in html


def test_create_adds_the_record_with_derived_size_and_an_audit_row(world, client):
    client.force_login(world.user(OrgType.SUBDISTRICT_OFFICE, Role.STAFF))
    response = client.post(CREATE_URL, _new_enterprise_data(world))
    enterprise = Enterprise.objects.get(uscc=valid_uscc(777))
    assert response.status_code == 302
    assert response["Location"] == reverse("enterprises:detail", args=[enterprise.pk])
    assert enterprise.size_class == "medium"  # industry: 350 staff and 2,500 万元 revenue
    assert enterprise.registered_capital == Decimal("5000000.00")
    assert enterprise.is_high_tech is True
    assert [c.code for c in enterprise.clusters.all()] == [world.cluster.code]
    event = AuditEvent.objects.get(action="enterprise_create")
    assert event.object_id == str(enterprise.pk)
    assert event.after["uscc"] == valid_uscc(777)


def test_a_bad_credit_code_is_shown_next_to_the_field_and_nothing_is_created(world, client):
    client.force_login(world.user(OrgType.SUBDISTRICT_OFFICE, Role.STAFF))
    response = client.post(CREATE_URL, _new_enterprise_data(world, uscc="91440300MA5DXXXXX"))
    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="error-uscc"' in html
    assert "has 18 characters; this one has 17" in html
    assert 'aria-describedby="id_uscc_helptext id_uscc_error"' in html
    assert 'data-testid="form-errors"' in html
    assert Enterprise.objects.count() == 2
    assert not AuditEvent.objects.exists()


def test_every_bad_field_gets_its_own_message(world, client):
    client.force_login(world.user(OrgType.DISTRICT_AUTHORITY, Role.STAFF))
    data = _new_enterprise_data(world, employees="-5", annual_revenue="lots", industry_code="Z99", name="")
    html = client.post(CREATE_URL, data).content.decode()
    for field in ("employees", "annual_revenue", "industry_code", "name"):
        assert f'data-testid="error-{field}"' in html, field
    assert "Z99 is not a code of the industry classification" in html
    assert Enterprise.objects.count() == 2


def test_a_duplicate_credit_code_is_refused_on_the_field(world, client):
    client.force_login(world.user(OrgType.DISTRICT_AUTHORITY, Role.ADMIN))
    response = client.post(CREATE_URL, _new_enterprise_data(world, uscc=world.other.uscc))
    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="error-uscc"' in html
    assert "already in the registry" in html
    assert Enterprise.objects.count() == 2


def test_a_subdistrict_office_cannot_add_outside_its_area(world, client):
    client.force_login(world.user(OrgType.SUBDISTRICT_OFFICE, Role.ADMIN))
    response = client.post(CREATE_URL, _new_enterprise_data(world, subdistrict=world.subdistrict_b.code))
    assert response.status_code == 400
    assert 'data-testid="error-subdistrict"' in response.content.decode()
    assert not Enterprise.objects.filter(uscc=valid_uscc(777)).exists()


def test_errors_are_shown_next_to_the_field_in_chinese_too(world, client):
    client.force_login(world.user(OrgType.SUBDISTRICT_OFFICE, Role.STAFF))
    response = client.post(CREATE_URL, _new_enterprise_data(world, uscc="123"), headers={"Accept-Language": "zh-hans"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'lang="zh-hans"' in html
    label_at = html.index('for="id_uscc"')
    error_at = html.index('data-testid="error-uscc"')
    next_field_at = html.index('for="id_name"')
    assert label_at < error_at < next_field_at


@pytest.mark.parametrize(
    ("org_type", "role"),
    [(OrgType.BANK, Role.ADMIN), (OrgType.MSME, Role.ADMIN), (OrgType.INDUSTRY_AUTHORITY, Role.VIEWER)],
)
def test_create_is_refused_without_the_permission(world, client, org_type, role):
    client.force_login(world.user(org_type, role))
    assert client.post(CREATE_URL, _new_enterprise_data(world)).status_code == 403
    assert not Enterprise.objects.filter(uscc=valid_uscc(777)).exists()
    assert not AuditEvent.objects.exists()


# ---- edit ------------------------------------------------------------------------------------------


def test_edit_changes_the_record_rederives_the_size_and_writes_audit(world, client):
    client.force_login(world.user(OrgType.INDUSTRY_AUTHORITY, Role.STAFF))
    url = _edit_url(world.target)
    data = form_post_data(client.get(url).context["form"], employees="400", annual_revenue="30000000")
    response = client.post(url, data)
    assert response.status_code == 302
    world.target.refresh_from_db()
    assert world.target.employees == 400
    assert world.target.size_class == "medium"
    event = AuditEvent.objects.get(action="enterprise_update")
    assert event.before["employees"] == 50
    assert event.after["employees"] == 400
    assert event.after["size_class"] == "medium"


def test_edit_shows_the_stored_values(world, client):
    client.force_login(world.user(OrgType.SUBDISTRICT_OFFICE, Role.STAFF))
    html = client.get(_edit_url(world.target)).content.decode()
    assert f'value="{world.target.uscc}"' in html
    assert 'value="30000000.00"' in html
    assert f'value="{world.cluster.code}" class="form-check-input" id="id_clusters_0" checked' in html


def test_a_bad_edit_shows_the_error_and_changes_nothing(world, client):
    client.force_login(world.user(OrgType.SUBDISTRICT_OFFICE, Role.STAFF))
    before = _snapshot(world.target)
    url = _edit_url(world.target)
    data = form_post_data(client.get(url).context["form"], employees="-3", total_assets="99999999999999999")
    response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="error-employees"' in html
    assert 'data-testid="error-total_assets"' in html
    assert _snapshot(world.target) == before
    assert not AuditEvent.objects.exists()


def test_an_msme_edits_its_own_description_but_not_what_the_authority_keeps(world, client):
    client.force_login(world.user(OrgType.MSME, Role.STAFF))
    url = _edit_url(world.target)
    form = client.get(url).context["form"]
    assert form.fields["uscc"].disabled and form.fields["industry_code"].disabled
    assert not form.fields["address"].disabled
    data = form_post_data(form, address="坪山区石井街道8号", uscc=valid_uscc(999), industry_code="I6513")
    assert client.post(url, data).status_code == 302
    world.target.refresh_from_db()
    assert world.target.address == "坪山区石井街道8号"
    assert world.target.uscc != valid_uscc(999)
    assert world.target.industry_code == "C3670"


@pytest.mark.parametrize(
    ("org_type", "role", "status"),
    [
        (OrgType.BANK, Role.ADMIN, 403),
        (OrgType.SUBDISTRICT_OFFICE, Role.VIEWER, 403),
        (OrgType.MSME, Role.VIEWER, 403),
    ],
)
def test_forbidden_edits_change_nothing(world, client, org_type, role, status):
    allowed = world.user(OrgType.DISTRICT_AUTHORITY, Role.STAFF)
    client.force_login(allowed)
    data = form_post_data(client.get(_edit_url(world.target)).context["form"], name="改名公司")
    before = _snapshot(world.target)
    client.force_login(world.user(org_type, role))
    assert client.post(_edit_url(world.target), data).status_code == status
    assert _snapshot(world.target) == before
    assert not AuditEvent.objects.exists()


def test_editing_a_record_outside_the_remit_is_404_and_changes_nothing(world, client):
    client.force_login(world.user(OrgType.SUBDISTRICT_OFFICE, Role.ADMIN))
    before = _snapshot(world.other)
    assert client.post(_edit_url(world.other), {"name": "越权修改"}).status_code == 404
    assert _snapshot(world.other) == before
    assert not AuditEvent.objects.exists()


def test_saving_without_changes_writes_no_audit_row(world, client):
    client.force_login(world.user(OrgType.DISTRICT_AUTHORITY, Role.STAFF))
    url = _edit_url(world.target)
    assert client.post(url, form_post_data(client.get(url).context["form"])).status_code == 302
    assert not AuditEvent.objects.exists()
