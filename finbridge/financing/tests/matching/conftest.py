"""Fixtures of the matching tests: the shared market (tests/setup.py), products written straight to the
database, and plain facts for the pure rules.

`make_product(market, ...)` writes a published product of `head`'s branch by default, wide open: any size,
industry, cluster, subdistrict, no labels, years, revenue, collateral or guarantee; 100,000 to 10,000,000
yuan, 1 to 36 months, fixed 4%. Tests narrow exactly the criterion they are about.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from finbridge.financing.choices import ProductKind, ProductStatus, RateType
from finbridge.financing.matching_rules import DemandFacts, FirmFacts, Named, ProductFacts
from finbridge.financing.models import LprRate, Product
from finbridge.financing.tests.setup import Market, build_market, make_demand

TODAY = datetime.date(2025, 6, 16)


@pytest.fixture
def market(db) -> Market:
    return build_market()


def make_product(market: Market | None = None, *, provider: Any = None, **fields: Any) -> Product:
    """A product written straight to the database (no services, no matching)."""
    clusters = fields.pop("eligible_clusters", None)
    subdistricts = fields.pop("eligible_subdistricts", None)
    values: dict[str, Any] = {
        "name": "科技贷",
        "name_en": "Tech Loan",
        "kind": ProductKind.MORTGAGE,
        "status": ProductStatus.PUBLISHED,
        "amount_min": Decimal("100000.00"),
        "amount_max": Decimal("10000000.00"),
        "term_min_months": 1,
        "term_max_months": 36,
        "rate_type": RateType.FIXED,
        "fixed_rate": Decimal("0.040000"),
        "msme_exclusive": True,
        "published_at": timezone.now(),
    }
    values.update(fields)
    product = Product.objects.create(provider=provider or market.branch, **values)
    if clusters:
        product.eligible_clusters.set(clusters)
    if subdistricts:
        product.eligible_subdistricts.set(subdistricts)
    return product


def make_lpr(rate: str = "0.031000", effective_on: datetime.date = datetime.date(2000, 1, 1)) -> LprRate:
    LprRate.objects.filter(term="1y").delete()
    return LprRate.objects.create(term="1y", effective_on=effective_on, rate=Decimal(rate))


# ---- plain facts for the pure rules ---------------------------------------------------------------------------

S1 = Named(1, "坪山", "Pingshan")
S2 = Named(2, "马峦", "Maluan")
CLUSTER = Named(7, "新能源汽车", "New-energy vehicles")


def product_facts(**overrides: Any) -> ProductFacts:
    values: dict[str, Any] = {
        "id": 1,
        "provider_id": 10,
        "kind": ProductKind.MORTGAGE,
        "status": ProductStatus.PUBLISHED,
        "amount_min": Decimal("100000.00"),
        "amount_max": Decimal("10000000.00"),
        "term_min_months": 1,
        "term_max_months": 36,
        "rate": Decimal("0.040000"),
    }
    values.update(overrides)
    return ProductFacts(**values)


def demand_facts(**overrides: Any) -> DemandFacts:
    values: dict[str, Any] = {
        "id": 1,
        "amount": Decimal("2000000.00"),
        "term_months": 12,
        "max_annual_rate": Decimal("0.050000"),
        "collateral_offered": (),
    }
    values.update(overrides)
    return DemandFacts(**values)


def firm_facts(**overrides: Any) -> FirmFacts:
    values: dict[str, Any] = {
        "enterprise_id": 1,
        "size_class": "small",
        "industry_code": "C3670",
        "cluster_ids": frozenset({CLUSTER.id}),
        "subdistrict": S1,
        "labels": (),
        "established_on": datetime.date(2018, 3, 1),
        "annual_revenue": Decimal("30000000.00"),
        "has_loans": True,
    }
    values.update(overrides)
    return FirmFacts(**values)


__all__ = [
    "CLUSTER",
    "S1",
    "S2",
    "TODAY",
    "demand_facts",
    "firm_facts",
    "make_demand",
    "make_lpr",
    "make_product",
    "product_facts",
]
