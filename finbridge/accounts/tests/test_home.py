"""The home page: one panel per thing the person's memberships need first, read through selectors."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.dashboard import home_panels, profile_completeness
from finbridge.accounts.tests.factories import MembershipFactory, OrganizationFactory, SubdistrictFactory, member_of
from finbridge.audit.services import log_event
from finbridge.enterprises.choices import ConsentScope
from finbridge.enterprises.models import ImportRun
from finbridge.enterprises.tests.factories import (
    ConsentFactory,
    ContactFactory,
    EnterpriseFactory,
    FinancialsFactory,
)

pytestmark = pytest.mark.django_db
HOME = reverse("home")


def _registry_panels(panels) -> list[dict]:
    """The panels of the registry and of people (the financing panels are tested in finbridge/financing)."""
    return [panel for panel in panels if panel["template"].startswith("accounts/")]


def _templates(user) -> list[str]:
    return [panel["template"].rsplit("/", 1)[-1] for panel in _registry_panels(home_panels(actor=user))]


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_person_without_memberships_is_told_how_to_join(client):
    from finbridge.accounts.tests.factories import UserFactory

    user = UserFactory()
    client.force_login(user)
    response = client.get(HOME)
    assert response.status_code == 200
    assert _templates(user) == ["_panel_no_membership.html"]
    assert 'data-testid="panel-no-membership"' in response.content.decode()


def test_subdistrict_staff_see_their_remit_and_what_is_due(client):
    area, elsewhere = SubdistrictFactory(), SubdistrictFactory()
    staff = member_of(OrgType.SUBDISTRICT_OFFICE, Role.STAFF, subdistrict=area)
    overdue = timezone.localdate() - datetime.timedelta(days=3)
    EnterpriseFactory(subdistrict=area, verification_due_on=overdue)
    EnterpriseFactory(subdistrict=area, verification_due_on=overdue)
    EnterpriseFactory(subdistrict=area)  # never verified
    EnterpriseFactory(subdistrict=elsewhere, verification_due_on=overdue)  # not theirs
    client.force_login(staff)
    response = client.get(HOME)
    html = response.content.decode()
    registry = response.context["panels"][0]
    assert registry["template"] == "accounts/partials/_panel_registry.html"
    assert (registry["total"], registry["overdue"], registry["never"]) == (3, 2, 1)
    assert 'href="/enterprises/?verification=due"' in html
    assert 'data-testid="panel-imports"' in html
    assert 'data-testid="panel-members"' not in html  # staff, not admin
    assert 'data-testid="panel-audit"' not in html


def test_importers_see_their_recent_imports(client):
    staff = member_of(OrgType.INDUSTRY_AUTHORITY, Role.STAFF)
    organization = staff.memberships.get().organization
    run = ImportRun.objects.create(
        organization=organization, created_by=staff, file_name="坪山企业名单.xlsx", file_sha256="0" * 64, rows_created=7
    )
    ImportRun.objects.create(organization=OrganizationFactory(), file_name="others.xlsx", file_sha256="1" * 64)
    client.force_login(staff)
    response = client.get(HOME)
    panel = next(p for p in response.context["panels"] if p["template"].endswith("_panel_imports.html"))
    assert [r.file_name for r in panel["runs"]] == ["坪山企业名单.xlsx"]
    html = response.content.decode()
    assert reverse("enterprises:import_run", args=[run.pk]) in html
    assert "7 created, 0 updated, 0 rejected" in html
    assert "others.xlsx" not in html


def test_a_government_viewer_gets_no_import_panel():
    viewer = member_of(OrgType.SUBDISTRICT_OFFICE, Role.VIEWER)
    assert _templates(viewer) == ["_panel_registry.html"]


def test_a_bank_sees_the_enterprises_that_consented_newest_first(client):
    banker = member_of(OrgType.BANK, Role.VIEWER)
    bank = banker.memberships.get().organization
    older = ConsentFactory(grantee=bank, granted_at=timezone.now() - datetime.timedelta(days=5))
    newer = ConsentFactory(grantee=bank, scope=ConsentScope.PROFILE)
    ConsentFactory(grantee=bank, revoked_at=timezone.now())  # revoked: not shown
    ConsentFactory()  # to another institution
    client.force_login(banker)
    response = client.get(HOME)
    panels = _registry_panels(response.context["panels"])
    assert [p["template"].rsplit("/", 1)[-1] for p in panels] == ["_panel_consented.html"]
    assert panels[0]["total"] == 2
    assert [c.pk for c in panels[0]["consents"]] == [newer.pk, older.pk]
    assert newer.enterprise.name in response.content.decode()


def test_an_msme_sees_its_profile_completeness_verification_and_consents(client):
    owner = member_of(OrgType.MSME, Role.STAFF)
    enterprise = EnterpriseFactory(organization=owner.memberships.get().organization)
    ConsentFactory(enterprise=enterprise)
    ConsentFactory(enterprise=enterprise, revoked_at=timezone.now())
    client.force_login(owner)
    response = client.get(HOME)
    html = response.content.decode()
    panel = response.context["panels"][0]
    assert panel["template"] == "accounts/partials/_panel_profile.html"
    assert panel["enterprise"] == enterprise
    assert panel["verification_state"] == "never"
    assert panel["active_consent_count"] == 1
    assert panel["completeness"] < 100
    assert f'value="{panel["completeness"]}"' in html
    assert reverse("enterprises:consents") in html
    assert "Never verified" in html


def test_profile_completeness_counts_the_filled_parts():
    enterprise = EnterpriseFactory(
        established_on=datetime.date(2018, 1, 1),
        registered_capital=Decimal("1000000"),
        address="坪山区",
        subdistrict=None,
    )
    percent, missing = profile_completeness(enterprise)
    assert [str(label) for label in missing] == ["subdistrict", "industrial clusters", "contacts", "yearly figures"]
    assert percent == round(100 * 8 / 12)
    ContactFactory(enterprise=enterprise)
    FinancialsFactory(enterprise=enterprise)
    assert profile_completeness(enterprise)[0] == round(100 * 10 / 12)


def test_an_admin_sees_the_member_count_with_a_link(client):
    admin = member_of(OrgType.GUARANTOR, Role.ADMIN)
    organization = admin.memberships.get().organization
    MembershipFactory(organization=organization)
    MembershipFactory(organization=organization)
    client.force_login(admin)
    response = client.get(HOME)
    panel = next(p for p in response.context["panels"] if p["template"].endswith("_panel_members.html"))
    assert panel["organizations"][0]["members"] == 3
    assert reverse("accounts:members", args=[organization.pk]) in response.content.decode()


def test_the_district_authority_sees_the_latest_audit_events(client):
    official = member_of(OrgType.DISTRICT_AUTHORITY, Role.VIEWER)
    for n in range(7):
        log_event(actor=official, action=f"test_action_{n}", object_type="tests.thing", object_id=str(n))
    client.force_login(official)
    response = client.get(HOME)
    panel = next(p for p in response.context["panels"] if p["template"].endswith("_panel_audit.html"))
    assert [e.action for e in panel["events"]] == [f"test_action_{n}" for n in (6, 5, 4, 3, 2)]
    assert "test_action_6" in response.content.decode()


def test_other_organisations_do_not_get_the_audit_panel():
    assert "_panel_audit.html" not in _templates(member_of(OrgType.INDUSTRY_AUTHORITY, Role.ADMIN))
    assert "_panel_audit.html" not in _templates(member_of(OrgType.BANK, Role.ADMIN))


def test_several_memberships_get_the_panels_of_each():
    person = member_of(OrgType.SUBDISTRICT_OFFICE, Role.STAFF)
    bank = OrganizationFactory(org_type=OrgType.BANK)
    MembershipFactory(user=person, organization=bank, role=Role.VIEWER)
    person.refresh_from_db()
    assert _templates(person) == ["_panel_registry.html", "_panel_consented.html", "_panel_imports.html"]


def test_home_renders_in_chinese(client):
    client.force_login(member_of(OrgType.DISTRICT_AUTHORITY, Role.ADMIN))
    response = client.get(HOME, headers={"Accept-Language": "zh-hans"})
    assert response.status_code == 200
    assert 'lang="zh-hans"' in response.content.decode()
