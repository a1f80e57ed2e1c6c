"""A small registry world for the page tests: one organisation of every type and two enterprises.

- `target`: in subdistrict A, industry C3670 (managed by the industry authority), the MSME's own record,
  with a "financials" consent to every institution (bank, guarantor, insurer, investor, securities firm,
  core enterprise), one contact and one year of figures;
- `other`: in subdistrict B, industry I65 (no managing authority), nobody's own record, no consent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from finbridge.accounts.choices import CONSENT_TYPES, BankTier, OrgType, Role
from finbridge.accounts.models import Organization, User
from finbridge.accounts.tests.factories import (
    ClusterFactory,
    OrganizationFactory,
    SubdistrictFactory,
    member_of,
)
from finbridge.enterprises.choices import ConsentScope
from finbridge.enterprises.models import Consent, Enterprise, EnterpriseContact
from finbridge.enterprises.tests.factories import (
    ConsentFactory,
    ContactFactory,
    EnterpriseFactory,
    FinancialsFactory,
)


@dataclass
class World:
    subdistrict_a: object
    subdistrict_b: object
    cluster: object
    orgs: dict[str, Organization]
    target: Enterprise
    other: Enterprise
    contact: EnterpriseContact
    consents: dict[str, Consent]
    users: dict[tuple[str, str], User] = field(default_factory=dict)

    def user(self, org_type: str, role: str = Role.STAFF) -> User:
        """A member (made on first use) of this world's organisation of `org_type` with `role`."""
        key = (org_type, role)
        if key not in self.users:
            self.users[key] = member_of(org_type, role, organization=self.orgs[org_type])
        return self.users[key]


def _organization(org_type: str, **kwargs) -> Organization:
    if org_type == OrgType.BANK:
        kwargs.setdefault("bank_tier", BankTier.SCITECH_BRANCH)
    return OrganizationFactory(org_type=org_type, **kwargs)


@pytest.fixture
def world(db) -> World:
    subdistrict_a = SubdistrictFactory(name_zh="坪山", name_en="Pingshan")
    subdistrict_b = SubdistrictFactory(name_zh="马峦", name_en="Maluan")
    cluster = ClusterFactory(name_zh="集成电路", name_en="Integrated circuits")
    orgs = {
        OrgType.DISTRICT_AUTHORITY: _organization(OrgType.DISTRICT_AUTHORITY),
        OrgType.INDUSTRY_AUTHORITY: _organization(OrgType.INDUSTRY_AUTHORITY, industry_sectors=["C"]),
        OrgType.SUBDISTRICT_OFFICE: _organization(OrgType.SUBDISTRICT_OFFICE, subdistrict=subdistrict_a),
        OrgType.MSME: _organization(OrgType.MSME),
        **{org_type: _organization(org_type) for org_type in CONSENT_TYPES},
    }
    target = EnterpriseFactory(
        name="深圳市坪山芯片科技有限公司",
        name_en="Pingshan Chip Technology Co., Ltd.",
        subdistrict=subdistrict_a,
        industry_code="C3670",
        managing_authority=orgs[OrgType.INDUSTRY_AUTHORITY],
        organization=orgs[OrgType.MSME],
        employees=50,
        annual_revenue=Decimal("30000000.00"),
        total_assets=Decimal("20000000.00"),
        size_class="small",
    )
    target.clusters.add(cluster)
    other = EnterpriseFactory(
        name="深圳市马峦软件有限公司",
        name_en="Maluan Software Co., Ltd.",
        subdistrict=subdistrict_b,
        industry_code="I6513",
        employees=30,
        annual_revenue=Decimal("8000000.00"),
        size_class="small",
    )
    FinancialsFactory(enterprise=target, year=2024, revenue=Decimal("28000000.00"))
    contact = ContactFactory(enterprise=target, name="王经理", phone="13800000001")
    consents = {
        org_type: ConsentFactory(enterprise=target, grantee=orgs[org_type], scope=ConsentScope.FINANCIALS)
        for org_type in CONSENT_TYPES
    }
    return World(subdistrict_a, subdistrict_b, cluster, orgs, target, other, contact, consents)
