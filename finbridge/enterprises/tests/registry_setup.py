"""A small registry with one organisation of every kind, for the service, selector and API tests.

S1, S2           two subdistricts
ia_c             industry authority for sector C (manufacturing)
ia_i65           industry authority for I65 (software)
so_s1            subdistrict office of S1
msme             the MSME that owns `factory` on the platform
head, branch     a bank head office and its branch; `other_bank` unrelated
factory          C3670, S1, managed by ia_c, owned by msme, consent (financials) to head
software         I6513, S2, managed by ia_i65, consent (profile) to other_bank
shop             F5211 (retail), S2, no managing authority, no consent
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from finbridge.accounts.choices import BankTier, OrgType, Role
from finbridge.accounts.models import Organization, User
from finbridge.accounts.tests.factories import (
    ClusterFactory,
    MembershipFactory,
    OrganizationFactory,
    SubdistrictFactory,
)
from finbridge.enterprises.choices import ConsentScope
from finbridge.enterprises.models import Enterprise
from finbridge.enterprises.tests.factories import ConsentFactory, EnterpriseFactory, valid_uscc
from finbridge.reference.models import IndustrialCluster, Subdistrict


def user_in(organization: Organization, role: str = Role.STAFF) -> User:
    """A new user with one membership of `role` in `organization`."""
    return MembershipFactory(organization=organization, role=role).user


@dataclass
class Registry:
    s1: Subdistrict
    s2: Subdistrict
    cluster: IndustrialCluster
    district: Organization
    ia_c: Organization
    ia_i65: Organization
    so_s1: Organization
    msme: Organization
    head: Organization
    branch: Organization
    other_bank: Organization
    guarantor: Organization
    factory: Enterprise
    software: Enterprise
    shop: Enterprise

    def user(self, org_name: str, role: str = Role.STAFF) -> User:
        return user_in(getattr(self, org_name), role)


def build_registry() -> Registry:
    s1 = SubdistrictFactory(code="440310001", name_zh="坪山", name_en="Pingshan")
    s2 = SubdistrictFactory(code="440310002", name_zh="马峦", name_en="Maluan")
    cluster = ClusterFactory(code="new-energy-vehicles", name_zh="新能源汽车", name_en="New-energy vehicles")
    district = OrganizationFactory(org_type=OrgType.DISTRICT_AUTHORITY, name="坪山区发展和改革局")
    ia_c = OrganizationFactory(org_type=OrgType.INDUSTRY_AUTHORITY, name="工业和信息化局", industry_sectors=["C"])
    ia_i65 = OrganizationFactory(org_type=OrgType.INDUSTRY_AUTHORITY, name="科技创新局", industry_sectors=["I65"])
    so_s1 = OrganizationFactory(org_type=OrgType.SUBDISTRICT_OFFICE, name="坪山街道办", subdistrict=s1)
    msme = OrganizationFactory(org_type=OrgType.MSME, name="比亚迪配件厂")
    head = OrganizationFactory(org_type=OrgType.BANK, bank_tier=BankTier.HEAD_OFFICE, name="示范银行")
    branch = OrganizationFactory(
        org_type=OrgType.BANK, bank_tier=BankTier.SCITECH_BRANCH, parent=head, name="示范银行坪山科技支行"
    )
    other_bank = OrganizationFactory(org_type=OrgType.BANK, bank_tier=BankTier.BRANCH, name="另一银行")
    guarantor = OrganizationFactory(org_type=OrgType.GUARANTOR, name="坪山融资担保")
    factory = EnterpriseFactory(
        uscc=valid_uscc(101),
        name="深圳市坪山新能源电池配件有限公司",
        name_en="Pingshan New Energy Battery Parts Co., Ltd.",
        industry_code="C3670",
        subdistrict=s1,
        managing_authority=ia_c,
        organization=msme,
        employees=50,
        annual_revenue=Decimal("30000000.00"),
        total_assets=Decimal("20000000.00"),
        registered_capital=Decimal("5000000.00"),
        size_class="small",
        is_high_tech=True,
    )
    factory.clusters.add(cluster)
    software = EnterpriseFactory(
        uscc=valid_uscc(102),
        name="深圳市马峦软件开发有限公司",
        name_en="Maluan Software Development Co., Ltd.",
        industry_code="I6513",
        subdistrict=s2,
        managing_authority=ia_i65,
        employees=8,
        annual_revenue=Decimal("400000.00"),
        size_class="micro",
    )
    shop = EnterpriseFactory(
        uscc=valid_uscc(103),
        name="马峦便利店",
        name_en="Maluan Convenience Store",
        industry_code="F5211",
        subdistrict=s2,
        managing_authority=None,
        employees=12,
        annual_revenue=Decimal("1500000.00"),
        size_class="small",
    )
    ConsentFactory(enterprise=factory, grantee=head, scope=ConsentScope.FINANCIALS)
    ConsentFactory(enterprise=software, grantee=other_bank, scope=ConsentScope.PROFILE)
    return Registry(
        s1=s1,
        s2=s2,
        cluster=cluster,
        district=district,
        ia_c=ia_c,
        ia_i65=ia_i65,
        so_s1=so_s1,
        msme=msme,
        head=head,
        branch=branch,
        other_bank=other_bank,
        guarantor=guarantor,
        factory=factory,
        software=software,
        shop=shop,
    )


def new_enterprise_data(**overrides: Any) -> dict[str, Any]:
    """Raw input for a new enterprise in S1 (code 440310001), manufacturing C3670, small by its figures."""
    data: dict[str, Any] = {
        "uscc": valid_uscc(555),
        "name": "深圳市坪山储能科技有限公司",
        "name_en": "Pingshan Energy Storage Technology Co., Ltd.",
        "industry_code": "C3670",
        "subdistrict": "440310001",
        "employees": 120,
        "annual_revenue": "25,000,000.00",
        "total_assets": "18000000",
        "established_on": "2019-04-01",
    }
    data.update(overrides)
    return data
