"""The page permission matrix: every organisation type and role against every registry page.

`target` is visible to everyone in the world (government remit, the MSME's own record, consent to every
institution); `other` lies outside every remit except the district authority's. A record the user may
not see answers 404; a visible record the user may not act on answers 403; allowed writes redirect (302).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from finbridge.accounts.choices import OrgType, Role
from finbridge.audit.models import AuditEvent

PAGES = (
    "home",
    "list",
    "detail",
    "detail_other",
    "edit",
    "edit_other",
    "history",
    "history_other",
    "create",
    "consents",
    "verify",
    "verify_other",
    "contact_add",
    "contact_remove",
    "consent_revoke",
)
WRITES = ("verify", "verify_other", "contact_add", "contact_remove", "consent_revoke")

DA, IA, SO = OrgType.DISTRICT_AUTHORITY, OrgType.INDUSTRY_AUTHORITY, OrgType.SUBDISTRICT_OFFICE
BK, GU, IN, IV, SF, CE, MS = (
    OrgType.BANK,
    OrgType.GUARANTOR,
    OrgType.INSURER,
    OrgType.INVESTOR,
    OrgType.SECURITIES_FIRM,
    OrgType.CORE_ENTERPRISE,
    OrgType.MSME,
)
AD, ST, RE, VI = Role.ADMIN, Role.STAFF, Role.REVIEWER, Role.VIEWER

# fmt: off
#                  home list det  det2 edit edi2 hist his2 crea cons ver  ver2 cadd crem crev
EXPECTED = {
    (DA, AD): (200, 200, 200, 200, 200, 200, 200, 200, 200, 403, 302, 302, 302, 302, 403),
    (DA, ST): (200, 200, 200, 200, 200, 200, 200, 200, 200, 403, 302, 302, 302, 302, 403),
    (DA, RE): (200, 200, 200, 200, 403, 403, 200, 200, 403, 403, 302, 302, 403, 403, 403),
    (DA, VI): (200, 200, 200, 200, 403, 403, 200, 200, 403, 403, 403, 403, 403, 403, 403),
    (IA, AD): (200, 200, 200, 404, 200, 404, 200, 404, 200, 403, 302, 404, 302, 302, 403),
    (IA, ST): (200, 200, 200, 404, 200, 404, 200, 404, 200, 403, 302, 404, 302, 302, 403),
    (IA, RE): (200, 200, 200, 404, 403, 404, 200, 404, 403, 403, 302, 404, 403, 403, 403),
    (IA, VI): (200, 200, 200, 404, 403, 404, 200, 404, 403, 403, 403, 404, 403, 403, 403),
    (SO, AD): (200, 200, 200, 404, 200, 404, 200, 404, 200, 403, 302, 404, 302, 302, 403),
    (SO, ST): (200, 200, 200, 404, 200, 404, 200, 404, 200, 403, 302, 404, 302, 302, 403),
    (SO, RE): (200, 200, 200, 404, 403, 404, 200, 404, 403, 403, 302, 404, 403, 403, 403),
    (SO, VI): (200, 200, 200, 404, 403, 404, 200, 404, 403, 403, 403, 404, 403, 403, 403),
    (BK, AD): (200, 200, 200, 404, 403, 404, 403, 404, 403, 403, 403, 404, 403, 403, 403),
    (BK, ST): (200, 200, 200, 404, 403, 404, 403, 404, 403, 403, 403, 404, 403, 403, 403),
    (BK, RE): (200, 200, 200, 404, 403, 404, 403, 404, 403, 403, 403, 404, 403, 403, 403),
    (BK, VI): (200, 200, 200, 404, 403, 404, 403, 404, 403, 403, 403, 404, 403, 403, 403),
    (GU, AD): (200, 200, 200, 404, 403, 404, 403, 404, 403, 403, 403, 404, 403, 403, 403),
    (GU, ST): (200, 200, 200, 404, 403, 404, 403, 404, 403, 403, 403, 404, 403, 403, 403),
    (GU, RE): (200, 200, 200, 404, 403, 404, 403, 404, 403, 403, 403, 404, 403, 403, 403),
    (GU, VI): (200, 200, 200, 404, 403, 404, 403, 404, 403, 403, 403, 404, 403, 403, 403),
    (IN, AD): (200, 200, 200, 404, 403, 404, 403, 404, 403, 403, 403, 404, 403, 403, 403),
    (IN, ST): (200, 200, 200, 404, 403, 404, 403, 404, 403, 403, 403, 404, 403, 403, 403),
    (IN, RE): (200, 200, 200, 404, 403, 404, 403, 404, 403, 403, 403, 404, 403, 403, 403),
    (IN, VI): (200, 200, 200, 404, 403, 404, 403, 404, 403, 403, 403, 404, 403, 403, 403),
    (IV, AD): (200, 200, 200, 404, 403, 404, 403, 404, 403, 403, 403, 404, 403, 403, 403),
    (IV, ST): (200, 200, 200, 404, 403, 404, 403, 404, 403, 403, 403, 404, 403, 403, 403),
    (IV, RE): (200, 200, 200, 404, 403, 404, 403, 404, 403, 403, 403, 404, 403, 403, 403),
    (IV, VI): (200, 200, 200, 404, 403, 404, 403, 404, 403, 403, 403, 404, 403, 403, 403),
    (SF, AD): (200, 200, 200, 404, 403, 404, 403, 404, 403, 403, 403, 404, 403, 403, 403),
    (SF, ST): (200, 200, 200, 404, 403, 404, 403, 404, 403, 403, 403, 404, 403, 403, 403),
    (SF, RE): (200, 200, 200, 404, 403, 404, 403, 404, 403, 403, 403, 404, 403, 403, 403),
    (SF, VI): (200, 200, 200, 404, 403, 404, 403, 404, 403, 403, 403, 404, 403, 403, 403),
    (CE, AD): (200, 200, 200, 404, 403, 404, 403, 404, 403, 403, 403, 404, 403, 403, 403),
    (CE, ST): (200, 200, 200, 404, 403, 404, 403, 404, 403, 403, 403, 404, 403, 403, 403),
    (CE, RE): (200, 200, 200, 404, 403, 404, 403, 404, 403, 403, 403, 404, 403, 403, 403),
    (CE, VI): (200, 200, 200, 404, 403, 404, 403, 404, 403, 403, 403, 404, 403, 403, 403),
    (MS, AD): (200, 200, 200, 404, 200, 404, 200, 404, 403, 200, 403, 404, 302, 302, 302),
    (MS, ST): (200, 200, 200, 404, 200, 404, 200, 404, 403, 200, 403, 404, 302, 302, 302),
    (MS, RE): (200, 200, 200, 404, 403, 404, 200, 404, 403, 403, 403, 404, 403, 403, 403),
    (MS, VI): (200, 200, 200, 404, 403, 404, 200, 404, 403, 403, 403, 404, 403, 403, 403),
}
# fmt: on


def _requests(world) -> dict[str, tuple[str, str, dict]]:
    """(method, url, data) of every page, writes last (the consent revocation at the very end)."""
    target, other = world.target.pk, world.other.pk
    return {
        "home": ("get", reverse("home"), {}),
        "list": ("get", reverse("enterprises:list"), {}),
        "detail": ("get", reverse("enterprises:detail", args=[target]), {}),
        "detail_other": ("get", reverse("enterprises:detail", args=[other]), {}),
        "edit": ("get", reverse("enterprises:edit", args=[target]), {}),
        "edit_other": ("get", reverse("enterprises:edit", args=[other]), {}),
        "history": ("get", reverse("enterprises:history", args=[target]), {}),
        "history_other": ("get", reverse("enterprises:history", args=[other]), {}),
        "create": ("get", reverse("enterprises:create"), {}),
        "consents": ("get", reverse("enterprises:consents"), {}),
        "verify": ("post", reverse("enterprises:verify", args=[target]), {}),
        "verify_other": ("post", reverse("enterprises:verify", args=[other]), {}),
        "contact_add": ("post", reverse("enterprises:contact_add", args=[target]), {"name": "赵六", "phone": "0755-1"}),
        "contact_remove": ("post", reverse("enterprises:contact_remove", args=[world.contact.pk]), {}),
        "consent_revoke": (
            "post",
            reverse("enterprises:consent_revoke", args=[world.consents[OrgType.BANK].pk]),
            {},
        ),
    }


def test_the_table_covers_every_organisation_type_and_role():
    assert set(EXPECTED) == {(org_type, role) for org_type in OrgType.values for role in Role.values}
    assert all(len(row) == len(PAGES) for row in EXPECTED.values())


@pytest.mark.django_db
@pytest.mark.parametrize(("org_type", "role"), sorted(EXPECTED), ids=lambda value: str(value))
def test_page_status_by_organisation_type_and_role(world, client, org_type, role):
    client.force_login(world.user(org_type, role))
    requests = _requests(world)
    actual = {}
    for page in PAGES:
        method, url, data = requests[page]
        actual[page] = getattr(client, method)(url, data).status_code
    expected = dict(zip(PAGES, EXPECTED[(org_type, role)], strict=True))
    assert actual == expected
    # Forbidden writes changed nothing: one audit event per allowed write, none for the others.
    allowed_writes = sum(1 for page in WRITES if expected[page] == 302)
    assert AuditEvent.objects.count() == allowed_writes


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(world, client):
    for page, (method, url, data) in _requests(world).items():
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, page
        assert response["Location"].startswith(reverse("accounts:login")), page
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_a_person_without_memberships_sees_no_record(world, client):
    from finbridge.accounts.tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(reverse("enterprises:list")).status_code == 403
    assert client.get(reverse("enterprises:detail", args=[world.target.pk])).status_code == 404
    assert client.post(reverse("enterprises:verify", args=[world.target.pk])).status_code == 404
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_another_msme_cannot_touch_a_foreign_record_or_consent(world, client):
    from finbridge.accounts.tests.factories import member_of

    client.force_login(member_of(OrgType.MSME, Role.ADMIN))
    bank_consent = world.consents[OrgType.BANK]
    assert client.get(reverse("enterprises:detail", args=[world.target.pk])).status_code == 404
    assert client.get(reverse("enterprises:edit", args=[world.target.pk])).status_code == 404
    assert client.post(reverse("enterprises:consent_revoke", args=[bank_consent.pk])).status_code == 404
    assert client.post(reverse("enterprises:contact_remove", args=[world.contact.pk])).status_code == 404
    bank_consent.refresh_from_db()
    assert bank_consent.revoked_at is None
    assert world.target.contacts.filter(pk=world.contact.pk).exists()
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_hidden_records_and_refusals_render_the_site_pages(world, client):
    client.force_login(world.user(OrgType.BANK, Role.STAFF))
    not_found = client.get(reverse("enterprises:detail", args=[world.other.pk]))
    refused = client.get(reverse("enterprises:edit", args=[world.target.pk]))
    assert not_found.status_code == 404
    assert 'data-testid="not-found"' in not_found.content.decode()
    assert world.other.name not in not_found.content.decode()
    assert refused.status_code == 403
    assert 'data-testid="forbidden"' in refused.content.decode()
