"""The permission matrix: for an organisation type and role, a world where the actor can see one enterprise
(`target`) through its own remit, ownership or consent, and cannot see another (`hidden`); and, by hand,
the status each kind of actor must get from each endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from finbridge.accounts.choices import CONSENT_TYPES, GOVERNMENT_TYPES, BankTier, OrgType, Role
from finbridge.accounts.models import Organization, User
from finbridge.accounts.tests.factories import OrganizationFactory, SubdistrictFactory
from finbridge.enterprises.choices import ConsentScope
from finbridge.enterprises.models import Consent, Enterprise, EnterpriseContact
from finbridge.enterprises.tests.factories import (
    ConsentFactory,
    ContactFactory,
    EnterpriseFactory,
    FinancialsFactory,
    valid_uscc,
)
from finbridge.enterprises.tests.registry_setup import new_enterprise_data, user_in

ORG_TYPES = list(OrgType)
ROLES = list(Role)
ACTOR_CASES = [(org_type.value, role.value) for org_type in ORG_TYPES for role in ROLES]

GOV_EDIT, GOV_REVIEW, GOV_VIEW = "gov_edit", "gov_review", "gov_view"
MSME_EDIT, MSME_VIEW, INSTITUTION = "msme_edit", "msme_view", "institution"
EVERYONE = (GOV_EDIT, GOV_REVIEW, GOV_VIEW, MSME_EDIT, MSME_VIEW, INSTITUTION)
EDITORS = (GOV_EDIT, MSME_EDIT)


def actor_kind(org_type: str, role: str) -> str:
    """Which row of the table an organisation type and role fall in."""
    if org_type in GOVERNMENT_TYPES:
        return {Role.ADMIN: GOV_EDIT, Role.STAFF: GOV_EDIT, Role.REVIEWER: GOV_REVIEW, Role.VIEWER: GOV_VIEW}[role]
    if org_type == OrgType.MSME:
        return MSME_EDIT if role in (Role.ADMIN, Role.STAFF) else MSME_VIEW
    return INSTITUTION


def allowed(status: int, *kinds: str) -> dict[str, int]:
    return dict.fromkeys(kinds, status)


# endpoint -> {actor kind: status}; every kind not listed gets 403. Written by hand from roles.py and the
# rules: government edits in its remit, reviewers verify, the MSME edits its own record and manages its
# consents, institutions only read what was shared with them.
EXPECTED: dict[str, dict[str, int]] = {
    "list": allowed(200, *EVERYONE),
    "retrieve": allowed(200, *EVERYONE),
    "create": allowed(201, GOV_EDIT),
    "put": allowed(200, *EDITORS),
    "patch": allowed(200, *EDITORS),
    "history": allowed(200, GOV_EDIT, GOV_REVIEW, GOV_VIEW, MSME_EDIT, MSME_VIEW),
    "verify": allowed(200, GOV_EDIT, GOV_REVIEW),
    "financials_list": allowed(200, *EVERYONE),
    "financials_upsert": allowed(200, *EDITORS),
    "financials_delete": allowed(204, *EDITORS),
    "contacts_list": allowed(200, *EVERYONE),
    "contact_add": allowed(201, *EDITORS),
    "contact_remove": allowed(204, *EDITORS),
    "consent_list": allowed(200, *EVERYONE),
    "consent_retrieve": allowed(200, *EVERYONE),
    "consent_grant": allowed(201, MSME_EDIT),
    "consent_revoke": allowed(200, MSME_EDIT),
}
ENTERPRISE_ENDPOINTS = [name for name in EXPECTED if not name.startswith("consent_")]
CONSENT_ENDPOINTS = [name for name in EXPECTED if name.startswith("consent_")]
DETAIL_ENDPOINTS = [name for name in ENTERPRISE_ENDPOINTS if name not in ("list", "create")]
WRITE_ENDPOINTS = {
    "create",
    "put",
    "patch",
    "verify",
    "financials_upsert",
    "financials_delete",
    "contact_add",
    "contact_remove",
    "consent_grant",
    "consent_revoke",
}


def expected_status(endpoint: str, org_type: str, role: str) -> int:
    return EXPECTED[endpoint].get(actor_kind(org_type, role), 403)


@dataclass
class World:
    user: User
    organization: Organization
    target: Enterprise
    hidden: Enterprise
    contact: EnterpriseContact
    hidden_contact: EnterpriseContact
    visible_consent: Consent
    hidden_consent: Consent
    spare_bank: Organization


def build_world(org_type: str, role: str) -> World:
    """The actor sees `target` (C3670 in subdistrict 440310001) and not `hidden` (I6513 elsewhere)."""
    s1 = SubdistrictFactory(code="440310001")
    extra: dict[str, Any] = {}
    if org_type == OrgType.SUBDISTRICT_OFFICE:
        extra["subdistrict"] = s1
    if org_type == OrgType.INDUSTRY_AUTHORITY:
        extra["industry_sectors"] = ["C"]
    if org_type == OrgType.BANK:
        extra["bank_tier"] = BankTier.BRANCH
    organization = OrganizationFactory(org_type=org_type, **extra)
    user = user_in(organization, role)
    owner = organization if org_type == OrgType.MSME else OrganizationFactory(org_type=OrgType.MSME)
    target = EnterpriseFactory(
        uscc=valid_uscc(101),
        industry_code="C3670",
        subdistrict=s1,
        managing_authority=organization if org_type == OrgType.INDUSTRY_AUTHORITY else None,
        organization=owner,
    )
    hidden = EnterpriseFactory(uscc=valid_uscc(102), industry_code="I6513", subdistrict=SubdistrictFactory())
    FinancialsFactory(enterprise=target, year=2023)
    FinancialsFactory(enterprise=hidden, year=2023)
    other_bank = OrganizationFactory(org_type=OrgType.BANK)
    visible_consent = ConsentFactory(enterprise=target, grantee=other_bank, scope=ConsentScope.FINANCIALS)
    if org_type in CONSENT_TYPES:
        visible_consent = ConsentFactory(enterprise=target, grantee=organization, scope=ConsentScope.FINANCIALS)
    return World(
        user=user,
        organization=organization,
        target=target,
        hidden=hidden,
        contact=ContactFactory(enterprise=target),
        hidden_contact=ContactFactory(enterprise=hidden),
        visible_consent=visible_consent,
        hidden_consent=ConsentFactory(enterprise=hidden, grantee=OrganizationFactory(org_type=OrgType.BANK)),
        spare_bank=OrganizationFactory(org_type=OrgType.GUARANTOR),
    )


def call(client: Any, endpoint: str, world: World, *, hidden: bool = False) -> Any:
    """Send the request of `endpoint` about `world.target` (or `world.hidden` when hidden=True)."""
    e = world.hidden if hidden else world.target
    contact = world.hidden_contact if hidden else world.contact
    consent = world.hidden_consent if hidden else world.visible_consent
    base = f"/api/v1/enterprises/{e.pk}/"
    requests = {
        "list": lambda: client.get("/api/v1/enterprises/"),
        "retrieve": lambda: client.get(base),
        "create": lambda: client.post("/api/v1/enterprises/", new_enterprise_data(), format="json"),
        "put": lambda: client.put(
            base, {"uscc": e.uscc, "name": "深圳市新名称有限公司", "industry_code": e.industry_code}, format="json"
        ),
        "patch": lambda: client.patch(base, {"name": "深圳市新名称有限公司"}, format="json"),
        "history": lambda: client.get(base + "history/"),
        "verify": lambda: client.post(base + "verify/"),
        "financials_list": lambda: client.get(base + "financials/"),
        "financials_upsert": lambda: client.post(base + "financials/", {"year": 2024, "revenue": "100"}, format="json"),
        "financials_delete": lambda: client.delete(base + "financials/2023/"),
        "contacts_list": lambda: client.get(base + "contacts/"),
        "contact_add": lambda: client.post(base + "contacts/", {"name": "赵六"}, format="json"),
        "contact_remove": lambda: client.delete(base + f"contacts/{contact.pk}/"),
        "consent_list": lambda: client.get("/api/v1/consents/"),
        "consent_retrieve": lambda: client.get(f"/api/v1/consents/{consent.pk}/"),
        "consent_grant": lambda: client.post(
            "/api/v1/consents/",
            {"enterprise": e.pk, "grantee": world.spare_bank.pk, "scope": "profile"},
            format="json",
        ),
        "consent_revoke": lambda: client.post(f"/api/v1/consents/{consent.pk}/revoke/"),
    }
    return requests[endpoint]()
