"""Fixtures of the product tests: a small world of organisations, the LPR history, valid input, and a
recorder standing in for the matching module.

World:
  district (district authority), industry (industry authority), subdistrict_office, msme, core, insurer,
  investor, securities;
  bank_head (head office) with bank_branch and bank_scitech (its branches); other_bank (unrelated head
  office); guarantor and other_guarantor.
"""

from __future__ import annotations

import datetime
import importlib
import sys
import types
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from finbridge.accounts.choices import BankTier, OrgType, Role
from finbridge.accounts.models import Organization, User
from finbridge.accounts.tests.factories import (
    ClusterFactory,
    MembershipFactory,
    OrganizationFactory,
    SubdistrictFactory,
)
from finbridge.financing.choices import ProductKind, ProductStatus, RateType
from finbridge.financing.models import LprRate, Product

# The LPR history written out independently of the data migration (the migration test compares them).
LPR_1Y = (
    ("2019-08-20", "0.0425"),
    ("2019-09-20", "0.0420"),
    ("2019-11-20", "0.0415"),
    ("2020-02-20", "0.0405"),
    ("2020-04-20", "0.0385"),
    ("2021-12-20", "0.0380"),
    ("2022-01-20", "0.0370"),
    ("2022-08-22", "0.0365"),
    ("2023-06-20", "0.0355"),
    ("2023-08-21", "0.0345"),
    ("2024-07-22", "0.0335"),
    ("2024-10-21", "0.0310"),
    ("2025-05-20", "0.0300"),
)
LPR_5Y = (
    ("2019-08-20", "0.0485"),
    ("2019-11-20", "0.0480"),
    ("2020-02-20", "0.0475"),
    ("2020-04-20", "0.0465"),
    ("2022-01-20", "0.0460"),
    ("2022-05-20", "0.0445"),
    ("2022-08-22", "0.0430"),
    ("2023-06-20", "0.0420"),
    ("2024-02-20", "0.0395"),
    ("2024-07-22", "0.0385"),
    ("2024-10-21", "0.0360"),
    ("2025-05-20", "0.0350"),
)


def expected_lpr(table: tuple[tuple[str, str], ...], day: datetime.date) -> Decimal | None:
    """The rate of `table` in force on `day`, computed by hand (no database)."""
    found = None
    for effective_on, rate in table:
        if datetime.date.fromisoformat(effective_on) <= day:
            found = Decimal(rate)
    return found


def install_lpr_history() -> None:
    """Make sure the shipped history is present (a transactional test elsewhere may have flushed it)."""
    for term, table in (("1y", LPR_1Y), ("5y", LPR_5Y)):
        for effective_on, rate in table:
            LprRate.objects.get_or_create(
                term=term, effective_on=datetime.date.fromisoformat(effective_on), defaults={"rate": Decimal(rate)}
            )


@pytest.fixture
def lpr_history(db) -> None:
    install_lpr_history()


@pytest.fixture
def matching_calls(monkeypatch) -> list[int]:
    """Records queue_product_matching(product_id) calls instead of scheduling matching."""
    calls: list[int] = []
    name = "finbridge.financing.tasks_matching"
    try:
        module = importlib.import_module(name)
    except ImportError:
        module = types.ModuleType(name)
        monkeypatch.setitem(sys.modules, name, module)
        monkeypatch.setattr(sys.modules["finbridge.financing"], "tasks_matching", module, raising=False)
    monkeypatch.setattr(module, "queue_product_matching", calls.append, raising=False)
    return calls


@dataclass
class World:
    orgs: dict[str, Organization]
    subdistrict: Any
    cluster: Any
    users: dict[tuple[str, str], User] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Organization:
        orgs = self.__dict__.get("orgs", {})
        if name in orgs:
            return orgs[name]
        raise AttributeError(name)

    def user(self, org_key: str, role: str = Role.STAFF) -> User:
        """A member (made on first use) of the organisation `org_key` with `role`."""
        key = (org_key, role)
        if key not in self.users:
            self.users[key] = MembershipFactory(organization=self.orgs[org_key], role=role).user
        return self.users[key]


