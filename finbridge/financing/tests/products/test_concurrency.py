"""Status changes of one product tried in parallel on PostgreSQL: exactly one wins (SQLite has no row locks)."""

from __future__ import annotations

import pytest
from django.db import connection

from finbridge.accounts.choices import BankTier, OrgType, Role
from finbridge.accounts.tests.factories import MembershipFactory, OrganizationFactory
from finbridge.audit.models import AuditEvent
from finbridge.core.errors import Conflict
from finbridge.core.testing import race
from finbridge.financing.choices import ProductStatus
from finbridge.financing.models import Product
from finbridge.financing.services.products import product_publish, product_withdraw
from finbridge.financing.tests.products.conftest import make_product

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def _bank_with_staff(count: int):
    bank = OrganizationFactory(org_type=OrgType.BANK, bank_tier=BankTier.BRANCH)
    return bank, [MembershipFactory(organization=bank, role=Role.STAFF).user for _ in range(count)]


def test_a_draft_is_published_once():
    bank, staff = _bank_with_staff(3)
    draft = make_product(bank, status=ProductStatus.DRAFT)
    results = race(*((lambda user=user: product_publish(actor=user, product=draft)) for user in staff))
    assert sum(isinstance(r, Product) for r in results) == 1
    assert all(r.code == "invalid_transition" for r in results if isinstance(r, Conflict))
    assert AuditEvent.objects.filter(action="product_publish").count() == 1


def test_a_product_is_withdrawn_once():
    bank, (first, second) = _bank_with_staff(2)
    product = make_product(bank, status=ProductStatus.PUBLISHED)
    results = race(
        lambda: product_withdraw(actor=first, product=product),
        lambda: product_withdraw(actor=second, product=product),
    )
    assert sum(isinstance(r, Product) for r in results) == 1
    product.refresh_from_db()
    assert product.status == ProductStatus.WITHDRAWN
    assert AuditEvent.objects.filter(action="product_withdraw").count() == 1
