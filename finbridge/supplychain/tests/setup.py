"""A small supply chain shared by every supply-chain test (receivables, financing, vouchers, settlement, chain
databases, overview, API and pages).

    from finbridge.supplychain.tests.setup import build_chain, make_receivable
    chain = build_chain()

Organisations (attributes of the Chain), each MSME and core enterprise with its registry Enterprise:
  district      district financial authority (sees everything, writes nothing)
  ia            an industry authority (no supply-chain permission)
  core          core enterprise 坪山新能源汽车 (buyer; debtor of the tier-1 suppliers)
  core2         another core enterprise
  supplier      tier-1 MSME supplier of core (电池配件)
  supplier2     another tier-1 MSME supplier of core
  tier2         MSME supplying `supplier` (tier 2)
  tier3         MSME supplying `tier2` (tier 3)
  outsider      an MSME with no dealings with anyone here
  bank_a        bank head office 示范银行; bank_a_branch its branch (parent bank_a)
  bank_b        another bank (head office)
  bank_c        a third bank (head office)
  guarantor     a guarantee agency (not a funder)
Registry only: `unregistered` — an Enterprise with no organisation on the platform (a debtor that is refused).

People: `chain.member(name, role=Role.STAFF)` — one user per (organisation, role), created on first use.
Shortcuts: chain.user(name) is member(name, STAFF).

`make_receivable(chain, ...)` writes a receivable straight to the database in any status (with a confirmation
row for confirmed-like statuses), without services or notifications, so tests of one service do not depend on
the others.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import count
from typing import Any

from django.utils import timezone

from finbridge.accounts.choices import BankTier, OrgType, Role
from finbridge.accounts.models import Organization, User
from finbridge.accounts.tests.factories import MembershipFactory, OrganizationFactory, SubdistrictFactory
from finbridge.enterprises.models import Enterprise
from finbridge.enterprises.tests.factories import EnterpriseFactory, valid_uscc
from finbridge.supplychain.choices import ConfirmationMethod, ReceivableSource, ReceivableStatus
from finbridge.supplychain.models import Receivable, ReceivableConfirmation
from finbridge.supplychain.services.confirmation import fingerprint_of, receivable_content

FIRM_NAMES = ("core", "core2", "supplier", "supplier2", "tier2", "tier3", "outsider")
BANK_NAMES = ("bank_a", "bank_a_branch", "bank_b", "bank_c")
ORG_NAMES = ("district", "ia", *FIRM_NAMES, *BANK_NAMES, "guarantor")
# Statuses in which a receivable carries the debtor's confirmation.
CONFIRMED_STATUSES = frozenset(
    {
        ReceivableStatus.CONFIRMED,
        ReceivableStatus.FINANCING_REQUESTED,
        ReceivableStatus.FINANCED,
        ReceivableStatus.VOUCHER_ISSUED,
        ReceivableStatus.SETTLED,
    }
)
_invoice_numbers = count(10_000_001)

_FIRMS: dict[str, tuple[str, str, str, int]] = {
    # name: (org type, Chinese name, English name, uscc seed)
    "core": (OrgType.CORE_ENTERPRISE, "坪山新能源汽车股份有限公司", "Pingshan NEV Co., Ltd.", 301),
    "core2": (OrgType.CORE_ENTERPRISE, "坪山生物医药集团", "Pingshan Biomedicine Group", 302),
    "supplier": (OrgType.MSME, "坪山电池配件有限公司", "Pingshan Battery Parts Co., Ltd.", 303),
    "supplier2": (OrgType.MSME, "坑梓电机有限公司", "Kengzi Motors Co., Ltd.", 304),
    "tier2": (OrgType.MSME, "碧岭五金有限公司", "Biling Hardware Co., Ltd.", 305),
    "tier3": (OrgType.MSME, "石井模具厂", "Shijing Moulds Works", 306),
    "outsider": (OrgType.MSME, "龙田餐饮有限公司", "Longtian Catering Co., Ltd.", 307),
}


@dataclass
class Chain:
    district: Organization
    ia: Organization
    core: Organization
    core2: Organization
    supplier: Organization
    supplier2: Organization
    tier2: Organization
    tier3: Organization
    outsider: Organization
    bank_a: Organization
    bank_a_branch: Organization
    bank_b: Organization
    bank_c: Organization
    guarantor: Organization
    enterprises: dict[str, Enterprise]
    unregistered: Enterprise
    _members: dict[tuple[str, str], User] = field(default_factory=dict, repr=False)

    def org(self, name: str) -> Organization:
        return getattr(self, name)

    def uscc(self, name: str) -> str:
        """The credit code of a firm's registry record (or of `unregistered`)."""
        return self.unregistered.uscc if name == "unregistered" else self.enterprises[name].uscc

    def member(self, name: str, role: str = Role.STAFF) -> User:
        """The user holding `role` in the named organisation (created on first use, then the same user)."""
        key = (name, str(role))
        if key not in self._members:
            organization = self.org(name)
            self._members[key] = MembershipFactory(
                organization=organization, role=role, user__username=f"sc-{name}-{role}-{organization.pk}"
            ).user
        return self._members[key]

    def user(self, name: str) -> User:
        return self.member(name, Role.STAFF)

    @property
    def funders(self) -> list[Organization]:
        return [self.bank_a, self.bank_b, self.bank_c]


