"""Things that must happen once, tried in parallel on PostgreSQL (SQLite has no row locks)."""

from __future__ import annotations

import pytest
from django.db import connection

from finbridge.accounts.choices import BankTier, OrgType, Role
from finbridge.accounts.models import Membership, User
from finbridge.accounts.services import invitation_accept, invitation_create, membership_change_role
from finbridge.accounts.tests.factories import MembershipFactory, OrganizationFactory
from finbridge.core.errors import DomainError
from finbridge.core.testing import race as _race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]

NEW_PASSWORD = "Tangerine-Lantern-42"


def test_an_invitation_is_accepted_once():
    bank = OrganizationFactory(org_type=OrgType.BANK, bank_tier=BankTier.HEAD_OFFICE)
    admin = MembershipFactory(organization=bank, role=Role.ADMIN).user
    invitation = invitation_create(actor=admin, organization=bank, email="x@example.com", role=Role.STAFF)
    results = _race(
        *(
            (lambda n=n: invitation_accept(token=invitation.token, username=f"racer{n}", password=NEW_PASSWORD))
            for n in range(4)
        )
    )
    assert sum(isinstance(r, Membership) for r in results) == 1
    assert {r.code for r in results if isinstance(r, DomainError)} == {"invitation_used"}
    assert User.objects.filter(username__startswith="racer").count() == 1


def test_two_admins_demoting_each_other_leave_one_admin():
    bank = OrganizationFactory(org_type=OrgType.BANK, bank_tier=BankTier.HEAD_OFFICE)
    first = MembershipFactory(organization=bank, role=Role.ADMIN)
    second = MembershipFactory(organization=bank, role=Role.ADMIN)
    results = _race(
        lambda: membership_change_role(actor=first.user, membership=second, role=Role.STAFF),
        lambda: membership_change_role(actor=second.user, membership=first, role=Role.STAFF),
    )
    assert sum(isinstance(r, Membership) for r in results) == 1
    # The loser is refused either as the last admin or, when the winner already demoted it, as no admin.
    assert [r.code for r in results if isinstance(r, DomainError)] in (["last_admin"], ["permission_denied"])
    assert Membership.objects.filter(organization=bank, role=Role.ADMIN).count() == 1
