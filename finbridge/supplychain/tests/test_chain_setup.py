"""A small world for the chain-database tests, shared by test_chain_*.py.

    from finbridge.supplychain.tests.test_chain_setup import build_world, listing
    world = build_world()

Organisations: district (district authority), ia (an industry authority: sees nothing here), core and
other_core (core enterprises; core has its own Enterprise record `core_enterprise`), supplier_org and
distributor_org (MSMEs owning the enterprises `supplier` and `distributor`), head (a bank head office),
branch (its branch), other_bank, insurer (not a funder). `plain` is an enterprise without a platform account.
`world.member(name, role=STAFF)` gives one user per organisation and role.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from finbridge.accounts.choices import BankTier, OrgType, Role
from finbridge.accounts.models import Organization, User
from finbridge.accounts.tests.factories import MembershipFactory, OrganizationFactory
from finbridge.enterprises.choices import ConsentScope
from finbridge.enterprises.models import Consent, Enterprise
from finbridge.enterprises.tests.factories import EnterpriseFactory, valid_uscc
from finbridge.supplychain.models.chain import ChainDirection, ChainPartner, TransactionSummary

ORGS = ("district", "ia", "core", "other_core", "supplier_org", "distributor_org", "head", "branch", "other_bank")
ORGS_ALL = (*ORGS, "insurer")


@dataclass
class World:
    orgs: dict[str, Organization]
    core_enterprise: Enterprise
    supplier: Enterprise
    distributor: Enterprise
    plain: Enterprise
    users: dict[tuple[str, str], User] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        orgs = self.__dict__.get("orgs", {})
        if name in orgs:
            return orgs[name]
        raise AttributeError(name)

    def member(self, name: str, role: str = Role.STAFF) -> User:
        """One user per (organisation, role), created on first use."""
        key = (name, role)
        if key not in self.users:
            self.users[key] = MembershipFactory(organization=self.orgs[name], role=role).user
        return self.users[key]


def build_world() -> World:
    types = {
        "district": OrgType.DISTRICT_AUTHORITY,
        "ia": OrgType.INDUSTRY_AUTHORITY,
        "core": OrgType.CORE_ENTERPRISE,
        "other_core": OrgType.CORE_ENTERPRISE,
        "supplier_org": OrgType.MSME,
        "distributor_org": OrgType.MSME,
        "head": OrgType.BANK,
        "other_bank": OrgType.BANK,
        "insurer": OrgType.INSURER,
    }
    orgs: dict[str, Organization] = {}
    for name, org_type in types.items():
        extra: dict[str, Any] = {"industry_sectors": ["C"]} if org_type == OrgType.INDUSTRY_AUTHORITY else {}
        if org_type == OrgType.BANK:
            extra["bank_tier"] = BankTier.HEAD_OFFICE
        orgs[name] = OrganizationFactory(org_type=org_type, name=f"{name}-机构", name_en=name, **extra)
    orgs["branch"] = OrganizationFactory(
        org_type=OrgType.BANK, bank_tier=BankTier.BRANCH, parent=orgs["head"], name="branch-机构", name_en="branch"
    )
    return World(
        orgs=orgs,
        core_enterprise=EnterpriseFactory(uscc=valid_uscc(900001), organization=orgs["core"], name="核心制造"),
        supplier=EnterpriseFactory(
            uscc=valid_uscc(900002),
            organization=orgs["supplier_org"],
            name="供应商甲",
            established_on=datetime.date(2015, 5, 1),
        ),
        distributor=EnterpriseFactory(uscc=valid_uscc(900003), organization=orgs["distributor_org"], name="经销商乙"),
        plain=EnterpriseFactory(uscc=valid_uscc(900004), name="无账户企业"),
    )


def listing(world: World, enterprise: Enterprise | None = None, **values: Any) -> ChainPartner:
    """A chain row written straight to the database (no services)."""
    defaults = {
        "core": world.core,
        "enterprise": enterprise or world.supplier,
        "direction": ChainDirection.UPSTREAM,
        "since": datetime.date(2019, 3, 1),
        "annual_volume": Decimal("12000000.00"),
        "payment_terms_days": 60,
    }
    return ChainPartner.objects.create(**{**defaults, **values})


def summary(partner: ChainPartner, **values: Any) -> TransactionSummary:
    """A transaction summary written straight to the database."""
    defaults = {
        "period_start": datetime.date(2025, 1, 1),
        "period_end": datetime.date(2025, 12, 31),
        "volume": Decimal("11800000.00"),
        "transaction_count": 48,
        "on_time_share": Decimal("0.958333"),
    }
    return TransactionSummary.objects.create(chain_partner=partner, **{**defaults, **values})


def consent(enterprise: Enterprise, grantee: Organization, **values: Any) -> Consent:
    """A consent written straight to the database (figures scope, no expiry unless given)."""
    return Consent.objects.create(
        enterprise=enterprise, grantee=grantee, scope=values.pop("scope", ConsentScope.FINANCIALS), **values
    )


def yesterday() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=1)


@pytest.mark.django_db
def test_the_world_has_a_branch_under_its_head_office():
    world = build_world()
    assert world.branch.parent_id == world.head.pk
    assert world.supplier.organization_id == world.supplier_org.pk
    assert world.member("core") is world.member("core")