def build_chain() -> Chain:
    """Create the chain described in the module docstring and return it."""
    subdistrict = SubdistrictFactory(code="440310001", name_zh="坪山", name_en="Pingshan")
    orgs: dict[str, Organization] = {
        "district": OrganizationFactory(
            org_type=OrgType.DISTRICT_AUTHORITY,
            name="坪山区发展和改革局",
            name_en="Pingshan Development and Reform Bureau",
        ),
        "ia": OrganizationFactory(
            org_type=OrgType.INDUSTRY_AUTHORITY,
            name="工业和信息化局",
            name_en="Industry and IT Bureau",
            industry_sectors=["C"],
        ),
        "guarantor": OrganizationFactory(org_type=OrgType.GUARANTOR, name="坪山融资担保", name_en="Pingshan Guarantee"),
    }
    orgs["bank_a"] = OrganizationFactory(
        org_type=OrgType.BANK, bank_tier=BankTier.HEAD_OFFICE, name="示范银行", name_en="Demo Bank"
    )
    orgs["bank_a_branch"] = OrganizationFactory(
        org_type=OrgType.BANK,
        bank_tier=BankTier.BRANCH,
        parent=orgs["bank_a"],
        name="示范银行坪山支行",
        name_en="Demo Bank Pingshan Branch",
    )
    orgs["bank_b"] = OrganizationFactory(
        org_type=OrgType.BANK, bank_tier=BankTier.HEAD_OFFICE, name="鹏城银行", name_en="Pengcheng Bank"
    )
    orgs["bank_c"] = OrganizationFactory(
        org_type=OrgType.BANK, bank_tier=BankTier.HEAD_OFFICE, name="深港保理银行", name_en="Shengang Factoring Bank"
    )
    enterprises: dict[str, Enterprise] = {}
    for name, (org_type, name_zh, name_en, seed) in _FIRMS.items():
        orgs[name] = OrganizationFactory(org_type=org_type, name=name_zh, name_en=name_en)
        enterprises[name] = EnterpriseFactory(
            uscc=valid_uscc(seed),
            name=name_zh,
            name_en=name_en,
            subdistrict=subdistrict,
            organization=orgs[name],
            size_class="large" if org_type == OrgType.CORE_ENTERPRISE else "small",
        )
    unregistered = EnterpriseFactory(
        uscc=valid_uscc(399), name="未注册贸易公司", name_en="Unregistered Trading Co.", subdistrict=subdistrict
    )
    return Chain(**orgs, enterprises=enterprises, unregistered=unregistered)


def next_invoice_number() -> str:
    """A fresh 8-digit invoice number."""
    return f"{next(_invoice_numbers) % 100_000_000:08d}"


def make_receivable(
    chain: Chain,
    *,
    creditor: str | Organization = "supplier",
    debtor: str | Organization = "core",
    status: str = ReceivableStatus.PENDING,
    amount: Decimal | str = "100000.00",
    invoice_code: str = "4403201130",
    invoice_number: str | None = None,
    issued_on: datetime.date | None = None,
    due_on: datetime.date | None = None,
    is_overdue: bool = False,
    **extra: Any,
) -> Receivable:
    """A receivable written straight to the database in `status` (confirmed-like statuses get a confirmation
    row with the true fingerprint). Dates default to issued 30 days ago, due in 90 days."""
    today = timezone.localdate()
    creditor_org = chain.org(creditor) if isinstance(creditor, str) else creditor
    debtor_org = chain.org(debtor) if isinstance(debtor, str) else debtor
    now = timezone.now()
    receivable = Receivable.objects.create(
        creditor=creditor_org,
        debtor=debtor_org,
        invoice_code=invoice_code,
        invoice_number=invoice_number or next_invoice_number(),
        amount=Decimal(str(amount)),
        issued_on=issued_on or today - datetime.timedelta(days=30),
        due_on=due_on or today + datetime.timedelta(days=90),
        contract_reference=extra.pop("contract_reference", "HT-2026-001"),
        status=status,
        source=extra.pop("source", ReceivableSource.CREDITOR),
        confirmed_at=now if status in CONFIRMED_STATUSES else None,
        is_overdue=is_overdue,
        overdue_since=(due_on + datetime.timedelta(days=1)) if is_overdue and due_on else None,
        **extra,
    )
    if status in CONFIRMED_STATUSES:
        content = receivable_content(receivable)
        ReceivableConfirmation.objects.create(
            receivable=receivable,
            method=ConfirmationMethod.CONFIRMED,
            organization=debtor_org,
            confirmed_by_name="test",
            confirmed_at=now,
            content=content,
            fingerprint=fingerprint_of(content),
        )
    return receivable
