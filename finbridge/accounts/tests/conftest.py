"""Fixtures of the accounts tests: people in organisations of each kind."""

from __future__ import annotations

import pytest

from finbridge.accounts.choices import BankTier, OrgType, Role
from finbridge.accounts.models import User
from finbridge.accounts.tests.factories import MembershipFactory, OrganizationFactory, member_of

PASSWORD = "correct-horse-battery"


def fresh(user: User) -> User:
    """The same person re-read from the database (memberships and permission caches dropped)."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def district_admin(db) -> User:
    return member_of(OrgType.DISTRICT_AUTHORITY, Role.ADMIN)


@pytest.fixture
def district_staff(db) -> User:
    return member_of(OrgType.DISTRICT_AUTHORITY, Role.STAFF)


@pytest.fixture
def bank(db):
    return OrganizationFactory(org_type=OrgType.BANK, bank_tier=BankTier.HEAD_OFFICE)


@pytest.fixture
def bank_admin(bank) -> User:
    return MembershipFactory(organization=bank, role=Role.ADMIN).user


@pytest.fixture
def bank_staff(bank) -> User:
    return MembershipFactory(organization=bank, role=Role.STAFF).user


@pytest.fixture
def other_bank(db):
    return OrganizationFactory(org_type=OrgType.BANK, bank_tier=BankTier.HEAD_OFFICE)


@pytest.fixture
def other_bank_admin(other_bank) -> User:
    return MembershipFactory(organization=other_bank, role=Role.ADMIN).user
