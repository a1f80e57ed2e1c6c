"""Recording, changing and deleting yearly figures on the detail page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from finbridge.accounts.choices import OrgType, Role
from finbridge.audit.models import AuditEvent
from finbridge.enterprises.models import EnterpriseFinancials

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def _save_url(world) -> str:
    return reverse("enterprises:financials_save", args=[world.target.pk])


def _figures(world) -> list[tuple]:
    return list(
        EnterpriseFinancials.objects.filter(enterprise=world.target)
        .order_by("year")
        .values_list("year", "revenue", "net_profit", "employees")
    )


def test_an_editor_records_a_year_with_htmx_and_sees_the_updated_table(world, client):
    client.force_login(world.user(OrgType.INDUSTRY_AUTHORITY, Role.STAFF))
    data = {"year": "2025", "revenue": "31,500,000", "net_profit": "-120000.50", "employees": "88"}

    response = client.post(_save_url(world), data, headers=HTMX)

    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="financials-block"' in html
    assert "3,150.00" in html and "-12.00" in html
    assert (2025, Decimal("31500000.00"), Decimal("-120000.50"), 88) in _figures(world)
    assert AuditEvent.objects.filter(action="financials_upsert").count() == 1


def test_recording_an_existing_year_changes_it_and_an_empty_field_clears_it(world, client):
    client.force_login(world.user(OrgType.MSME, Role.STAFF))
    client.post(_save_url(world), {"year": "2024", "revenue": "29000000", "employees": ""}, headers=HTMX)
    [row] = [r for r in _figures(world) if r[0] == 2024]
    assert row[1] == Decimal("29000000.00") and row[3] is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"year": "1800", "revenue": "1"}, "year"),
        ({"year": "2025", "revenue": "-5"}, "revenue"),
        ({"revenue": "1"}, "year"),
    ],
)
def test_bad_figures_are_shown_next_to_the_field_and_change_nothing(world, client, data, field):
    client.force_login(world.user(OrgType.SUBDISTRICT_OFFICE, Role.STAFF))
    before = _figures(world)

    html = client.post(_save_url(world), data, headers=HTMX).content.decode()

    assert f'id="id_financials_{field}_error"' in html
    assert _figures(world) == before
    assert not AuditEvent.objects.filter(action="financials_upsert").exists()


def test_without_htmx_the_page_goes_back_to_the_figures_with_a_message(world, client):
    client.force_login(world.user(OrgType.INDUSTRY_AUTHORITY, Role.STAFF))
    response = client.post(_save_url(world), {"year": "2025", "revenue": "100"}, follow=True)
    assert response.redirect_chain[-1][0].endswith("#financials")
    assert "The figures for 2025 were saved." in response.content.decode()


def test_deleting_a_year(world, client):
    client.force_login(world.user(OrgType.INDUSTRY_AUTHORITY, Role.STAFF))
    url = reverse("enterprises:financials_delete", args=[world.target.pk, 2024])

    html = client.post(url, headers=HTMX).content.decode()

    assert "No yearly figures recorded." in html
    assert _figures(world) == []
    assert client.post(url, headers=HTMX).status_code == 404


@pytest.mark.parametrize(
    ("org_type", "role", "status"),
    [
        (OrgType.BANK, Role.STAFF, 403),  # sees the figures by consent, may not change them
        (OrgType.INDUSTRY_AUTHORITY, Role.VIEWER, 403),
        (OrgType.MSME, Role.VIEWER, 403),
    ],
)
def test_readers_without_the_right_to_edit_cannot_record_or_delete(world, client, org_type, role, status):
    client.force_login(world.user(org_type, role))
    before = _figures(world)
    assert client.post(_save_url(world), {"year": "2025", "revenue": "1"}).status_code == status
    delete = reverse("enterprises:financials_delete", args=[world.target.pk, 2024])
    assert client.post(delete).status_code == status
    assert _figures(world) == before
    html = client.get(reverse("enterprises:detail", args=[world.target.pk])).content.decode()
    assert 'data-testid="financials-save"' not in html


def test_a_record_the_user_cannot_see_is_404(world, client):
    client.force_login(world.user(OrgType.BANK, Role.STAFF))
    assert (
        client.post(reverse("enterprises:financials_save", args=[world.other.pk]), {"year": "2025"}).status_code == 404
    )


def test_the_form_is_offered_to_editors_in_chinese(world, client, settings):
    client.force_login(world.user(OrgType.INDUSTRY_AUTHORITY, Role.STAFF))
    html = client.get(reverse("enterprises:detail", args=[world.target.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content
    assert 'data-testid="financials-save"' in html.decode()
