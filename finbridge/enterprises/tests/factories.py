"""Factories for the registry. `valid_uscc(n)` makes a credit code with a correct check character."""

from __future__ import annotations

from decimal import Decimal

import factory

from finbridge.accounts.tests.factories import SubdistrictFactory
from finbridge.enterprises.choices import ConsentScope
from finbridge.enterprises.demo import valid_uscc
from finbridge.enterprises.models import Consent, Enterprise, EnterpriseContact, EnterpriseFinancials

__all__ = ["ConsentFactory", "ContactFactory", "EnterpriseFactory", "FinancialsFactory", "valid_uscc"]


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    uscc = factory.Sequence(lambda n: valid_uscc(n + 1))
    name = factory.Sequence(lambda n: f"深圳市坪山测试科技有限公司{n}")
    name_en = factory.Sequence(lambda n: f"Pingshan Test Technology Co., Ltd. {n}")
    legal_representative = "张三"
    subdistrict = factory.SubFactory(SubdistrictFactory)
    industry_code = "C3670"
    employees = 50
    annual_revenue = Decimal("30000000.00")
    total_assets = Decimal("20000000.00")
    size_class = "small"


class FinancialsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EnterpriseFinancials

    enterprise = factory.SubFactory(EnterpriseFactory)
    year = 2025
    revenue = Decimal("30000000.00")
    total_assets = Decimal("20000000.00")
    employees = 50


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EnterpriseContact

    enterprise = factory.SubFactory(EnterpriseFactory)
    name = "李四"
    phone = "13800000000"


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    enterprise = factory.SubFactory(EnterpriseFactory)
    grantee = factory.SubFactory("finbridge.accounts.tests.factories.OrganizationFactory")
    scope = ConsentScope.FINANCIALS
