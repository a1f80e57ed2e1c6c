"""A small financing market shared by the financing tests of every area (products, demands, matching, loans).

    from finbridge.financing.tests.setup import build_market, make_demand
    market = build_market()

Organisations (attributes of the Market):
  s1, s2            subdistricts 坪山 (440310001) and 马峦 (440310002); `cluster` new-energy vehicles
  district          district financial authority (sees every enterprise; oversight)
  ia_c              industry authority of sector C (manages `factory`)
  so_s1, so_s2      subdistrict offices of S1 and S2
  head              bank head office 示范银行
  branch            its ordinary branch (parent: head)
  scitech           its sci-tech branch (parent: head)
  other_bank        an unrelated bank (head office, no branches)
  guarantor         a guarantee agency
  insurer           an insurer (an institution that neither lends nor answers demands)
  msme              the MSME organisation that owns `factory`
  other_msme        another MSME organisation that owns `software`

Enterprises:
  factory           C3670 manufacturing, S1, managed by ia_c, owned by msme, small, high-tech, established 2018
  software          I6513 software, S2, no managing authority, owned by other_msme, micro
  shop              F5211 retail, S2, no platform account (government records its demands on its behalf)

People: `market.member(org_name, role)` returns one user per (organisation, role), created on first use
(a membership of that role in that organisation). Shortcuts for the staff of each: firm_user (msme staff),
other_firm_user, district_user, ia_user, so_s1_user, head_user, branch_user, scitech_user, other_bank_user,
guarantor_user, insurer_user.

`make_demand(market, ...)` writes a demand straight to the database in any status (no services, no
notifications), so tests of other areas do not depend on the demand services.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from finbridge.accounts.choices import BankTier, OrgType, Role
from finbridge.accounts.models import Organization, User
from finbridge.accounts.tests.factories import (
    ClusterFactory,
    MembershipFactory,
    OrganizationFactory,
    SubdistrictFactory,
)
from finbridge.core.workdays import add_workdays
from finbridge.enterprises.models import Enterprise
from finbridge.enterprises.tests.factories import EnterpriseFactory, valid_uscc
from finbridge.financing.choices import (
    DemandPurpose,
    DemandStatus,
    DemandVisibility,
    EngagementStatus,
    ResponseKind,
)
from finbridge.financing.models import Demand, DemandResponse
from finbridge.reference.models import IndustrialCluster, Subdistrict

ORG_NAMES = (
    "district",
    "ia_c",
    "so_s1",
    "so_s2",
    "head",
    "branch",
    "scitech",
    "other_bank",
    "guarantor",
    "insurer",
    "msme",
    "other_msme",
)
# Every organisation that may answer a demand (banks and guarantors).
LENDER_NAMES = ("head", "branch", "scitech", "other_bank", "guarantor")


@dataclass
class Market:
    s1: Subdistrict
    s2: Subdistrict
    cluster: IndustrialCluster
    district: Organization
    ia_c: Organization
    so_s1: Organization
    so_s2: Organization
    head: Organization
    branch: Organization
    scitech: Organization
    other_bank: Organization
    guarantor: Organization
    insurer: Organization
    msme: Organization
    other_msme: Organization
    factory: Enterprise
    software: Enterprise
    shop: Enterprise
    _members: dict[tuple[str, str], User] = field(default_factory=dict, repr=False)

    def org(self, name: str) -> Organization:
        return getattr(self, name)

    def member(self, org_name: str, role: str = Role.STAFF) -> User:
        """The user holding `role` in the named organisation (created on first use, then the same user)."""
        key = (org_name, str(role))
        if key not in self._members:
            organization = self.org(org_name)
            user = MembershipFactory(
                organization=organization, role=role, user__username=f"{org_name}-{role}-{organization.pk}"
            ).user
            self._members[key] = user
        return self._members[key]

    def new_user(self, org_name: str, role: str = Role.STAFF) -> User:
        """A further, distinct user with `role` in the named organisation."""
        return MembershipFactory(organization=self.org(org_name), role=role).user

    # Shortcuts: the staff member of each organisation.
    @property
    def firm_user(self) -> User:
        return self.member("msme")

    @property
    def other_firm_user(self) -> User:
        return self.member("other_msme")

    @property
    def district_user(self) -> User:
        return self.member("district")

    @property
    def ia_user(self) -> User:
        return self.member("ia_c")

    @property
    def so_s1_user(self) -> User:
        return self.member("so_s1")

    @property
    def head_user(self) -> User:
        return self.member("head")

    @property
    def branch_user(self) -> User:
        return self.member("branch")

    @property
    def scitech_user(self) -> User:
        return self.member("scitech")

    @property
    def other_bank_user(self) -> User:
        return self.member("other_bank")

    @property
    def guarantor_user(self) -> User:
        return self.member("guarantor")

    @property
    def insurer_user(self) -> User:
        return self.member("insurer")

    @property
    def lenders(self) -> list[Organization]:
        return [self.org(name) for name in LENDER_NAMES]


def build_market() -> Market:
    """Create the market described in the module docstring and return it."""
    s1 = SubdistrictFactory(code="440310001", name_zh="坪山", name_en="Pingshan")
    s2 = SubdistrictFactory(code="440310002", name_zh="马峦", name_en="Maluan")
    cluster = ClusterFactory(code="new-energy-vehicles", name_zh="新能源汽车", name_en="New-energy vehicles")
    district = OrganizationFactory(
        org_type=OrgType.DISTRICT_AUTHORITY, name="坪山区发展和改革局", name_en="Pingshan Development and Reform Bureau"
    )
    ia_c = OrganizationFactory(
        org_type=OrgType.INDUSTRY_AUTHORITY,
        name="工业和信息化局",
        name_en="Industry and IT Bureau",
        industry_sectors=["C"],
    )
    so_s1 = OrganizationFactory(
        org_type=OrgType.SUBDISTRICT_OFFICE, name="坪山街道办", name_en="Pingshan Subdistrict Office", subdistrict=s1
    )
    so_s2 = OrganizationFactory(
        org_type=OrgType.SUBDISTRICT_OFFICE, name="马峦街道办", name_en="Maluan Subdistrict Office", subdistrict=s2
    )
    head = OrganizationFactory(
        org_type=OrgType.BANK, bank_tier=BankTier.HEAD_OFFICE, name="示范银行", name_en="Demo Bank"
    )
    branch = OrganizationFactory(
        org_type=OrgType.BANK,
        bank_tier=BankTier.BRANCH,
        parent=head,
        name="示范银行坪山支行",
        name_en="Demo Bank Pingshan Branch",
    )
    scitech = OrganizationFactory(
        org_type=OrgType.BANK,
        bank_tier=BankTier.SCITECH_BRANCH,
        parent=head,
        name="示范银行坪山科技支行",
        name_en="Demo Bank Pingshan Sci-tech Branch",
    )
    other_bank = OrganizationFactory(
        org_type=OrgType.BANK, bank_tier=BankTier.HEAD_OFFICE, name="另一银行", name_en="Other Bank"
    )
    guarantor = OrganizationFactory(
        org_type=OrgType.GUARANTOR, name="坪山融资担保", name_en="Pingshan Financing Guarantee"
    )
    insurer = OrganizationFactory(org_type=OrgType.INSURER, name="坪山保险", name_en="Pingshan Insurance")
    msme = OrganizationFactory(org_type=OrgType.MSME, name="坪山电池配件", name_en="Pingshan Battery Parts")
    other_msme = OrganizationFactory(org_type=OrgType.MSME, name="马峦软件", name_en="Maluan Software")
    factory = EnterpriseFactory(
        uscc=valid_uscc(201),
        name="深圳市坪山新能源电池配件有限公司",
        name_en="Pingshan New Energy Battery Parts Co., Ltd.",
        industry_code="C3670",
        subdistrict=s1,
        managing_authority=ia_c,
        organization=msme,
        employees=50,
        annual_revenue=Decimal("30000000.00"),
        total_assets=Decimal("20000000.00"),
        size_class="small",
        is_high_tech=True,
        established_on=datetime.date(2018, 3, 1),
    )
    factory.clusters.add(cluster)
    software = EnterpriseFactory(
        uscc=valid_uscc(202),
        name="深圳市马峦软件开发有限公司",
        name_en="Maluan Software Development Co., Ltd.",
        industry_code="I6513",
        subdistrict=s2,
        managing_authority=None,
        organization=other_msme,
        employees=8,
        annual_revenue=Decimal("400000.00"),
        size_class="micro",
        established_on=datetime.date(2022, 6, 1),
    )
    shop = EnterpriseFactory(
        uscc=valid_uscc(203),
        name="马峦便利店",
        name_en="Maluan Convenience Store",
        industry_code="F5211",
        subdistrict=s2,
        managing_authority=None,
        employees=12,
        annual_revenue=Decimal("1500000.00"),
        size_class="small",
        established_on=datetime.date(2015, 1, 1),
    )
    return Market(
        s1=s1,
        s2=s2,
        cluster=cluster,
        district=district,
        ia_c=ia_c,
        so_s1=so_s1,
        so_s2=so_s2,
        head=head,
        branch=branch,
        scitech=scitech,
        other_bank=other_bank,
        guarantor=guarantor,
        insurer=insurer,
        msme=msme,
        other_msme=other_msme,
        factory=factory,
        software=software,
        shop=shop,
    )


_NOW: Any = object()  # make_demand's default publication time: now
# Statuses at or beyond publication: make_demand gives them published_at, respond_by and expires_on.
_PUBLISHED_OR_LATER = frozenset(DemandStatus.values) - {DemandStatus.DRAFT}


def make_demand(
    market: Market | None = None,
    *,
    enterprise: Enterprise | None = None,
    status: str = DemandStatus.PUBLISHED,
    published_at: Any = _NOW,
    chosen: list[Organization] | None = None,
    created_by: User | None = None,
    **fields: Any,
) -> Demand:
    """A demand of `enterprise` (default: market.factory) written straight to the database.

    For a status other than draft it sets published_at (default now; None: a demand never published, such as
    a draft that was withdrawn), respond_by (published date plus the configured working days) and expires_on
    (needed_by or 90 days on) unless given. `chosen` makes the
    demand visible to those institutions only. No events, notifications or matching are triggered.
    """
    if enterprise is None:
        assert market is not None, "give market or enterprise"
        enterprise = market.factory
    values: dict[str, Any] = {
        "amount": Decimal("2000000.00"),
        "term_months": 12,
        "purpose": DemandPurpose.WORKING_CAPITAL,
        "collateral_offered": [],
        "max_annual_rate": Decimal("0.050000"),
        "visibility": DemandVisibility.CHOSEN if chosen else DemandVisibility.ALL,
        "status": status,
    }
    values.update(fields)
    if status in _PUBLISHED_OR_LATER and published_at is not None:
        published_at = timezone.now() if published_at is _NOW else published_at
        values.setdefault("published_at", published_at)
        published_on = timezone.localdate(values["published_at"])
        values.setdefault("respond_by", add_workdays(published_on, settings.FINBRIDGE_RESPONSE_WORKING_DAYS))
        values.setdefault("expires_on", values.get("needed_by") or published_on + datetime.timedelta(days=90))
    demand = Demand.objects.create(enterprise=enterprise, created_by=created_by, **values)
    if chosen:
        demand.chosen_institutions.set(chosen)
    return demand


def make_response(
    demand: Demand,
    institution: Organization,
    *,
    kind: str = ResponseKind.TAKE_UP,
    status: str | None = None,
    responded_by: User | None = None,
    **fields: Any,
) -> DemandResponse:
    """An institution's answer written straight to the database (take-up: status taken_up unless given)."""
    if status is None:
        status = EngagementStatus.TAKEN_UP if kind == ResponseKind.TAKE_UP else ""
    return DemandResponse.objects.create(
        demand=demand, institution=institution, kind=kind, status=status, responded_by=responded_by, **fields
    )
