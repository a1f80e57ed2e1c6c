"""Demo products: believable, valid by the rules, attached to the demo organisations, idempotent."""

from __future__ import annotations

import random

import pytest

from finbridge.accounts.choices import BankTier, OrgType
from finbridge.accounts.models import Organization
from finbridge.enterprises.demo import seed_demo
from finbridge.financing.choices import GUARANTOR_KINDS, ProductStatus
from finbridge.financing.demo_products import seed_products
from finbridge.financing.models import Product
from finbridge.financing.services.products import check_product_rules, current_values

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(lpr_history):
    seed_demo(enterprises=2)


def test_seed_products_on_the_demo_organisations(demo):
    created = seed_products(rng=random.Random(2025))
    products = list(Product.objects.select_related("provider"))
    assert created == len(products) == 16
    statuses = [p.status for p in products]
    assert statuses.count(ProductStatus.PUBLISHED) == 14
    assert statuses.count(ProductStatus.DRAFT) == 1 and statuses.count(ProductStatus.WITHDRAWN) == 1
    tiers = {p.provider.bank_tier for p in products if p.provider.org_type == OrgType.BANK}
    assert tiers == {BankTier.HEAD_OFFICE, BankTier.BRANCH, BankTier.SCITECH_BRANCH}
    assert len({p.provider.parent_id or p.provider_id for p in products if p.provider.org_type == OrgType.BANK}) == 2
    for product in products:
        assert product.name and product.name_en and product.description and product.description_en
        is_guarantor = product.provider.org_type == OrgType.GUARANTOR
        assert (product.kind in GUARANTOR_KINDS) == is_guarantor
        assert check_product_rules(current_values(product), provider=product.provider) == {}
        assert (product.published_at is None) == (product.status == ProductStatus.DRAFT)
    assert Product.objects.filter(eligible_clusters__isnull=False).distinct().count() >= 3
    assert Product.objects.filter(eligible_subdistricts__isnull=False).exists()


def test_seed_products_is_idempotent_and_reproducible(demo):
    assert seed_products(rng=random.Random(1)) == 16
    first = sorted(Product.objects.values_list("provider__name", "name", "status", "amount_max"))
    assert seed_products(rng=random.Random(1)) == 0
    assert sorted(Product.objects.values_list("provider__name", "name", "status", "amount_max")) == first


def test_seed_products_without_demo_organisations_does_nothing(db, lpr_history):
    assert seed_products(rng=random.Random(1)) == 0
    assert not Organization.objects.exists() and not Product.objects.exists()
