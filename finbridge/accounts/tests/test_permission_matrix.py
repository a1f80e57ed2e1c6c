"""Permission matrix: every organisation type × role against every accounts and audit page and endpoint.

The expectations are written out by hand, one row per type and role, so a change in roles.py or in a
view's checks shows up here as a failing row. "Other" is an organisation the person does not belong to.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from finbridge.accounts.choices import BankTier, OrgType, Role
from finbridge.accounts.tests.factories import MembershipFactory, OrganizationFactory, member_of

pytestmark = pytest.mark.django_db

DA, IA, SO = OrgType.DISTRICT_AUTHORITY, OrgType.INDUSTRY_AUTHORITY, OrgType.SUBDISTRICT_OFFICE
BK, GU, IN, IV = OrgType.BANK, OrgType.GUARANTOR, OrgType.INSURER, OrgType.INVESTOR
SF, CE, MS = OrgType.SECURITIES_FIRM, OrgType.CORE_ENTERPRISE, OrgType.MSME
AD, ST, RV, VW = Role.ADMIN, Role.STAFF, Role.REVIEWER, Role.VIEWER

PAGES = ("orgs", "org_new", "members_own", "members_other", "token", "password", "audit")
ENDPOINTS = (
    "me",
    "orgs",
    "org_create",
    "org_other",
    "members_own",
    "members_other",
    "invitations_own",
    "invitations_other",
    "audit",
)

# (type, role): (pages in PAGES order), (endpoints in ENDPOINTS order)
EXPECTED = {
    # district financial authority: admins manage every organisation; everyone reads the audit trail
    (DA, AD): ((200, 200, 200, 200, 200, 200, 200), (200, 200, 201, 200, 200, 200, 200, 200, 200)),
    (DA, ST): ((403, 403, 403, 403, 200, 200, 200), (200, 200, 403, 200, 403, 403, 403, 403, 200)),
    (DA, RV): ((403, 403, 403, 403, 200, 200, 200), (200, 200, 403, 200, 403, 403, 403, 403, 200)),
    (DA, VW): ((403, 403, 403, 403, 200, 200, 200), (200, 200, 403, 200, 403, 403, 403, 403, 200)),
    # industry authority
    (IA, AD): ((200, 403, 200, 404, 200, 200, 403), (200, 200, 403, 404, 200, 404, 200, 404, 403)),
    (IA, ST): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
    (IA, RV): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
    (IA, VW): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
    # subdistrict office
    (SO, AD): ((200, 403, 200, 404, 200, 200, 403), (200, 200, 403, 404, 200, 404, 200, 404, 403)),
    (SO, ST): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
    (SO, RV): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
    (SO, VW): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
    # bank
    (BK, AD): ((200, 403, 200, 404, 200, 200, 403), (200, 200, 403, 404, 200, 404, 200, 404, 403)),
    (BK, ST): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
    (BK, RV): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
    (BK, VW): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
    # guarantee agency
    (GU, AD): ((200, 403, 200, 404, 200, 200, 403), (200, 200, 403, 404, 200, 404, 200, 404, 403)),
    (GU, ST): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
    (GU, RV): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
    (GU, VW): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
    # insurer
    (IN, AD): ((200, 403, 200, 404, 200, 200, 403), (200, 200, 403, 404, 200, 404, 200, 404, 403)),
    (IN, ST): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
    (IN, RV): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
    (IN, VW): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
    # investment institution
    (IV, AD): ((200, 403, 200, 404, 200, 200, 403), (200, 200, 403, 404, 200, 404, 200, 404, 403)),
    (IV, ST): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
    (IV, RV): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
    (IV, VW): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
    # securities firm
    (SF, AD): ((200, 403, 200, 404, 200, 200, 403), (200, 200, 403, 404, 200, 404, 200, 404, 403)),
    (SF, ST): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
    (SF, RV): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
    (SF, VW): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
    # core enterprise
    (CE, AD): ((200, 403, 200, 404, 200, 200, 403), (200, 200, 403, 404, 200, 404, 200, 404, 403)),
    (CE, ST): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
    (CE, RV): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
    (CE, VW): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
    # MSME
    (MS, AD): ((200, 403, 200, 404, 200, 200, 403), (200, 200, 403, 404, 200, 404, 200, 404, 403)),
    (MS, ST): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
    (MS, RV): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
    (MS, VW): ((403, 403, 403, 403, 200, 200, 403), (200, 200, 403, 404, 403, 403, 403, 403, 403)),
}
ANONYMOUS = ((302, 302, 302, 302, 302, 302, 302), (401, 401, 401, 401, 401, 401, 401, 401, 401))


def test_the_table_covers_every_type_and_role():
    assert set(EXPECTED) == {(t, r) for t in OrgType.values for r in Role.values}


def _world(org_type: str | None, role: str | None):
    """The person under test (None: anonymous), their organisation and another organisation with an admin."""
    user = member_of(org_type, role) if org_type else None
    own = (
        user.memberships.get().organization
        if user
        else OrganizationFactory(org_type=BK, bank_tier=BankTier.HEAD_OFFICE)
    )
    other = OrganizationFactory(org_type=BK, bank_tier=BankTier.HEAD_OFFICE)
    MembershipFactory(organization=other, role=AD)
    return user, own, other


def _page_statuses(client, own, other) -> tuple[int, ...]:
    urls = (
        reverse("accounts:organizations"),
        reverse("accounts:organization_create"),
        reverse("accounts:members", kwargs={"pk": own.pk}),
        reverse("accounts:members", kwargs={"pk": other.pk}),
        reverse("accounts:token"),
        reverse("accounts:password_change"),
        reverse("audit:list"),
    )
    return tuple(client.get(url).status_code for url in urls)


def _endpoint_statuses(api_client, own, other) -> tuple[int, ...]:
    base = "/api/v1/organizations/"
    return (
        api_client.get("/api/v1/me/").status_code,
        api_client.get(base).status_code,
        api_client.post(base, {"name": "矩阵测试机构", "org_type": "insurer"}, format="json").status_code,
        api_client.get(f"{base}{other.pk}/").status_code,
        api_client.get(f"{base}{own.pk}/members/").status_code,
        api_client.get(f"{base}{other.pk}/members/").status_code,
        api_client.get(f"{base}{own.pk}/invitations/").status_code,
        api_client.get(f"{base}{other.pk}/invitations/").status_code,
        api_client.get("/api/v1/audit-events/").status_code,
    )


@pytest.mark.parametrize(("org_type", "role"), sorted(EXPECTED), ids=lambda v: str(v))
def test_pages_and_endpoints(client, api_client, org_type, role):
    user, own, other = _world(org_type, role)
    client.force_login(user)
    api_client.force_login(user)
    pages, endpoints = EXPECTED[(org_type, role)]
    assert dict(zip(PAGES, _page_statuses(client, own, other), strict=True)) == dict(zip(PAGES, pages, strict=True))
    assert dict(zip(ENDPOINTS, _endpoint_statuses(api_client, own, other), strict=True)) == dict(
        zip(ENDPOINTS, endpoints, strict=True)
    )


def test_anonymous(client, api_client, db):
    _user, own, other = _world(None, None)
    pages, endpoints = ANONYMOUS
    assert _page_statuses(client, own, other) == pages
    assert _endpoint_statuses(api_client, own, other) == endpoints
