"""Factories for people and organisations. `member_of(org_type, role)` is the usual entry point."""

from __future__ import annotations

import factory

from finbridge.accounts.choices import BankTier, OrgType, Role
from finbridge.accounts.models import Membership, Organization, User
from finbridge.reference.models import District, IndustrialCluster, Subdistrict


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("code",)

    code = "440310"
    name_zh = "坪山区"
    name_en = "Pingshan District"


class SubdistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subdistrict
        django_get_or_create = ("code",)

    district = factory.SubFactory(DistrictFactory)
    code = factory.Sequence(lambda n: f"440310{n:03d}")
    name_zh = factory.Sequence(lambda n: f"街道{n}")
    name_en = factory.Sequence(lambda n: f"Subdistrict {n}")


class ClusterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IndustrialCluster
        django_get_or_create = ("code",)

    district = factory.SubFactory(DistrictFactory)
    code = factory.Sequence(lambda n: f"cluster-{n}")
    name_zh = factory.Sequence(lambda n: f"产业集群{n}")
    name_en = factory.Sequence(lambda n: f"Cluster {n}")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"机构{n}")
    name_en = factory.Sequence(lambda n: f"Organisation {n}")
    org_type = OrgType.BANK
    district = factory.SubFactory(DistrictFactory)
    bank_tier = factory.LazyAttribute(lambda o: BankTier.BRANCH if o.org_type == OrgType.BANK else "")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct-horse-battery")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.STAFF


def member_of(
    org_type: str = OrgType.BANK, role: str = Role.STAFF, organization: Organization | None = None, **org_kwargs
) -> User:
    """A new user with one membership of `role` in a new (or the given) organisation of `org_type`."""
    if organization is None:
        if org_type == OrgType.SUBDISTRICT_OFFICE and "subdistrict" not in org_kwargs:
            org_kwargs["subdistrict"] = SubdistrictFactory()
        if org_type == OrgType.INDUSTRY_AUTHORITY and "industry_sectors" not in org_kwargs:
            org_kwargs["industry_sectors"] = ["C"]
        organization = OrganizationFactory(org_type=org_type, **org_kwargs)
    return MembershipFactory(organization=organization, role=role).user