ORG_SPECS: dict[str, dict[str, Any]] = {
    "district": {"org_type": OrgType.DISTRICT_AUTHORITY},
    "industry": {"org_type": OrgType.INDUSTRY_AUTHORITY, "industry_sectors": ["C"]},
    "subdistrict_office": {"org_type": OrgType.SUBDISTRICT_OFFICE},
    "msme": {"org_type": OrgType.MSME},
    "core": {"org_type": OrgType.CORE_ENTERPRISE},
    "insurer": {"org_type": OrgType.INSURER},
    "investor": {"org_type": OrgType.INVESTOR},
    "securities": {"org_type": OrgType.SECURITIES_FIRM},
    "bank_head": {"org_type": OrgType.BANK, "bank_tier": BankTier.HEAD_OFFICE, "name": "鹏城银行"},
    "bank_branch": {"org_type": OrgType.BANK, "bank_tier": BankTier.BRANCH, "parent": "bank_head"},
    "bank_scitech": {"org_type": OrgType.BANK, "bank_tier": BankTier.SCITECH_BRANCH, "parent": "bank_head"},
    "other_bank": {"org_type": OrgType.BANK, "bank_tier": BankTier.HEAD_OFFICE, "name": "粤海银行"},
    "guarantor": {"org_type": OrgType.GUARANTOR, "name": "坪山融资担保"},
    "other_guarantor": {"org_type": OrgType.GUARANTOR},
}


def build_world() -> World:
    subdistrict = SubdistrictFactory(code="440310001", name_zh="坪山", name_en="Pingshan")
    SubdistrictFactory(code="440310002", name_zh="马峦", name_en="Maluan")
    cluster = ClusterFactory(code="nev-icv", name_zh="新能源与智能网联汽车", name_en="New-energy vehicles")
    ClusterFactory(code="biomedicine", name_zh="生物医药", name_en="Biomedicine")
    orgs: dict[str, Organization] = {}
    for key, spec in ORG_SPECS.items():
        spec = dict(spec)
        if "parent" in spec:
            spec["parent"] = orgs[spec["parent"]]
        if spec["org_type"] == OrgType.SUBDISTRICT_OFFICE:
            spec["subdistrict"] = subdistrict
        orgs[key] = OrganizationFactory(**spec)
    return World(orgs=orgs, subdistrict=subdistrict, cluster=cluster)


@pytest.fixture
def world(db, lpr_history) -> World:
    return build_world()


def loan_data(**overrides: Any) -> dict[str, Any]:
    """Valid raw input of a bank's loan product (fixed 3.85%, 50万 to 500万, 6 to 36 months)."""
    data: dict[str, Any] = {
        "name": "科创信用贷",
        "name_en": "Sci-Tech Credit Loan",
        "kind": ProductKind.CREDIT_LOAN,
        "amount_min": "500000",
        "amount_max": "5000000",
        "term_min_months": 6,
        "term_max_months": 36,
        "rate_type": RateType.FIXED,
        "fixed_rate": "0.0385",
        "description": "面向科技型中小企业的纯信用贷款。",
        "description_en": "An unsecured loan for technology SMEs.",
    }
    data.update(overrides)
    return data


def guarantee_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "科技担保",
        "name_en": "Tech Guarantee",
        "kind": ProductKind.GUARANTEE,
        "amount_min": "1000000",
        "amount_max": "10000000",
        "term_min_months": 12,
        "term_max_months": 36,
        "fee_rate": "0.01",
        "description": "政策性融资担保，担保费率1%。",
    }
    data.update(overrides)
    return data


def make_product(provider: Organization, status: str = ProductStatus.PUBLISHED, **overrides: Any) -> Product:
    """A product written directly (no service), valid by the rules, in the given status."""
    is_guarantee = provider.org_type == OrgType.GUARANTOR
    now = timezone.now()
    values: dict[str, Any] = {
        "provider": provider,
        "name": "测试产品",
        "name_en": "",
        "kind": ProductKind.GUARANTEE if is_guarantee else ProductKind.MORTGAGE,
        "status": status,
        "amount_min": Decimal("100000.00"),
        "amount_max": Decimal("3000000.00"),
        "term_min_months": 6,
        "term_max_months": 24,
        "rate_type": RateType.FIXED,
        "fixed_rate": None if is_guarantee else Decimal("0.040000"),
        "fee_rate": Decimal("0.010000") if is_guarantee else Decimal("0"),
        "description": "说明",
        "published_at": now if status != ProductStatus.DRAFT else None,
        "withdrawn_at": now if status == ProductStatus.WITHDRAWN else None,
    }
    values.update(overrides)
    return Product.objects.create(**values)
